"""Photos of visits and encounters: what is accepted, what is stored, who sees it, when it goes."""

import io
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws
from PIL import ExifTags, Image
from sqlalchemy import delete, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from bench.photos import encoded, photo_like
from pwa_app.extensions import db
from pwa_app.models import AuditEvent, Encounter, Photo, Visit
from pwa_app.services import photos, privacy
from pwa_app.services.photo_store import LocalStore, S3Store, store
from tests.conftest import csrf_from

CAMERA = "Canon EOS 5D"


def camera_jpeg(size=(4000, 3000), orientation=None):
    """A camera's JPEG: its make and model, a GPS position and (optionally) an orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = CAMERA
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (16.0, 32.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (104.0, 43.0, 12.0)
    return encoded(photo_like(*size), quality=90, exif=exif.tobytes(), comment=b"taken at house 12")


def kept(photo_id):
    """Tell whether the photo's row is still in the database."""
    return db.session.scalar(select(Photo.id).where(Photo.id == photo_id)) is not None


def stored_files():
    return {sha for sha, _modified in store().files()}


@pytest.fixture
def volunteer(login_as, client):
    user = login_as("volunteer", areas=["NI-01"])
    user.token = csrf_from(client.get("/"))
    return user


@pytest.fixture
def consenting_visit(volunteer, create_household, create_visit):
    household = create_household("NI-01", volunteer=volunteer)
    household.consent_photos = True
    db.session.commit()
    return create_visit(household, volunteer)


def send(client, token, data, item, kind="visit", client_uuid=None, name="photo.jpg", type_=None):
    """POST a photo as the phone does: multipart with client_uuid, the item and the file."""
    fields = {"client_uuid": client_uuid or str(uuid.uuid4())}
    if item is not None:
        fields[kind] = item
    if data is not None:
        fields["file"] = FileStorage(io.BytesIO(data), name, content_type=type_ or "image/jpeg")
    # Encoded here, in memory: the test client would spool a large body to a file it leaves open.
    boundary, body = encode_multipart(MultiDict(fields))
    return client.post(
        "/api/v1/photos",
        data=body,
        headers={"X-CSRFToken": token},
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def shown(client, response):
    """Open the stored photo the upload answered with, as Pillow sees it."""
    page = client.get(response.json["url"])
    assert page.status_code == 200
    return Image.open(io.BytesIO(page.data)), page


# --- What is stored --------------------------------------------------------------------------


def test_a_camera_photo_loses_its_gps_camera_and_comment(client, volunteer, consenting_visit):
    original = camera_jpeg()
    assert Image.open(io.BytesIO(original)).getexif()[ExifTags.Base.Model] == CAMERA

    response = send(client, volunteer.token, original, consenting_visit.client_uuid)

    assert response.status_code == 201, response.json
    assert response.json["status"] == "created"
    assert response.json["linked"] is True
    image, page = shown(client, response)
    assert image.format == "JPEG"
    assert not image.getexif()
    assert not {"exif", "xmp", "comment", "icc_profile", "photoshop"} & set(image.info)
    assert b"Canon" not in page.data and b"house 12" not in page.data
    assert image.size == (1280, 960)
    assert len(page.data) <= 300_000


def test_the_orientation_is_applied(client, volunteer, consenting_visit):
    # Orientation 6: the camera was turned; the picture is shown rotated a quarter turn.
    response = send(
        client, volunteer.token, camera_jpeg((800, 600), 6), consenting_visit.client_uuid
    )
    image, _page = shown(client, response)
    assert image.size == (600, 800)


@pytest.mark.parametrize("format_", ["PNG", "WEBP"])
def test_png_and_webp_become_small_jpegs(client, volunteer, consenting_visit, format_):
    data = encoded(photo_like(3000, 2000), format_)
    response = send(client, volunteer.token, data, consenting_visit.client_uuid, name="x.bin")
    assert response.status_code == 201, response.json
    image, page = shown(client, response)
    assert image.format == "JPEG" and image.size == (1280, 853)
    assert page.headers["Content-Type"] == "image/jpeg"
    assert len(page.data) <= 300_000
    photo = db.session.get(Photo, response.json["id"])
    assert (photo.width, photo.height, photo.size_bytes) == (1280, 853, len(page.data))


def test_a_transparent_png_is_put_on_white(client, volunteer, consenting_visit):
    data = encoded(Image.new("RGBA", (40, 30), (255, 0, 0, 0)), "PNG")
    response = send(client, volunteer.token, data, consenting_visit.client_uuid)
    image, _page = shown(client, response)
    assert image.getpixel((5, 5)) == pytest.approx((255, 255, 255), abs=2)


# --- What is refused -------------------------------------------------------------------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
# The start of an iPhone's HEIC photo (an ISO media file): no decoder here reads it.
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (PDF, "scan.jpg"),
        (SVG, "drawing.png"),
        (encoded(Image.new("RGB", (20, 20), "red"), "GIF"), "anim.jpg"),
        (HEIC, "IMG_0001.HEIC"),
        ("ผู้สูงอายุ อยู่บ้านคนเดียว".encode(), "note.jpg"),
        (b"", "empty.jpg"),
    ],
    ids=["pdf", "svg", "gif", "heic", "text", "empty"],
)
def test_files_that_are_not_photos_are_refused(client, volunteer, consenting_visit, data, name):
    before = stored_files()
    response = send(client, volunteer.token, data, consenting_visit.client_uuid, name=name)
    assert response.status_code == 415
    assert response.json["error"] == "unsupported_media_type"
    assert "JPEG" in response.json["fields"]["file"]
    assert stored_files() == before
    assert db.session.scalar(select(Photo.id)) is None


