"""Consultations over the API: the phone's outbox delivers messages as it delivers visits.

POST /api/v1/messages/sync records a batch, each item answered created, duplicate or rejected
and naming its thread; GET /api/v1/messages?since=ISO lists the caller's messages, newest last.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError, OperationalError

from pwa_app.api import bp
from pwa_app.api.sync import MAX_ITEMS, read_batch, read_since, rejected
from pwa_app.extensions import db
from pwa_app.services import consultations
from pwa_app.services.errors import Conflict, NotFound, ValidationError
from pwa_app.services.validation import control_problem

TARGETS = ("household", "case", "thread")
SERVER_ERROR_ITEM = _l(
    "This message could not be sent because of a problem on our side. It stays on the "
    "phone; try again later or tell the centre."
)


def parse_item(item):
    """Turn one JSON item into the service's input; raise ValidationError if malformed."""
    if not isinstance(item, dict):
        raise ValidationError(fields={"item": _l("Each message must be a JSON object.")})
    errors = {}
    if item.get("client_uuid") in (None, ""):
        errors["client_uuid"] = _l("This field is required.")
    for name in ("body", "household", "sent_at"):
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            errors[name] = _l("Must be text.")
    for name in ("case", "thread"):
        value = item.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            errors[name] = _l("Must be a whole number.")
    given = [name for name in TARGETS if item.get(name) not in (None, "")]
    if "thread" in given and len(given) > 1:
        errors["thread"] = _l("Give a thread, or a household (and case), not both.")
    elif not given:
        errors["household"] = _l("Give the thread, or the household the question is about.")
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    return consultations.MessageInput(
        body=item.get("body") or "",
        household=item.get("household"),
        case=item.get("case"),
        thread=item.get("thread"),
        sent_at=item.get("sent_at"),
        client_uuid=item["client_uuid"],
    )


def post_once(data):
    """Post a message in a savepoint: a twin that lands at the same moment (another request
    with the same client_uuid) is answered as a duplicate, and nothing else is undone."""
    try:
        with db.session.begin_nested():
            return consultations.post(current_user, data)
    except IntegrityError:
        return consultations.post(current_user, data)


def sync_one(item):
    """Record one item; a bad one is rejected alone and writes nothing."""
    raw_uuid = item.get("client_uuid") if isinstance(item, dict) else None
    client_uuid = raw_uuid if isinstance(raw_uuid, str) and not control_problem(raw_uuid) else None
    try:
        data = parse_item(item)
        message, created = post_once(data)
    except ValidationError as error:
        return rejected(client_uuid, error.code, error.message, error.fields)
    except NotFound as error:
        target = "thread" if isinstance(item, dict) and item.get("thread") else "household"
        return rejected(client_uuid, "not_found", error.message, {target: error.message})
    except Conflict as error:
        return rejected(client_uuid, "conflict", error.message, {"client_uuid": error.message})
    except OperationalError:
        raise  # busy or lost: the whole batch answers 503 and the phone sends it again
    except Exception:  # noqa: BLE001  (one item's bug must not cost the others)
        current_app.logger.exception("message sync item %s failed", client_uuid)
        return rejected(client_uuid, "server_error", SERVER_ERROR_ITEM)
    return {
        "client_uuid": message.client_uuid,
        "status": "created" if created else "duplicate",
        "id": message.id,
        "thread": message.thread_id,
    }


@bp.route("/messages/sync", methods=["POST"])
@login_required
def sync_messages():
    """Record a batch of messages; answer one result per item, in order."""
    items, refused = read_batch(
        "messages",
        _l('Send {"messages": [ ... ]}.'),
        _l("Send at most %(n)d messages per request.", n=MAX_ITEMS),
    )
    if refused:
        return refused
    return {"results": [sync_one(item) for item in items]}


def message_json(message, reader):
    """Describe a message for the phone."""
    thread = message.thread
    return {
        "id": message.id,
        "client_uuid": message.client_uuid,
        "thread": thread.id,
        "household": thread.household.code,
        "case": thread.assistance_id,
        "author": {
            "id": message.author_id,
            "name": message.author.display_name,
            "role": message.author.role,
        },
        "mine": message.author_id == reader.id,
        "body": message.body,
        "sent_at": message.sent_at.isoformat(),
        "received_at": message.received_at.isoformat(),
    }


@bp.route("/messages")
@login_required
def list_messages():
    """List the caller's messages received after `since` (ISO 8601 with offset), newest last."""
    since, refused = read_since()
    if refused:
        return refused
    found = consultations.messages_since(current_user, since)
    return {
        "messages": [message_json(message, current_user) for message in found],
        "unread": consultations.unread_count(current_user),
        "more": len(found) == consultations.SINCE_LIMIT,
    }
