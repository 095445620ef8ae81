"""Security headers on every answer, and the ?lang= switch."""

from flask import flash, g, request, session
from flask_babel import gettext as _
from flask_login import current_user

from pwa_app.extensions import db

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def register(app):
    """Install the language switch and the header hook."""
    app.before_request(switch_language)
    app.after_request(add_security_headers)


def switch_language():
    """Honour ?lang=th|en for this and later requests; explain a code we do not have."""
    wanted = request.args.get("lang")
    if wanted is None or request.blueprint == "api":
        return
    from flask import current_app

    wanted = wanted.strip().lower()[:10]
    if wanted not in current_app.config["LANGUAGES"]:
        flash(_("That language is not available. Choose Thai or English."), "warning")
        return
    g.lang_choice = wanted
    session["lang"] = wanted
    if current_user.is_authenticated and current_user.preferred_language != wanted:
        current_user.preferred_language = wanted
        db.session.commit()


def add_security_headers(response):
    """Add the headers that keep pages from being framed, sniffed or scripted."""
    if request.endpoint == "static":
        return static_headers(response)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.mimetype == "text/html" and "Cache-Control" not in response.headers:
        # Pages hold personal data: the service worker keeps its own copy, browsers none.
        response.headers["Cache-Control"] = "private, no-cache"
    return response


def static_headers(response):
    """Keep static files' headers short: on a weak signal every header byte counts."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.pop("Content-Disposition", None)
    if request.args.get("v"):
        # Versioned names change with their content: cache them for a year, never revalidate.
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        for name in ("Expires", "ETag", "Last-Modified"):
            response.headers.pop(name, None)
    return response
