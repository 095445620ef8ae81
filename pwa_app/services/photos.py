"""Photos of visits and encounters: checked, re-encoded without metadata, stored once, linked.

An upload is trusted for nothing: its kind is what Pillow finds in its bytes, its size in
pixels is read from its header before anything is decoded, and what is stored is a fresh JPEG
of at most PHOTO_LONG_SIDE pixels with no metadata at all (no GPS position, no camera), so a
photo never tells more than what it shows.

The phone may upload a photo before its visit or encounter arrives: the photo then waits,
seen only by its uploader, and is linked by one hook here when the item is inserted (or
removed if the item's rules refuse it). Photos whose item never comes are removed by `clean`.
"""

import hashlib
import io
import uuid
import warnings
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageOps
from sqlalchemy import and_, delete, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pwa_app.extensions import db
from pwa_app.models import Encounter, Household, Photo, Visit
from pwa_app.models.base import utcnow
from pwa_app.services import audit, encounters, throttle
from pwa_app.services.errors import (
    Conflict,
    NotFound,
    Throttled,
    TooLarge,
    Unsupported,
    ValidationError,
)
from pwa_app.services.photo_store import store
from pwa_app.services.scope import org_wide, village_ids

# Decided by the bytes, never by the file's name or the type the phone claims.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
CONTENT_TYPE = "image/jpeg"
# Tried in turn until the photo fits PHOTO_TARGET_BYTES.
QUALITIES = (80, 70, 60, 50)
THROTTLE_BUCKET = "photo_upload"
THROTTLE_WINDOW = timedelta(hours=1)
# An unreferenced file younger than this may belong to an upload still in progress.
FILE_GRACE = timedelta(hours=1)
# session.info keys: hashes whose files may have lost their last photo, and those that did.
FILES_TO_CHECK = "photo_files_to_check"
FILES_TO_DELETE = "photo_files_to_delete"

NOT_A_PHOTO = _l("This file is not a photo. Send a JPEG, PNG or WebP picture.")
UNREADABLE = _l("The photo is damaged or incomplete. Take or choose it again.")
NO_CONSENT = _l(
    "This household has not agreed to be photographed. Record their consent on the "
    "household's page first; the photo was not kept."
)
REUSED = _l("This photo's id was already used for another photo; the first one is kept.")


@dataclass
class PhotoUpload:
    """What the phone sends: the photo's id, the item it belongs to, and the file."""

    client_uuid: str = ""
    visit: str = ""
    encounter: str = ""
    file: object = None  # a readable binary stream, or None


@dataclass(frozen=True)
class Encoded:
    """A re-encoded photo: JPEG bytes with no metadata, its size and its hash."""

    data: bytes
    width: int
    height: int
    sha256: str


def setting(name):
    """Return one of the PHOTO_* settings."""
    return current_app.config[name]


# --- Reading and re-encoding -----------------------------------------------------------------


def read_limited(stream, max_bytes):
    """Read at most max_bytes from the upload; refuse a larger file without reading it all."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge(
            fields={"file": _l("The photo is larger than %(mb)d MB.", mb=max_bytes // 2**20)}
        )
    return data


def open_image(data, max_pixels):
    """Open a picture by its content, checking its pixel count from the header only."""
    too_many = TooLarge(
        fields={
            "file": _l(
                "The picture has too many pixels (more than %(mp)d megapixels).",
                mp=max_pixels // 1_000_000,
            )
        }
    )
    with warnings.catch_warnings():
        # Pillow warns (and past twice its limit, refuses) on a decompression bomb.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise too_many from None
        except Image.UnidentifiedImageError:
            raise Unsupported(fields={"file": NOT_A_PHOTO}) from None
        except Exception:  # noqa: BLE001  (a hostile header may fail in any way; it is input)
            raise ValidationError(fields={"file": UNREADABLE}) from None
    if image.width * image.height > max_pixels:
        raise too_many
    return image


_SRGB = None


def srgb_profile():
    """Return the sRGB colour profile (built once)."""
    global _SRGB
    if _SRGB is None:
        _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return _SRGB


def to_srgb(image):
    """Return the picture as RGB in sRGB colours: transparency on white, a camera's or
    a wide-gamut profile converted (the stored JPEG carries no profile, so viewers assume sRGB)."""
    profile = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            return ImageCms.profileToProfile(image, source, srgb_profile(), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a profile that cannot be read: keep the colours as they are
    return image.convert("RGB")


def reencode(data, max_pixels=40_000_000, long_side=1280, target_bytes=300_000):
    """Turn an uploaded picture into a small, upright JPEG with no metadata; refuse non-photos."""
    image = open_image(data, max_pixels)
    try:
        image.draft("RGB", (long_side, long_side))  # JPEG: decode at a smaller scale, faster
        image.load()
        image = ImageOps.exif_transpose(image)
        image = to_srgb(image)
        image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    except Exception:  # noqa: BLE001  (truncated or corrupt data fails in the decoder)
        raise ValidationError(fields={"file": UNREADABLE}) from None
    # A new image carries nothing of the old one's info (EXIF, GPS, XMP, comments, profile).
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    for quality in QUALITIES:
        out = io.BytesIO()
        clean.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
        if out.tell() <= target_bytes:
            break
    encoded = out.getvalue()
    return Encoded(encoded, clean.width, clean.height, hashlib.sha256(encoded).hexdigest())


def reencode_upload(data):
    """Re-encode with the app's settings."""
    return reencode(
        data,
        setting("PHOTO_MAX_PIXELS"),
        setting("PHOTO_LONG_SIDE"),
        setting("PHOTO_TARGET_BYTES"),
    )