def test_a_truncated_jpeg_is_refused(client, volunteer, consenting_visit):
    data = camera_jpeg((800, 600))
    response = send(client, volunteer.token, data[: len(data) // 2], consenting_visit.client_uuid)
    assert response.status_code == 400
    assert response.json["fields"]["file"]


@pytest.fixture(scope="module")
def png_bomb():
    """20,000 × 20,000 pixels of nothing: a small file that would take 1.2 GB to decode."""
    return encoded(Image.new("1", (20_000, 20_000)), "PNG", optimize=True)


def test_a_decompression_bomb_is_refused_from_its_header(
    client, volunteer, consenting_visit, png_bomb
):
    assert len(png_bomb) < 200_000
    response = send(client, volunteer.token, png_bomb, consenting_visit.client_uuid)
    assert response.status_code == 413
    assert "40" in response.json["fields"]["file"]  # the limit, in megapixels


def test_a_picture_over_the_pixel_limit_is_refused(app, client, volunteer, consenting_visit):
    app.config["PHOTO_MAX_PIXELS"] = 1_000_000
    try:
        response = send(
            client, volunteer.token, camera_jpeg((1200, 900)), consenting_visit.client_uuid
        )
    finally:
        app.config["PHOTO_MAX_PIXELS"] = 40_000_000
    assert response.status_code == 413


def test_a_file_over_the_byte_limit_is_refused(app, client, volunteer, consenting_visit):
    app.config["PHOTO_MAX_BYTES"] = 100_000
    try:
        response = send(
            client, volunteer.token, camera_jpeg((1200, 900)), consenting_visit.client_uuid
        )
    finally:
        app.config["PHOTO_MAX_BYTES"] = 10 * 1024 * 1024
    assert response.status_code == 413
    assert response.json["error"] == "too_large"


def test_a_50_mb_body_is_refused_before_it_is_read(client, volunteer, consenting_visit):
    body = b"0" * (50 * 1024 * 1024)
    response = send(client, volunteer.token, body, consenting_visit.client_uuid)
    assert response.status_code == 413
    assert response.is_json and response.json["error"] == "too_large"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"data": None}, "file"),
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
        ({"item": None}, "visit"),
        ({"item": "123"}, "visit"),
    ],
    ids=["no-file", "bad-client-uuid", "no-item", "bad-item"],
)
def test_malformed_uploads_name_the_field(client, volunteer, consenting_visit, change, field):
    arguments = {"data": camera_jpeg((400, 300)), "item": consenting_visit.client_uuid}
    arguments.update(change)
    response = send(
        client,
        volunteer.token,
        arguments["data"],
        arguments["item"],
        client_uuid=change.get("client_uuid"),
    )
    assert response.status_code == 400
    assert response.json["error"] == "validation_failed"
    assert field in response.json["fields"]


