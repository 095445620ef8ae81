"""POST /api/v1/visits/sync: deliver queued visits, each exactly once.

A batch is one transaction, committed before the answer leaves, so a crash loses nothing the
phone was told was saved (it sends the batch again and gets "duplicate" for what had landed).
A bad item writes nothing and never sinks the others; a client_uuid seen before answers
"duplicate".
"""

import uuid
from datetime import datetime

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from pwa_app.api import bp
from pwa_app.errors import error_response
from pwa_app.services import cases, visits
from pwa_app.services.errors import Conflict, NotFound, ValidationError
from pwa_app.services.validation import control_problem

MAX_ITEMS = 50
REQUIRED = ("client_uuid", "household", "visited_at", "kind", "wellbeing")
FIELD_REQUIRED = _l("This field is required.")
SERVER_ERROR_ITEM = _l(
    "This visit could not be saved because of a problem on our side. It stays on the phone; "
    "try again later or tell the centre."
)


def _text(item, name, errors, path=None):
    """Return a text member of the item, noting under `path` (or name) why it is unusable."""
    value = item.get(name, "")
    name = path or name
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = _l("Must be text.")
        return ""
    if problem := control_problem(value):
        errors[name] = problem
        return ""
    return value


def parse_assistance(raw, errors):
    """Split the item's assistance list into new cases and changes to open cases."""
    new_cases, changes, positions = [], [], {}
    if raw in (None, []):
        return new_cases, changes, positions
    if not isinstance(raw, list):
        errors["assistance"] = _l("Must be a list.")
        return new_cases, changes, positions
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            errors[f"assistance.{index}"] = _l("Must be an object.")
            continue
        common = {
            "status": _text(entry, "status", errors, f"assistance.{index}.status"),
            "note": _text(entry, "note", errors, f"assistance.{index}.note"),
            "next_follow_up": _text(
                entry, "next_follow_up", errors, f"assistance.{index}.next_follow_up"
            ),
        }
        if entry.get("case_id") is not None:
            if not isinstance(entry["case_id"], int) or isinstance(entry["case_id"], bool):
                errors[f"assistance.{index}.case_id"] = _l("Must be a whole number.")
                continue
            positions[f"case-{entry['case_id']}"] = f"assistance.{index}"
            changes.append(cases.CaseChange(assistance_id=entry["case_id"], **common))
        else:
            positions[f"new_cases-{len(new_cases)}"] = f"assistance.{index}"
            program = _text(entry, "program", errors, f"assistance.{index}.program")
            new_cases.append(cases.NewCase(program=program, **common))
    return new_cases, changes, positions


def has_offset(value):
    """Tell whether a value is an ISO 8601 date-time with a UTC offset."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def parse_item(item):
    """Turn one JSON item into the visit service's input; raise ValidationError if malformed."""
    if not isinstance(item, dict):
        raise ValidationError(fields={"item": _l("Each visit must be a JSON object.")})
    errors = {name: FIELD_REQUIRED for name in REQUIRED if item.get(name) in (None, "")}
    client_uuid = item.get("client_uuid")
    if "client_uuid" not in errors:
        try:
            client_uuid = str(uuid.UUID(str(client_uuid)))
        except ValueError:
            errors["client_uuid"] = _l("Must be a UUID.")
    visited_at = item.get("visited_at")
    if "visited_at" not in errors and not has_offset(visited_at):
        errors["visited_at"] = _l(
            "Give an ISO 8601 time with its offset, e.g. 2026-11-25T14:30:00+07:00."
        )
    needs = item.get("needs") or []
    if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
        errors["needs"] = _l("Must be a list of need codes.")
        needs = []
    location = item.get("location") or {}
    if not isinstance(location, dict):
        errors["location"] = _l("Must be an object with lat, lon and accuracy.")
        location = {}
    new_cases, changes, positions = parse_assistance(item.get("assistance"), errors)
    data = visits.VisitInput(
        client_uuid=client_uuid,
        household=_text(item, "household", errors),
        visited_at=visited_at,
        kind=_text(item, "kind", errors),
        wellbeing=_text(item, "wellbeing", errors),
        needs=needs,
        notes=_text(item, "notes", errors),
        lat=location.get("lat"),
        lon=location.get("lon"),
        accuracy=location.get("accuracy"),
        new_cases=new_cases,
        case_changes=changes,
    )
    if errors:
        # Report the item's other mistakes too, so one round trip shows them all.
        _, _, domain_errors = visits.check_fields(data)
        raise ValidationError(_l("Please correct the highlighted fields."), domain_errors | errors)
    return data, positions


