"""Encounters over the API: the phone's outbox delivers reports as it delivers visits.

POST /api/v1/encounters/sync records a batch, each item answered created, duplicate or
rejected; GET /api/v1/encounters?since=ISO lists the caller's own reports with what became of
them, for the phone's list.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import OperationalError

from pwa_app.api import bp
from pwa_app.api.sync import MAX_ITEMS, read_batch, read_since, rejected
from pwa_app.errors import error_response
from pwa_app.services import encounters
from pwa_app.services.errors import Conflict, NotFound, Throttled, ValidationError
from pwa_app.services.validation import control_problem

REQUIRED = ("client_uuid", "seen_at", "category", "place")
TEXTS = ("client_uuid", "seen_at", "category", "urgency", "place", "description", "village")
SERVER_ERROR_ITEM = _l(
    "This report could not be saved because of a problem on our side. It stays on the "
    "phone; try again later or tell the centre."
)


def _member(item, name, errors, expected=dict):
    value = item.get(name)
    if value is None:
        return {}
    if not isinstance(value, expected):
        errors[name] = _l("Must be an object.")
        return {}
    return value


def parse_item(item):
    """Turn one JSON item into the service's input; raise ValidationError if malformed."""
    if not isinstance(item, dict):
        raise ValidationError(fields={"item": _l("Each report must be a JSON object.")})
    errors = {
        name: _l("This field is required.") for name in REQUIRED if item.get(name) in (None, "")
    }
    for name in TEXTS:
        value = item.get(name)
        if value is not None and not isinstance(value, str) and name not in errors:
            errors[name] = _l("Must be text.")
        elif problem := control_problem(value):
            errors[name] = problem
    location = _member(item, "location", errors)
    person = _member(item, "person", errors)
    for name in ("name", "sex"):
        value = person.get(name)
        if value is not None and not isinstance(value, str):
            errors[f"person.{name}"] = _l("Must be text.")
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    return encounters.EncounterInput(
        client_uuid=item["client_uuid"],
        seen_at=item["seen_at"],
        category=item["category"],
        urgency=item.get("urgency") or "normal",
        place=item["place"],
        description=item.get("description") or "",
        lat=location.get("lat"),
        lon=location.get("lon"),
        # (visits call it accuracy; the field's own name is accepted too)
        accuracy=location.get("accuracy_m", location.get("accuracy")),
        person_name=person.get("name") or "",
        person_age=person.get("age"),
        person_sex=person.get("sex") or "",
        village=item.get("village"),
    )


def api_fields(fields):
    """Name the service's field errors after the item's JSON paths."""
    return {name.replace("person_", "person."): text for name, text in fields.items()}


def sync_one(item):
    """Record one item; a bad one is rejected alone and writes nothing.

    A reporter over the hourly limit is refused for the whole request (429, Retry-After):
    the reports stay on the phone and go later.
    """
    raw_uuid = item.get("client_uuid") if isinstance(item, dict) else None
    client_uuid = raw_uuid if isinstance(raw_uuid, str) and not control_problem(raw_uuid) else None
    try:
        encounter, created = encounters.report(current_user, parse_item(item))
    except ValidationError as error:
        return rejected(client_uuid, error.code, error.message, api_fields(error.fields))
    except NotFound as error:
        return rejected(client_uuid, "not_found", error.message)
    except Conflict as error:
        return rejected(client_uuid, "conflict", error.message, {"client_uuid": error.message})
    except (OperationalError, Throttled):
        raise  # the whole batch waits: busy (503) or too many (429)
    except Exception:  # noqa: BLE001  (one item's bug must not cost the others)
        current_app.logger.exception("encounter sync item %s failed", client_uuid)
        return rejected(client_uuid, "server_error", SERVER_ERROR_ITEM)
    return {
        "client_uuid": encounter.client_uuid,
        "status": "created" if created else "duplicate",
        "id": encounter.id,
    }


@bp.route("/encounters/sync", methods=["POST"])
@login_required
def sync_encounters():
    """Record a batch of reports; answer one result per item, in order."""
    if not encounters.may_report(current_user):
        return error_response(403, "forbidden")
    items, refused = read_batch(
        "encounters",
        _l('Send {"encounters": [ ... ]}.'),
        _l("Send at most %(n)d reports per request.", n=MAX_ITEMS),
    )
    if refused:
        return refused
    return {"results": [sync_one(item) for item in items]}


def encounter_json(encounter):
    """Describe one of the caller's reports for the phone."""
    return {
        "id": encounter.id,
        "client_uuid": encounter.client_uuid,
        "seen_at": encounter.seen_at.isoformat(),
        "received_at": encounter.received_at.isoformat(),
        "updated_at": encounter.updated_at.isoformat(),
        "category": encounter.category,
        "urgency": encounter.urgency,
        "place": encounter.place,
        "village": encounter.village.code,
        "status": encounter.status,
        "agency": encounter.agency.name_th if encounter.agency else None,
        "outcome": encounters.outcome(encounter) or None,
    }


@bp.route("/encounters")
@login_required
def list_encounters():
    """List the caller's own reports changed after `since` (ISO 8601 with offset)."""
    if not encounters.may_report(current_user):
        return error_response(403, "forbidden")
    since, refused = read_since()
    if refused:
        return refused
    found = encounters.since(current_user, since)
    return {
        "encounters": [encounter_json(encounter) for encounter in found],
        "more": len(found) == encounters.SINCE_LIMIT,
    }