def test_naming_both_a_visit_and_an_encounter_is_refused(client, volunteer, consenting_visit):
    response = client.post(
        "/api/v1/photos",
        data={
            "client_uuid": str(uuid.uuid4()),
            "visit": consenting_visit.client_uuid,
            "encounter": str(uuid.uuid4()),
            "file": (io.BytesIO(camera_jpeg((400, 300))), "p.jpg"),
        },
        headers={"X-CSRFToken": volunteer.token},
    )
    assert response.status_code == 400
    assert {"visit", "encounter"} <= set(response.json["fields"])


# --- Idempotency, consent, limits ------------------------------------------------------------


def test_a_photo_sent_again_is_stored_once(client, volunteer, consenting_visit):
    data, photo_uuid = camera_jpeg((800, 600)), str(uuid.uuid4())
    first = send(
        client, volunteer.token, data, consenting_visit.client_uuid, client_uuid=photo_uuid
    )
    files = stored_files()
    again = send(
        client, volunteer.token, data, consenting_visit.client_uuid, client_uuid=photo_uuid
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == {**first.json, "status": "duplicate"}
    assert stored_files() == files
    assert len(db.session.scalars(select(Photo)).all()) == 1


def test_identical_photos_share_one_file(client, volunteer, consenting_visit):
    data = camera_jpeg((800, 600))
    first = send(client, volunteer.token, data, consenting_visit.client_uuid)
    second = send(client, volunteer.token, data, consenting_visit.client_uuid)
    assert first.json["id"] != second.json["id"]
    rows = db.session.scalars(select(Photo)).all()
    assert rows[0].sha256 == rows[1].sha256


def test_a_client_uuid_reused_for_another_item_or_by_someone_else_is_409(
    client, auth, create_user, volunteer, consenting_visit, create_visit
):
    photo_uuid = str(uuid.uuid4())
    data = camera_jpeg((400, 300))
    first = send(
        client, volunteer.token, data, consenting_visit.client_uuid, client_uuid=photo_uuid
    )
    assert first.status_code == 201
    other_item = send(client, volunteer.token, data, str(uuid.uuid4()), client_uuid=photo_uuid)
    assert other_item.status_code == 409 and other_item.json["error"] == "conflict"
    auth.logout()
    someone = create_user("volunteer", areas=["NI-01"])
    auth.login(someone.phone)
    token = csrf_from(client.get("/"))
    reused = send(client, token, data, consenting_visit.client_uuid, client_uuid=photo_uuid)
    assert reused.status_code == 409


def test_a_household_without_photo_consent_gets_none(
    client, volunteer, create_household, create_visit
):
    visit = create_visit(create_household("NI-01", volunteer=volunteer), volunteer)
    before = stored_files()
    response = send(client, volunteer.token, camera_jpeg((400, 300)), visit.client_uuid)
    assert response.status_code == 409
    assert response.json["error"] == "photo_consent"
    assert "ยินยอม" in response.json["message"]  # (Thai: the default language)
    assert stored_files() == before


def test_consent_withdrawn_stops_new_photos_and_keeps_the_old(client, volunteer, consenting_visit):
    kept = send(client, volunteer.token, camera_jpeg((400, 300)), consenting_visit.client_uuid)
    consenting_visit.household.consent_photos = False
    db.session.commit()
    refused = send(client, volunteer.token, camera_jpeg((400, 300)), consenting_visit.client_uuid)
    assert refused.status_code == 409
    assert client.get(kept.json["url"]).status_code == 200


def test_an_item_keeps_at_most_three_photos(client, volunteer, consenting_visit):
    answers = [
        send(client, volunteer.token, camera_jpeg((300, 200)), consenting_visit.client_uuid)
        for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201, 409]
    assert answers[-1].json["error"] == "photo_limit"


def test_uploads_are_throttled_per_user(app, client, volunteer, consenting_visit):
    app.config["PHOTO_UPLOADS_PER_HOUR"] = 2
    try:
        answers = [
            send(client, volunteer.token, camera_jpeg((300, 200)), str(uuid.uuid4()))
            for _ in range(3)
        ]
    finally:
        app.config["PHOTO_UPLOADS_PER_HOUR"] = 60
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 3600


def test_another_volunteers_visit_is_not_found_and_nothing_is_written(
    client, auth, create_user, create_household, create_visit, volunteer
):
    other = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=other)
    household.consent_photos = True
    db.session.commit()
    visit = create_visit(household, other)
    before = stored_files()
    response = send(client, volunteer.token, camera_jpeg((400, 300)), visit.client_uuid)
    assert response.status_code == 404
    assert stored_files() == before
    assert db.session.scalar(select(Photo.id)) is None