def api_field_names(fields, positions):
    """Name the service's field errors after the item's JSON paths."""
    renamed = {}
    for name, message in fields.items():
        prefix, _, rest = name.rpartition("-")
        if prefix in positions:
            name = f"{positions[prefix]}.{rest}"
        elif name == "lat" or name == "lon":
            name = "location"
        renamed[name] = str(message)
    return renamed


def rejected(client_uuid, code, message, fields=None):
    """Build a rejected result."""
    return {
        "client_uuid": client_uuid,
        "status": "rejected",
        "error": code,
        "message": str(message),
        "fields": {name: str(text) for name, text in (fields or {}).items()},
    }


def client_uuid_of(item):
    """Return the client_uuid an item sent, if it is text that can be echoed back."""
    raw = item.get("client_uuid") if isinstance(item, dict) else None
    return raw if isinstance(raw, str) and not control_problem(raw) else None


def result_of(client_uuid, outcome, positions):
    """Turn what became of one visit into its result.

    An unexpected failure of one item is logged and rejects that item only (it stays on the
    phone), rather than sinking the visits beside it.
    """
    error = outcome.error
    if error is None:
        status = "created" if outcome.created else "duplicate"
        return {"client_uuid": outcome.client_uuid, "status": status, "id": outcome.visit_id}
    if isinstance(error, ValidationError):
        fields = api_field_names(error.fields, positions)
        return rejected(client_uuid, error.code, error.message, fields)
    if isinstance(error, NotFound):
        return rejected(client_uuid, "not_found", error.message, {"household": error.message})
    if isinstance(error, Conflict):
        return rejected(client_uuid, "conflict", error.message, {"client_uuid": error.message})
    current_app.logger.error("sync item %s failed", client_uuid, exc_info=error)
    return rejected(client_uuid, "server_error", SERVER_ERROR_ITEM)


def sync_batch(items, recording):
    """Record a batch's items; return one result per item, in order.

    Every item is read first; the good ones are recorded together (the visit service checks
    each before it writes, so a rejected item writes nothing and the others carry on).
    """
    results, parsed = [None] * len(items), []
    for index, item in enumerate(items):
        try:
            data, positions = parse_item(item)
        except Exception as error:  # noqa: BLE001  (one item's bug must not cost the others)
            refused = visits.Outcome(client_uuid_of(item), error=error)
            results[index] = result_of(client_uuid_of(item), refused, {})
        else:
            parsed.append((index, data, positions))
    outcomes = recording.add_many([data for _index, data, _positions in parsed])
    for (index, _data, positions), outcome in zip(parsed, outcomes, strict=True):
        results[index] = result_of(client_uuid_of(items[index]), outcome, positions)
    return results


def read_batch(key, shape_message, too_many_message):
    """Return (the list a sync call sends under `key`, None), or (None, the answer refusing
    the whole request: not JSON, not that shape, or more than MAX_ITEMS items)."""
    body = request.get_json(silent=True)
    if body is None:
        return None, error_response(400, "invalid_json", _l("The body must be JSON."))
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        return None, error_response(400, "validation_failed", fields={key: shape_message})
    if len(body[key]) > MAX_ITEMS:
        return None, error_response(
            413,
            "too_many_items",
            too_many_message,
            fields={key: _l("At most %(n)d items.", n=MAX_ITEMS)},
        )
    return body[key], None


def read_since():
    """Return (the `since` of a changes-since call, None), or (None, the answer refusing a
    time that is not ISO 8601 with an offset). No `since` reads from the start: (None, None)."""
    raw = request.args.get("since", "").strip()
    if not raw:
        return None, None
    try:
        since = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        since = None
    if since is None or since.tzinfo is None:
        return None, error_response(
            400, "validation_failed", fields={"since": _l("Give an ISO 8601 time with its offset.")}
        )
    return since, None


@bp.route("/visits/sync", methods=["POST"])
@login_required
def sync_visits():
    """Record a batch of visits; answer one result per item, in order.

    The request commits the batch before the answer leaves (database.py).
    """
    items, refused = read_batch(
        "visits",
        _l('Send {"visits": [ ... ]}.'),
        _l("Send at most %(n)d visits per request.", n=MAX_ITEMS),
    )
    if refused:
        return refused
    recording = visits.Recording(current_user._get_current_object())
    results = sync_batch(items, recording)
    recording.finish()
    return {"results": results}