# --- Who may see what ------------------------------------------------------------------------


def may_see_visit(user, visit):
    """Tell whether the user may see a visit in full: its volunteer, or its centre's staff."""
    if visit.deleted_at is not None:
        return False
    if org_wide(user):
        return visit.village_id in village_ids(user)
    return visit.volunteer_id == user.id


def may_see_encounter(user, encounter):
    """Tell whether the user may see an encounter: its reporter or assignee, or its centre's
    staff (the encounters service's rule)."""
    return encounters.may_see(user, encounter)


def item_of(photo):
    """Return the visit or encounter a photo is linked to, or None while it waits."""
    if photo.visit_id is not None:
        return db.session.get(Visit, photo.visit_id)
    if photo.encounter_id is not None:
        return db.session.get(Encounter, photo.encounter_id)
    return None


def may_see(user, photo):
    """Tell whether the user may see a photo: as its item, or (while it waits) its uploader."""
    if photo.visit_id is None and photo.encounter_id is None:
        return photo.uploaded_by_id == user.id
    item = item_of(photo)
    if isinstance(item, Visit):
        return may_see_visit(user, item)
    return item is not None and may_see_encounter(user, item)


def photo_for(user, photo_id):
    """Return a photo the user may see, or raise NotFound."""
    photo = db.session.get(Photo, photo_id)
    if photo is None or not may_see(user, photo):
        raise NotFound()
    return photo


def read(photo):
    """Return a photo's JPEG bytes."""
    return store().read(photo.sha256)


def of_visits(visit_ids):
    """Return the photos of these visits by visit id, oldest first (one query for a list)."""
    found = {}
    if not visit_ids:
        return found
    rows = db.session.scalars(
        select(Photo).where(Photo.visit_id.in_(list(visit_ids))).order_by(Photo.id)
    )
    for photo in rows:
        found.setdefault(photo.visit_id, []).append(photo)
    return found


def of_item(kind, item_uuid):
    """Return the photos linked to one visit or encounter (named by its client_uuid)."""
    linked = Photo.visit_id if kind == "visit" else Photo.encounter_id
    return db.session.scalars(
        select(Photo)
        .where(Photo.item_kind == kind, Photo.item_uuid == item_uuid, linked.is_not(None))
        .order_by(Photo.id)
    ).all()


# --- Uploading -------------------------------------------------------------------------------


def _uuid(value, name, errors):
    try:
        return str(uuid.UUID(str(value or "").strip()))
    except ValueError:
        errors[name] = _l("Must be a UUID.") if value else _l("This field is required.")
        return None


def check_fields(upload):
    """Return (client_uuid, item kind, item uuid) or raise ValidationError naming each mistake."""
    errors = {}
    client_uuid = _uuid(upload.client_uuid, "client_uuid", errors)
    named = [kind for kind in ("visit", "encounter") if getattr(upload, kind)]
    kind = item_uuid = None
    if len(named) != 1:
        message = _l("Name the visit or the encounter the photo belongs to (one of them).")
        errors.update({"visit": message, "encounter": message})
    else:
        kind = named[0]
        item_uuid = _uuid(getattr(upload, kind), kind, errors)
    if upload.file is None:
        errors["file"] = _l("Send the photo as a file.")
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    return client_uuid, kind, item_uuid