def test_staff_of_another_centre_cannot_add_to_a_visit(
    client, auth, login_as, create_user, create_household, create_visit, second_org
):
    owner = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=owner)
    household.consent_photos = True
    db.session.commit()
    visit = create_visit(household, owner)
    login_as("staff", org="ZZC")
    token = csrf_from(client.get("/"))
    assert send(client, token, camera_jpeg((400, 300)), visit.client_uuid).status_code == 404


def test_an_observer_cannot_upload(client, login_as):
    login_as("observer", areas=["MDH"])
    token = csrf_from(client.get("/", follow_redirects=True))
    response = send(client, token, camera_jpeg((400, 300)), str(uuid.uuid4()))
    assert response.status_code == 403 and response.is_json


# --- Photos that arrive before their item ----------------------------------------------------


def sync_visit(client, token, household, visit_uuid):
    item = {
        "client_uuid": visit_uuid,
        "household": household.code,
        "visited_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "kind": "routine",
        "wellbeing": "green",
    }
    response = client.post(
        "/api/v1/visits/sync", json={"visits": [item]}, headers={"X-CSRFToken": token}
    )
    assert response.json["results"][0]["status"] == "created", response.json
    return db.session.scalar(select(Visit).where(Visit.client_uuid == visit_uuid))


def test_a_photo_waits_for_its_visit_then_is_linked(
    client, auth, create_user, volunteer, create_household
):
    household = create_household("NI-01", volunteer=volunteer)
    household.consent_photos = True
    db.session.commit()
    visit_uuid = str(uuid.uuid4())
    response = send(client, volunteer.token, camera_jpeg((400, 300)), visit_uuid)
    assert response.status_code == 201 and response.json["linked"] is False
    assert client.get(response.json["url"]).status_code == 200  # its uploader sees it

    visit = sync_visit(client, volunteer.token, household, visit_uuid)

    photo = db.session.get(Photo, response.json["id"])
    assert photo.visit_id == visit.id
    page = client.get(f"/households/{household.code}").get_data(as_text=True)
    assert response.json["url"] in page


def test_a_waiting_photo_is_seen_by_its_uploader_only(client, auth, login_as, volunteer):
    response = send(client, volunteer.token, camera_jpeg((400, 300)), str(uuid.uuid4()))
    auth.logout()
    login_as("staff")
    assert client.get(response.json["url"]).status_code == 404


def test_a_waiting_photo_is_dropped_when_its_visit_arrives_without_consent(
    client, volunteer, create_household
):
    household = create_household("NI-01", volunteer=volunteer)
    visit_uuid = str(uuid.uuid4())
    response = send(client, volunteer.token, camera_jpeg((400, 300)), visit_uuid)
    sha = db.session.get(Photo, response.json["id"]).sha256
    assert sha in stored_files()

    sync_visit(client, volunteer.token, household, visit_uuid)

    assert not kept(response.json["id"])
    assert sha not in stored_files()


def test_only_three_waiting_photos_are_kept_for_an_item(client, volunteer):
    visit_uuid = str(uuid.uuid4())
    answers = [send(client, volunteer.token, camera_jpeg((300, 200)), visit_uuid) for _ in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 409]


def test_a_waiting_photo_for_an_encounter_is_linked_when_it_is_reported(client, volunteer):
    encounter_uuid = str(uuid.uuid4())
    response = send(client, volunteer.token, camera_jpeg((400, 300)), encounter_uuid, "encounter")
    assert response.status_code == 201
    encounter = Encounter(
        client_uuid=encounter_uuid,
        reporter_id=volunteer.id,
        village_id=volunteer.areas[0].id,
        seen_at=datetime.now(UTC),
        category="homeless",
        place="ใต้สะพาน",
    )
    db.session.add(encounter)
    db.session.commit()
    assert db.session.get(Photo, response.json["id"]).encounter_id == encounter.id
    assert [p.id for p in photos.of_item("encounter", encounter_uuid)] == [response.json["id"]]


