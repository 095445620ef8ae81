"""GET /api/v1/knowledge: every know-how page, rendered, for reading on the phone offline."""

from flask import jsonify, make_response, request
from flask_login import current_user

from pwa_app.api import bp
from pwa_app.services import knowledge
from pwa_app.web.access import read_only, role_required


@bp.route("/knowledge")
@role_required("volunteer", "staff", "admin")
@read_only
def knowledge_pages():
    """List the pages in both languages, safe HTML, with who to call for each programme.

    Answers 304 when the caller's If-None-Match still holds.
    """
    etag = knowledge.cache_version(current_user)
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
        response.set_etag(etag)
        return response
    response = jsonify(pages=knowledge.offline_copy(current_user))
    response.set_etag(etag)
    return response
