"""Liveness for load balancers and monitors."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from pwa_app.extensions import db
from pwa_app.web.access import read_only

bp = Blueprint("system", __name__)


@bp.route("/healthz")
@read_only
def healthz():
    """Answer 200 when the app and its database respond, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001  (any database failure means "not healthy")
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