# --- Removal ---------------------------------------------------------------------------------


def test_an_orphan_goes_after_a_day_with_its_file(client, runner, volunteer):
    response = send(client, volunteer.token, camera_jpeg((400, 300)), str(uuid.uuid4()))
    photo = db.session.get(Photo, response.json["id"])
    sha = photo.sha256
    result = runner.invoke(args=["photos", "clean"])
    assert "removed 0 orphaned photos" in result.output
    photo.received_at = datetime.now(UTC) - timedelta(hours=25)
    db.session.commit()

    result = runner.invoke(args=["photos", "clean"])

    assert "removed 1 orphaned photos" in result.output, result.output
    assert not kept(response.json["id"])
    assert sha not in stored_files()


def test_an_unreferenced_file_goes_once_it_is_old(app, runner):
    data = photos.reencode(camera_jpeg((200, 100)))
    store().put(data.sha256, data.data)
    assert runner.invoke(args=["photos", "clean"]).exit_code == 0
    assert data.sha256 in stored_files()  # young: it may be an upload in progress
    old = time.time() - 2 * 3600
    os.utime(store().path(data.sha256), (old, old))

    result = runner.invoke(args=["photos", "clean"])

    assert "1 unused files" in result.output
    assert data.sha256 not in stored_files()


def test_the_worker_cleans_every_night(app, client, volunteer):
    from pwa_app import worker

    response = send(client, volunteer.token, camera_jpeg((400, 300)), str(uuid.uuid4()))
    photo = db.session.get(Photo, response.json["id"])
    photo.received_at = datetime.now(UTC) - timedelta(hours=25)
    db.session.commit()
    assert "clean_photos" in worker.queue().tasks
    # Once a night, at 03:30 in Thailand (huey's clock is UTC).
    runs = [
        (hour, minute)
        for hour in range(24)
        for minute in range(60)
        if worker.PHOTOS_CLEANED_AT(datetime(2026, 12, 9, hour, minute))
    ]
    assert runs == [(20, 30)]

    worker.clean_photos()

    assert not kept(response.json["id"])


def test_a_deleted_visit_loses_its_photos(client, volunteer, consenting_visit):
    response = send(client, volunteer.token, camera_jpeg((400, 300)), consenting_visit.client_uuid)
    sha = db.session.get(Photo, response.json["id"]).sha256
    deleted = client.post(
        f"/visits/{consenting_visit.id}/delete", data={"csrf_token": volunteer.token}
    )
    assert deleted.status_code == 302
    assert not kept(response.json["id"])
    assert sha not in stored_files()


def test_a_visit_row_deleted_takes_its_photos(client, volunteer, consenting_visit):
    response = send(client, volunteer.token, camera_jpeg((400, 300)), consenting_visit.client_uuid)
    sha = db.session.get(Photo, response.json["id"]).sha256
    db.session.delete(db.session.get(Visit, consenting_visit.id))
    db.session.commit()
    assert not kept(response.json["id"])
    assert sha not in stored_files()


def test_a_visit_deleted_behind_the_sessions_back_leaves_an_orphan_the_cleaner_removes(
    client, runner, volunteer, consenting_visit
):
    response = send(client, volunteer.token, camera_jpeg((400, 300)), consenting_visit.client_uuid)
    photo = db.session.get(Photo, response.json["id"])
    sha = photo.sha256
    photo.received_at = datetime.now(UTC) - timedelta(days=2)
    db.session.commit()
    db.session.execute(delete(Visit).where(Visit.id == consenting_visit.id))
    db.session.commit()
    assert kept(response.json["id"])  # (the database let go of its visit: ON DELETE SET NULL)

    assert "removed 1 orphaned photos" in runner.invoke(args=["photos", "clean"]).output

    assert not kept(response.json["id"])
    assert sha not in stored_files()


def test_erasing_a_household_removes_its_photos(
    client, auth, login_as, volunteer, consenting_visit
):
    response = send(client, volunteer.token, camera_jpeg((400, 300)), consenting_visit.client_uuid)
    sha = db.session.get(Photo, response.json["id"]).sha256
    household = consenting_visit.household
    auth.logout()
    login_as("staff")
    answer = auth.post(f"/households/{household.code}/anonymise", {"confirm": household.code})
    assert answer.status_code == 302
    assert not kept(response.json["id"])
    assert sha not in stored_files()
    assert household.consent_photos is False


