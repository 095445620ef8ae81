"""Security headers on every answer, and the ?lang= switch."""

from urllib.parse import urlsplit

from flask import current_app, flash, g, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pwa_app.services.errors import ValidationError
from pwa_app.services.validation import control_problem
from pwa_app.web.devices import remember_worker_device
from pwa_app.web.pwa import style_source

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
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def register(app):
    """Install the address check, the language switch and the header hook."""
    app.before_request(refuse_unusable_address)
    app.before_request(switch_language)
    app.after_request(add_security_headers)
    app.after_request(remember_worker_device)


def refuse_unusable_address():
    """Answer 400 to an address whose path or query holds a character we never store.

    No code, search or filter can contain a control character; refusing them here keeps
    them out of every query and of the audit log, on both databases.
    """
    texts = [*request.args.keys(), *request.args.values()]
    texts += [value for value in (request.view_args or {}).values() if isinstance(value, str)]
    if any(control_problem(text) for text in texts):
        raise ValidationError(
            _l("The address contains a hidden control character. Check the link and try again.")
        )


def switch_language():
    """Honour ?lang=th|en for this and later requests; explain a code we do not have."""
    wanted = request.args.get("lang")
    if wanted is None or request.blueprint == "api":
        return
    wanted = wanted.strip().lower()[:10]
    if wanted not in current_app.config["LANGUAGES"]:
        flash(_("That language is not available. Choose Thai or English."), "warning")
        return
    g.lang_choice = wanted
    session["lang"] = wanted
    if current_user.is_authenticated and current_user.preferred_language != wanted:
        current_user.preferred_language = wanted


def content_security_policy():
    """Return the policy: our own files, the inline stylesheet by its hash, map tiles if set."""
    policy = CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", f"style-src 'self' {style_source()}"
    )
    tiles = current_app.config.get("MAP_TILE_URL")
    if tiles:
        parts = urlsplit(tiles)
        policy = policy.replace("img-src 'self'", f"img-src 'self' {parts.scheme}://{parts.netloc}")
    return policy


def add_security_headers(response):
    """Add the headers that keep pages from being framed, sniffed or scripted."""
    if request.endpoint == "static":
        return static_headers(response)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    # The one inline block a page may carry is the app's own stylesheet, named by its hash.
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if "Cache-Control" not in response.headers:
        # Pages, JSON and exports hold personal data: no browser or proxy keeps a copy (the
        # service worker keeps its own, and the app revalidates its household list itself).
        response.headers["Cache-Control"] = "no-store"
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
