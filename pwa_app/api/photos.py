"""POST /api/v1/photos: a photo of a visit or an encounter, uploaded once from the outbox."""

from flask import request, url_for
from flask_login import current_user, login_required

from pwa_app.api import bp, takes_body_up_to
from pwa_app.services import photos


@bp.route("/photos", methods=["POST"])
@takes_body_up_to("PHOTO_MAX_BYTES")
@login_required
def upload_photo():
    """Take one photo (multipart: client_uuid, file, and visit or encounter).

    Answers 201 when stored, 200 "duplicate" when its uploader sends it again; every refusal
    is the API's JSON error (services/photos.py says which and why). The request commits.
    """
    upload = photos.PhotoUpload(
        client_uuid=request.form.get("client_uuid", ""),
        visit=request.form.get("visit", ""),
        encounter=request.form.get("encounter", ""),
        file=request.files.get("file"),
    )
    photo, created = photos.add(upload, current_user)
    body = {
        "status": "created" if created else "duplicate",
        "id": photo.id,
        "url": url_for("photos.show", photo_id=photo.id),
        "linked": photo.visit_id is not None or photo.encounter_id is not None,
    }
    return body, 201 if created else 200