def test_the_retention_purge_removes_old_photos(client, runner, volunteer, consenting_visit):
    response = send(client, volunteer.token, camera_jpeg((400, 300)), consenting_visit.client_uuid)
    sha = db.session.get(Photo, response.json["id"]).sha256
    consenting_visit.visited_at = datetime.now(UTC) - timedelta(days=400)
    db.session.commit()
    assert runner.invoke(args=["privacy", "purge", "--days", "500"]).exit_code == 0
    assert kept(response.json["id"])

    assert runner.invoke(args=["privacy", "purge", "--days", "365"]).exit_code == 0

    assert not kept(response.json["id"])
    assert sha not in stored_files()


def test_the_privacy_record_lists_photos_without_their_bytes(
    client, auth, login_as, volunteer, consenting_visit
):
    response = send(client, volunteer.token, camera_jpeg((400, 300)), consenting_visit.client_uuid)
    photo = db.session.get(Photo, response.json["id"])
    record = privacy.household_record(consenting_visit.household)
    assert record["photos"] == [
        {
            "id": photo.id,
            "visit": consenting_visit.client_uuid,
            "received_at": photo.received_at.isoformat(),
            "size_bytes": photo.size_bytes,
            "sha256": photo.sha256,
        }
    ]
    assert record["household"]["consent"]["photographs"] is True
    auth.logout()
    login_as("staff")
    page = client.get(f"/households/{consenting_visit.household.code}/data")
    assert f'href="{response.json["url"]}"' in page.get_data(as_text=True)


# --- Who sees a photo ------------------------------------------------------------------------


def test_the_photo_answer_is_private_cached_and_revalidated(client, volunteer, consenting_visit):
    response = send(client, volunteer.token, camera_jpeg((400, 300)), consenting_visit.client_uuid)
    page = client.get(response.json["url"])
    assert page.headers["Content-Type"] == "image/jpeg"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in page.headers["Cache-Control"]
    assert "max-age=" in page.headers["Cache-Control"]
    etag = page.headers["ETag"]
    again = client.get(response.json["url"], headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("owner", 200),
        ("other_volunteer", 404),
        ("staff", 200),
        ("admin", 200),
        ("other_centre_staff", 404),
        ("observer", 403),
    ],
)
def test_a_visit_photo_is_shown_to_those_who_see_the_visit(
    client, auth, create_user, volunteer, consenting_visit, second_org, viewer, expected
):
    response = send(client, volunteer.token, camera_jpeg((400, 300)), consenting_visit.client_uuid)
    if viewer != "owner":
        auth.logout()
        kind, options = {
            "other_volunteer": ("volunteer", {"areas": ["NI-01"]}),
            "staff": ("staff", {}),
            "admin": ("admin", {}),
            "other_centre_staff": ("staff", {"org": "ZZC"}),
            "observer": ("observer", {"areas": ["MDH"]}),
        }[viewer]
        auth.login(create_user(kind, **options).phone)
    assert client.get(response.json["url"]).status_code == expected


def test_the_household_page_shows_visit_photos_to_staff(
    client, auth, login_as, volunteer, consenting_visit
):
    response = send(client, volunteer.token, camera_jpeg((400, 300)), consenting_visit.client_uuid)
    auth.logout()
    login_as("staff")
    page = client.get(f"/households/{consenting_visit.household.code}").get_data(as_text=True)
    assert f'href="{response.json["url"]}"' in page
    assert 'loading="lazy"' in page and 'alt="' in page


def test_an_encounter_photo_is_shown_to_staff_and_the_assignee_only(
    client, auth, create_user, login_as, volunteer, second_org
):
    encounter_uuid = str(uuid.uuid4())
    response = send(client, volunteer.token, camera_jpeg((400, 300)), encounter_uuid, "encounter")
    encounter = Encounter(
        client_uuid=encounter_uuid,
        reporter_id=volunteer.id,
        village_id=volunteer.areas[0].id,
        seen_at=datetime.now(UTC),
        category="homeless",
        place="ตลาดหนองเอี่ยน",
    )
    db.session.add(encounter)
    db.session.commit()
    url = response.json["url"]
    auth.logout()
    assignee = create_user("volunteer", areas=["NI-01"])
    auth.login(assignee.phone)
    assert client.get(url).status_code == 404
    encounter.assigned_to_id = assignee.id
    db.session.commit()
    assert client.get(url).status_code == 200
    auth.logout()
    login_as("staff")
    page = client.get(f"/encounters/{encounter.id}").get_data(as_text=True)
    assert f'href="{url}"' in page
    assert client.get(url).status_code == 200
    auth.logout()
    auth.login(create_user("staff", org="ZZC").phone)
    assert client.get(url).status_code == 404