def find_item(kind, item_uuid):
    """Return the visit or encounter with this client_uuid, or None."""
    model = Visit if kind == "visit" else Encounter
    return db.session.scalar(select(model).where(model.client_uuid == item_uuid))


def item_refusal(kind, consents, count):
    """Say why an item cannot take one more photo (no consent, full), or None if it can."""
    if kind == "visit" and not consents:
        return Conflict(NO_CONSENT, code="photo_consent")
    if count >= setting("PHOTOS_PER_ITEM"):
        return Conflict(
            _l(
                "A visit or encounter keeps at most %(n)d photos; this one was not kept.",
                n=setting("PHOTOS_PER_ITEM"),
            ),
            code="photo_limit",
        )
    return None


def check_item(item, kind, user):
    """Refuse an upload to an item the user may not see (404), or that cannot take it (409)."""
    visible = may_see_visit(user, item) if kind == "visit" else may_see_encounter(user, item)
    if not visible:
        raise NotFound()
    consents = kind != "visit" or db.session.scalar(
        select(Household.consent_photos).where(Household.id == item.household_id)
    )
    linked = Photo.visit_id if kind == "visit" else Photo.encounter_id
    count = db.session.scalar(select(func.count(Photo.id)).where(linked == item.id))
    if refusal := item_refusal(kind, consents, count):
        raise refusal


def check_pending(kind, item_uuid, user):
    """Refuse more waiting photos for one item than it could ever keep."""
    count = db.session.scalar(
        select(func.count(Photo.id)).where(
            Photo.item_kind == kind,
            Photo.item_uuid == item_uuid,
            Photo.uploaded_by_id == user.id,
        )
    )
    if refusal := item_refusal(kind, True, count):
        raise refusal


def replay(existing, kind, item_uuid, user):
    """Answer a photo sent again: the same one by the same person, or a reused id (409)."""
    same = (existing.uploaded_by_id, existing.item_kind, existing.item_uuid) == (
        user.id,
        kind,
        item_uuid,
    )
    if not same:
        raise Conflict(REUSED)
    return existing


def check_throttle(user):
    """Refuse a user's upload past PHOTO_UPLOADS_PER_HOUR, saying when to try again."""
    key = str(user.id)
    throttle.hold(THROTTLE_BUCKET, [key])
    limit = setting("PHOTO_UPLOADS_PER_HOUR")
    if throttle.is_limited(THROTTLE_BUCKET, [key], limit, THROTTLE_WINDOW):
        raise Throttled(
            _l("Too many photos in the last hour. The phone keeps the rest and sends them later."),
            retry_after=throttle.retry_after(THROTTLE_BUCKET, key, THROTTLE_WINDOW),
        )


def add(upload, user):
    """Check, re-encode and store an uploaded photo; return (photo, created).

    Everything that can refuse the upload is asked before the file is written, so a refused
    upload leaves nothing behind. Sent again by its uploader, a photo answers as it did.
    """
    client_uuid, kind, item_uuid = check_fields(upload)
    existing = db.session.scalar(select(Photo).where(Photo.client_uuid == client_uuid))
    if existing is not None:
        return replay(existing, kind, item_uuid, user), False
    check_throttle(user)
    item = find_item(kind, item_uuid)
    if item is not None:
        check_item(item, kind, user)
    else:
        check_pending(kind, item_uuid, user)
    encoded = reencode_upload(read_limited(upload.file, setting("PHOTO_MAX_BYTES")))
    files = store()
    if not files.exists(encoded.sha256):
        files.put(encoded.sha256, encoded.data)
    photo = Photo(
        client_uuid=client_uuid,
        item_kind=kind,
        item_uuid=item_uuid,
        visit_id=item.id if kind == "visit" and item else None,
        encounter_id=item.id if kind == "encounter" and item else None,
        uploaded_by_id=user.id,
        sha256=encoded.sha256,
        content_type=CONTENT_TYPE,
        size_bytes=len(encoded.data),
        width=encoded.width,
        height=encoded.height,
    )
    try:
        with db.session.begin_nested():
            db.session.add(photo)
    except IntegrityError:
        # The same photo arrived twice at once (a retry racing the first try): one stands.
        forget_files(db.session, {encoded.sha256})
        existing = db.session.scalar(select(Photo).where(Photo.client_uuid == client_uuid))
        if existing is None:
            raise
        return replay(existing, kind, item_uuid, user), False
    throttle.record(THROTTLE_BUCKET, [str(user.id)])
    household = db.session.get(Household, item.household_id) if kind == "visit" and item else None
    audit.record("photo.add", user, photo, household, item=kind, pending=item is None)
    return photo, True


