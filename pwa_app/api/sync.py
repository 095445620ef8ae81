"""POST /api/v1/visits/sync: deliver queued visits, each exactly once.

A batch is one transaction, committed before the answer leaves, so a crash loses nothing the
phone was told was saved (it sends the batch again and gets "duplicate" for what had landed).
A bad item writes nothing and never sinks the others; a client_uuid seen before answers
"duplicate".
"""

import uuid
from datetime import datetime

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from pwa_app.api import bp
from pwa_app.api.errors import error_response
from pwa_app.extensions import db
from pwa_app.services import cases, recognition, visits
from pwa_app.services.errors import Conflict, NotFound, ValidationError

MAX_ITEMS = 50
REQUIRED = ("client_uuid", "household", "visited_at", "kind", "wellbeing")
FIELD_REQUIRED = _l("This field is required.")


def _text(item, name, errors):
    value = item.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = _l("Must be text.")
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
            "status": str(entry.get("status") or ""),
            "note": str(entry.get("note") or ""),
            "next_follow_up": entry.get("next_follow_up"),
        }
        if entry.get("case_id") is not None:
            if not isinstance(entry["case_id"], int):
                errors[f"assistance.{index}.case_id"] = _l("Must be a whole number.")
                continue
            positions[f"case-{entry['case_id']}"] = f"assistance.{index}"
            changes.append(cases.CaseChange(assistance_id=entry["case_id"], **common))
        else:
            positions[f"new_cases-{len(new_cases)}"] = f"assistance.{index}"
            new_cases.append(cases.NewCase(program=str(entry.get("program") or ""), **common))
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


def sync_one(item, tally):
    """Record one item; return its result and the badge rules it can have moved.

    A rejected item has written nothing (the visit service checks everything first), so the
    batch's transaction carries on without it; the caller writes the tally and commits.
    """
    raw_uuid = item.get("client_uuid") if isinstance(item, dict) else None
    client_uuid = raw_uuid if isinstance(raw_uuid, str) else None  # echoed back as given
    positions = {}
    try:
        data, positions = parse_item(item)
        visit, created = visits.log_visit(data, current_user, tally)
        result = {
            "client_uuid": visit.client_uuid,
            "status": "created" if created else "duplicate",
            "id": visit.id,
        }
    except ValidationError as error:
        return rejected(
            client_uuid, error.code, error.message, api_field_names(error.fields, positions)
        ), ()
    except NotFound as error:
        return rejected(
            client_uuid, "not_found", error.message, {"household": error.message}
        ), ()
    except Conflict as error:
        return rejected(
            client_uuid, "conflict", error.message, {"client_uuid": error.message}
        ), ()
    # A duplicate of the caller's own visit counts too: its first send may have been cut off
    # before its badges were checked.
    if not created and visit.volunteer_id != current_user.id:
        return result, ()
    return result, recognition.rules_moved_by(visit, bool(data.new_cases or data.case_changes))


@bp.route("/visits/sync", methods=["POST"])
@login_required
def sync_visits():
    """Record a batch of visits; answer one result per item, in order."""
    body = request.get_json(silent=True)
    if body is None:
        return error_response(400, "invalid_json", _l("The body must be JSON."))
    if not isinstance(body, dict) or not isinstance(body.get("visits"), list):
        return error_response(
            400, "validation_failed", fields={"visits": _l("Send {\"visits\": [ ... ]}.")}
        )
    if len(body["visits"]) > MAX_ITEMS:
        return error_response(
            413,
            "too_many_items",
            _l("Send at most %(n)d visits per request.", n=MAX_ITEMS),
            fields={"visits": _l("At most %(n)d items.", n=MAX_ITEMS)},
        )
    results, rules, tally = [], set(), visits.Tally()
    try:
        for item in body["visits"]:
            result, moved = sync_one(item, tally)
            results.append(result)
            rules.update(moved)
        tally.write()
        db.session.commit()  # the answer goes only after this: a crash before it loses nothing
    except OperationalError as error:
        db.session.rollback()
        g.sqlite_immediate = False  # the answer itself only reads, which WAL allows meanwhile
        current_app.logger.warning("database busy during sync (%s); the client will retry",
                                   error.orig)
        response = error_response(503, "unavailable")
        response[0].headers["Retry-After"] = "5"
        return response
    if rules:
        award_badges(sorted(rules))
    return {"results": results}


def award_badges(rules):
    """Award the badges the batch earned; the visits are kept whatever happens here.

    A failure is logged and left to the scheduled `badges evaluate`, so that it can never
    hold a visit back in the phone's outbox.
    """
    try:
        recognition.evaluate(current_user, rules)
        db.session.commit()
    except OperationalError as error:
        db.session.rollback()
        current_app.logger.warning("database busy for the badge check after a sync (%s); "
                                   "visits are saved, `badges evaluate` catches up", error.orig)
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("badge check after a sync failed; visits are saved")
