"""Absolute links for printed cards, shared badges and API answers."""

from flask import current_app, request


def absolute(path):
    """Return the absolute URL of a path, on PUBLIC_BASE_URL when one is configured."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.url_root
    return base.rstrip("/") + "/" + path.lstrip("/")