# --- Removing --------------------------------------------------------------------------------


def forget_files(session, shas):
    """Note files that may have lost their last photo: removed once the transaction commits."""
    session.info.setdefault(FILES_TO_CHECK, set()).update(shas)


def delete_where(condition, session=None):
    """Delete the photos matching a condition (rows now, files after the commit); count them."""
    session = session or db.session
    connection = session.connection()
    doomed = connection.execute(select(Photo.id, Photo.sha256).where(condition)).all()
    if doomed:
        connection.execute(delete(Photo).where(Photo.id.in_([row.id for row in doomed])))
        forget_files(session, {row.sha256 for row in doomed})
    return len(doomed)


def delete_for_household(household):
    """Delete the photos of a household's visits (its personal data is being erased)."""
    visits = select(Visit.id).where(Visit.household_id == household.id)
    return delete_where(Photo.visit_id.in_(visits))


def delete_older_than(cutoff):
    """Delete the photos of visits and encounters that happened before the cutoff."""
    old_visits = select(Visit.id).where(Visit.visited_at < cutoff)
    old_encounters = select(Encounter.id).where(Encounter.seen_at < cutoff)
    return delete_where(or_(Photo.visit_id.in_(old_visits), Photo.encounter_id.in_(old_encounters)))


@dataclass
class Cleaned:
    """What a clean-up did."""

    linked: int = 0
    orphans: int = 0
    files: int = 0


def clean(now=None):
    """Link waiting photos whose item has come, remove those waiting past PHOTO_ORPHAN_HOURS
    (and photos whose item was deleted), and remove files no photo names.

    Linking first catches a photo that raced its item's arrival.
    """
    now = now or utcnow()
    result = Cleaned(linked=link_arrived_items(db.session))
    cutoff = now - timedelta(hours=setting("PHOTO_ORPHAN_HOURS"))
    result.orphans = delete_where(
        and_(Photo.visit_id.is_(None), Photo.encounter_id.is_(None), Photo.received_at < cutoff)
    )
    db.session.flush()
    referenced = set(db.session.scalars(select(Photo.sha256).distinct()))
    files = store()
    for sha, modified in list(files.files()):
        if sha not in referenced and modified < now - FILE_GRACE:
            files.delete(sha)
            result.files += 1
    return result


# --- Linking waiting photos when their item arrives (one hook, for every path) ---------------


# "Does a photo wait for one of these visits?" as SQL, for a statement that asks it on the way
# (the visits' insert): the visits are the bind parameter :waiting_uuids (expanding).
PHOTO_WAITING_SQL = (
    "EXISTS (SELECT 1 FROM photos WHERE photos.item_kind = 'visit' "
    "AND photos.item_uuid IN :waiting_uuids "
    "AND photos.visit_id IS NULL AND photos.encounter_id IS NULL)"
)


def link_arrived_items(session, items=None):
    """Link the waiting photos of these new items, given as (kind, client_uuid) pairs (or of
    every item now here), keeping each item's rules: a visit needs its household's consent,
    and at most PHOTOS_PER_ITEM are kept. Photos the rules refuse are deleted. Returns how
    many photos were linked."""
    connection = session.connection()
    waiting = select(Photo.id, Photo.sha256, Photo.item_kind, Photo.item_uuid, Photo.uploaded_by_id)
    waiting = waiting.where(Photo.visit_id.is_(None), Photo.encounter_id.is_(None))
    if items is not None:
        by_kind = {"visit": [], "encounter": []}
        for kind, client_uuid in items:
            by_kind[kind].append(client_uuid)
        waiting = waiting.where(
            or_(
                *(
                    and_(Photo.item_kind == kind, Photo.item_uuid.in_(uuids))
                    for kind, uuids in by_kind.items()
                    if uuids
                )
            )
        )
    photos = connection.execute(waiting.order_by(Photo.received_at, Photo.id)).all()
    if not photos:
        return 0
    targets = _targets(connection, photos)
    linked, refused, counts = 0, [], {}
    for photo in photos:
        target = targets.get((photo.item_kind, photo.item_uuid))
        if target is None or target.owner_id != photo.uploaded_by_id:
            continue  # not here yet, or someone else's item: it waits, then expires
        key = (photo.item_kind, target.id)
        if key not in counts:
            counts[key] = _linked_count(connection, photo.item_kind, target.id)
        if item_refusal(photo.item_kind, target.consents, counts[key]) is not None:
            refused.append(photo)
            continue
        column = "visit_id" if photo.item_kind == "visit" else "encounter_id"
        connection.execute(update(Photo).where(Photo.id == photo.id).values({column: target.id}))
        counts[key] += 1
        linked += 1
    if refused:
        connection.execute(delete(Photo).where(Photo.id.in_([photo.id for photo in refused])))
        forget_files(session, {photo.sha256 for photo in refused})
    return linked


