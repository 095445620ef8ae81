"""Thailand's PDPA duties: consent before sensitive data, access, erasure, retention."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from pwa_app.extensions import db
from pwa_app.models import (
    Assistance,
    AssistanceEvent,
    AuditEvent,
    HelpRequest,
    HouseholdTag,
    Notification,
    Photo,
    Visit,
)
from pwa_app.models.base import utcnow
from pwa_app.services import audit, encounters, photos
from pwa_app.services.errors import ValidationError

# Health and disability are sensitive data (PDPA section 26): consent first.
SENSITIVE_TAGS = frozenset({"disability", "bedridden", "chronic_illness"})


def require_consent(household_consent_at, tags, field="tags"):
    """Refuse sensitive tags for a household that has not given its consent."""
    if household_consent_at is None and SENSITIVE_TAGS & set(tags):
        raise ValidationError(
            _l("Please correct the highlighted fields."),
            {
                field: _l(
                    "Record the household's consent (PDPA) before noting health or disability."
                )
            },
        )


def iso(value):
    return value.isoformat() if value is not None else None


def household_record(household):
    """Return everything the centre holds about a household, for the right of access."""
    visits = db.session.scalars(
        select(Visit)
        .options(selectinload(Visit.need_rows), selectinload(Visit.volunteer))
        .where(Visit.household_id == household.id)
        .order_by(Visit.visited_at)
    ).all()
    cases = db.session.scalars(
        select(Assistance)
        .options(selectinload(Assistance.events), selectinload(Assistance.program))
        .where(Assistance.household_id == household.id)
        .order_by(Assistance.opened_at)
    ).all()
    requests = db.session.scalars(
        select(HelpRequest)
        .where(HelpRequest.household_id == household.id)
        .order_by(HelpRequest.created_at)
    ).all()
    visit_photos = db.session.execute(
        select(Photo, Visit.client_uuid)
        .join(Visit, Visit.id == Photo.visit_id)
        .where(Visit.household_id == household.id)
        .order_by(Photo.received_at, Photo.id)
    ).all()
    reads = db.session.scalars(
        select(AuditEvent)
        .options(selectinload(AuditEvent.user))
        .where(AuditEvent.household_id == household.id)
        .order_by(AuditEvent.at)
    ).all()
    return {
        "household": {
            "code": household.code,
            "house_no": household.house_no,
            "address_extra": household.address_extra,
            "village": household.village.code,
            "head_name": household.head_name,
            "phone": household.phone,
            "tags": household.tags,
            "location": [household.lat, household.lon] if household.lat is not None else None,
            "consent": {
                "given_on": iso(household.consent_at),
                "scope": household.consent_scope,
                "recorded_by": getattr(household.consent_recorded_by, "display_name", None),
                "photographs": household.consent_photos,
            },
            "assigned_volunteer": getattr(household.assigned_volunteer, "display_name", None),
            "archived": household.archived,
            "created_at": iso(household.created_at),
        },
        "members": [
            {"name": m.name, "birth_year": m.birth_year, "sex": m.sex, "tags": m.tags}
            for m in household.members
        ],
        "visits": [
            {
                "visited_at": iso(v.visited_at),
                "volunteer": v.volunteer.display_name,
                "kind": v.kind,
                "wellbeing": v.wellbeing,
                "needs": v.needs,
                "notes": v.notes,
                "location": [v.lat, v.lon] if v.lat is not None else None,
                "confirmed_by_household_at": iso(v.confirmed_by_household_at),
                "deleted_at": iso(v.deleted_at),
            }
            for v in visits
        ],
        # What is held about each photo; the pictures themselves are shown to staff on the
        # household's page (they are not copied into this record).
        "photos": [
            {
                "id": photo.id,
                "visit": visit_uuid,
                "received_at": iso(photo.received_at),
                "size_bytes": photo.size_bytes,
                "sha256": photo.sha256,
            }
            for photo, visit_uuid in visit_photos
        ],
        "welfare_cases": [
            {
                "programme": c.program.code,
                "status": c.status,
                "note": c.note,
                "opened_at": iso(c.opened_at),
                "history": [
                    {"at": iso(e.at), "from": e.from_status, "to": e.to_status, "note": e.note}
                    for e in c.events
                ],
            }
            for c in cases
        ],
        "help_requests": [
            {
                "at": iso(r.created_at),
                "category": r.category,
                "message": r.message,
                "phone": r.phone,
                "status": r.status,
            }
            for r in requests
        ],
        "encounters": encounters.linked_records(household),
        "access_log": [
            {"at": iso(e.at), "who": getattr(e.user, "display_name", None), "action": e.action}
            for e in reads
        ],
    }


def anonymise(household, by):
    """Erase what identifies a household, its visits' photos too; keep its visits and cases
    for the counts."""
    household.head_name = f"({household.code})"
    household.phone = None
    household.house_no = "-"
    household.address_extra = None
    household.lat = household.lon = None
    household.consent_scope = None
    household.tag_rows = [HouseholdTag(tag=t) for t in household.tags if t not in SENSITIVE_TAGS]
    for member in list(household.members):
        db.session.delete(member)
    household.archived = True
    from pwa_app.services.households import new_qr_token

    household.qr_token = new_qr_token()
    household.updated_at = utcnow()
    db.session.execute(
        update(Visit)
        .where(Visit.household_id == household.id)
        .values(notes="", lat=None, lon=None, accuracy_m=None)
    )
    cases = select(Assistance.id).where(Assistance.household_id == household.id)
    db.session.execute(
        update(Assistance).where(Assistance.household_id == household.id).values(note="")
    )
    db.session.execute(
        update(AssistanceEvent).where(AssistanceEvent.assistance_id.in_(cases)).values(note="")
    )
    db.session.execute(
        update(HelpRequest)
        .where(HelpRequest.household_id == household.id)
        .values(message="", phone=None, resolution_note=None)
    )
    household.consent_photos = False
    removed = photos.delete_for_household(household)
    encounters.anonymise_linked(household)
    audit.record("household.anonymise", by, household, household, photos=removed)


def purge(days, dry_run=False):
    """Clear visit notes and locations, and help-request messages, older than `days`; delete
    the photos of visits and encounters that old, the encounters closed before then and the
    notifications sent before then (they name households and people).

    Returns how many visits, help requests, encounters and notifications were (or would be)
    cleared.
    """
    if days < 30:
        raise ValidationError(fields={"days": _l("Keep at least 30 days.")})
    cutoff = utcnow() - timedelta(days=days)
    old_visits = (
        Visit.visited_at < cutoff,
        or_(Visit.notes != "", Visit.lat.is_not(None)),
    )
    old_requests = (
        HelpRequest.created_at < cutoff,
        or_(HelpRequest.message != "", HelpRequest.phone.is_not(None)),
    )
    # Photos first: an encounter deleted below would leave its photos without an item.
    removed = 0 if dry_run else photos.delete_older_than(cutoff)
    counts = (
        db.session.scalar(select(func.count(Visit.id)).where(*old_visits)),
        db.session.scalar(select(func.count(HelpRequest.id)).where(*old_requests)),
        encounters.purge_closed(cutoff, dry_run=dry_run),
        db.session.scalar(
            select(func.count(Notification.id)).where(Notification.created_at < cutoff)
        ),
    )
    if not dry_run:
        db.session.execute(
            update(Visit).where(*old_visits).values(notes="", lat=None, lon=None, accuracy_m=None)
        )
        db.session.execute(update(HelpRequest).where(*old_requests).values(message="", phone=None))
        db.session.execute(delete(Notification).where(Notification.created_at < cutoff))
        audit.record(
            "privacy.purge",
            None,
            days=days,
            visits=counts[0],
            help_requests=counts[1],
            encounters=counts[2],
            notifications=counts[3],
            photos=removed,
        )
    return counts