def test_the_household_card_and_badge_pages_never_link_a_photo(client, create_user, route_objects):
    values = route_objects(create_user("volunteer", areas=["NI-01"]))
    assert db.session.get(Photo, values["photo_id"]) is not None
    for path in (
        f"/h/{values['token']}",
        f"/badges/verify/{values['public_id']}",
        f"/badges/verify/{values['public_id']}/certificate",
    ):
        page = client.get(path)
        assert page.status_code == 200
        assert "/photos/" not in page.get_data(as_text=True), path


# --- The household's consent -----------------------------------------------------------------


def test_staff_record_photo_consent_and_the_phone_sees_it(client, auth, login_as, create_household):
    staff = login_as("staff")
    household = create_household("NI-01")
    listed = client.get("/api/v1/households")
    assert (
        next(h for h in listed.json["households"] if h["code"] == household.code)["consent_photos"]
        is False
    )
    form = client.get(f"/households/{household.code}/edit").get_data(as_text=True)
    assert 'name="consent_photos"' in form
    answer = auth.post(
        f"/households/{household.code}/edit",
        {
            "village": "NI-01",
            "house_no": household.house_no,
            "head_name": household.head_name,
            "consent_photos": "y",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert household.consent_photos is True
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "household.consent_photos", AuditEvent.user_id == staff.id
        )
    ).detail == {"given": True}
    again = client.get("/api/v1/households", headers={"If-None-Match": listed.headers["ETag"]})
    assert again.status_code == 200
    assert (
        next(h for h in again.json["households"] if h["code"] == household.code)["consent_photos"]
        is True
    )
    detail = client.get(f"/households/{household.code}").get_data(as_text=True)
    assert "Agrees to be photographed" in detail or "ยินยอมให้ถ่ายภาพ" in detail


# --- The stores ------------------------------------------------------------------------------


def exercise(files):
    """Put, read, size, list and delete one file in a store."""
    data = photos.reencode(camera_jpeg((200, 100)))
    assert not files.exists(data.sha256)
    files.put(data.sha256, data.data)
    assert files.exists(data.sha256)
    assert files.read(data.sha256) == data.data
    assert files.size(data.sha256) == len(data.data)
    assert data.sha256 in {sha for sha, _modified in files.files()}
    files.delete(data.sha256)
    assert not files.exists(data.sha256)
    files.delete(data.sha256)  # already gone: no error


def test_the_local_store_names_files_by_hash(tmp_path):
    files = LocalStore(tmp_path)
    exercise(files)
    files.put("ab" + "0" * 62, b"x")
    assert (tmp_path / "ab" / "00" / ("ab" + "0" * 62 + ".jpg")).read_bytes() == b"x"
    assert not list(tmp_path.glob("**/.incoming-*"))


@pytest.fixture
def s3_store(app, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="photos")
        files = S3Store("photos", client=client)
        before = app.extensions.get("photo_store")
        app.extensions["photo_store"] = files
        yield files
        app.extensions["photo_store"] = before


def test_the_s3_store_keeps_and_removes_files(s3_store):
    exercise(s3_store)


def test_uploads_and_removals_go_through_the_s3_store(
    client, runner, s3_store, volunteer, consenting_visit
):
    response = send(client, volunteer.token, camera_jpeg((800, 600)), consenting_visit.client_uuid)
    assert response.status_code == 201
    sha = db.session.get(Photo, response.json["id"]).sha256
    assert s3_store.exists(sha)
    assert s3_store.key(sha) == f"photos/{sha[:2]}/{sha[2:4]}/{sha}.jpg"
    image, _page = shown(client, response)
    assert image.size == (800, 600)
    db.session.delete(db.session.get(Visit, consenting_visit.id))
    db.session.commit()
    assert not s3_store.exists(sha)