@dataclass(frozen=True)
class _Target:
    id: int
    owner_id: int
    consents: bool


def _targets(connection, photos):
    """Find the items the waiting photos name, with their owner and (visits) consent."""
    wanted = {}
    for photo in photos:
        wanted.setdefault(photo.item_kind, set()).add(photo.item_uuid)
    found = {}
    if wanted.get("visit"):
        rows = connection.execute(
            select(Visit.id, Visit.client_uuid, Visit.volunteer_id, Household.consent_photos)
            .join(Household, Household.id == Visit.household_id)
            .where(Visit.client_uuid.in_(wanted["visit"]), Visit.deleted_at.is_(None))
        )
        for row in rows:
            found[("visit", row.client_uuid)] = _Target(row.id, row.volunteer_id, row[3])
    if wanted.get("encounter"):
        rows = connection.execute(
            select(Encounter.id, Encounter.client_uuid, Encounter.reporter_id).where(
                Encounter.client_uuid.in_(wanted["encounter"])
            )
        )
        for row in rows:
            found[("encounter", row.client_uuid)] = _Target(row.id, row.reporter_id, True)
    return found


def _linked_count(connection, kind, item_id):
    linked = Photo.visit_id if kind == "visit" else Photo.encounter_id
    return connection.scalar(select(func.count(Photo.id)).where(linked == item_id))


def _deleted_visits(session):
    """The ids of visits this flush marked deleted (the app keeps the row, not its photos)."""
    ids = []
    for visit in session.dirty:
        if isinstance(visit, Visit) and visit.deleted_at is not None:
            history = db.inspect(visit).attrs.deleted_at.history
            if history.has_changes():
                ids.append(visit.id)
    return ids


@event.listens_for(Session, "after_flush")
def _follow_items(session, _context):
    """Link waiting photos to items just inserted; remove the photos of items just deleted.

    Visits written many at once bypass this event: the visits service links theirs
    (visits.after_visits_inserted calls link_arrived_items).

    A visit deleted in the app (deleted_at) loses its photos at once; a visit or encounter
    deleted as a row through the session takes its photos with it. Rows deleted behind the
    session's back leave photos without an item, which `clean` removes as orphans.
    """
    arrived = [
        ("visit" if isinstance(item, Visit) else "encounter", item.client_uuid)
        for item in session.new
        if isinstance(item, Visit | Encounter)
    ]
    if arrived:
        link_arrived_items(session, arrived)
    if deleted := _deleted_visits(session):
        delete_where(Photo.visit_id.in_(deleted), session)
    gone = [item for item in session.deleted if isinstance(item, Visit | Encounter)]
    for kind, model in (("visit", Visit), ("encounter", Encounter)):
        uuids = [item.client_uuid for item in gone if isinstance(item, model)]
        if uuids:
            delete_where(and_(Photo.item_kind == kind, Photo.item_uuid.in_(uuids)), session)


@event.listens_for(Session, "before_commit")
def _settle_files(session):
    """Before the commit, find which noted files no photo names any more.

    The commit's own flush comes after this event: flush first, so the photos it deletes count.
    """
    session.flush()
    shas = session.info.pop(FILES_TO_CHECK, None)
    if not shas:
        return
    connection = session.connection()
    kept = set(connection.scalars(select(Photo.sha256).where(Photo.sha256.in_(shas))))
    session.info.setdefault(FILES_TO_DELETE, set()).update(shas - kept)


@event.listens_for(Session, "after_commit")
def _delete_files(session):
    """Delete the files of deleted photos, now that their rows are gone for good."""
    shas = session.info.pop(FILES_TO_DELETE, None)
    if not shas:
        return
    files = store()
    for sha in shas:
        files.delete(sha)


@event.listens_for(Session, "after_soft_rollback")
def _keep_files(session, previous_transaction):
    """A transaction rolled back whole deleted no photo: its files stay."""
    if previous_transaction.parent is None:
        session.info.pop(FILES_TO_CHECK, None)
        session.info.pop(FILES_TO_DELETE, None)
