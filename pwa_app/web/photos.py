"""GET /photos/<id>: a photo, to those who may see its visit or encounter."""

from flask import Blueprint, current_app, make_response, request
from flask_login import current_user, login_required

from pwa_app.services import photos
from pwa_app.web.access import read_only

bp = Blueprint("photos", __name__)


@bp.route("/photos/<int:photo_id>")
@login_required
@read_only
def show(photo_id):
    """Send a photo's JPEG, cached by the browser only (it is personal data).

    Files never change under a photo (they are named by their hash), so the hash is the ETag.
    """
    photo = photos.photo_for(current_user, photo_id)
    if request.if_none_match.contains(photo.sha256):
        response = make_response("", 304)
    else:
        response = make_response(photos.read(photo))
        response.content_type = photo.content_type
    response.set_etag(photo.sha256)
    response.cache_control.private = True
    response.cache_control.max_age = current_app.config["PHOTO_CACHE_SECONDS"]
    return response
