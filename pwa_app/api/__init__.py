"""The JSON API: JSON in, JSON out, every error included."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from pwa_app.api import households, me, openapi, sync, visits  # noqa: E402,F401  (routes)
