"""The installable app: manifest, service worker, offline page and the outbox page."""

import base64
import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup

from pwa_app.web.access import read_only

bp = Blueprint("pwa", __name__)

# What the first screens need offline, precached when the service worker installs. The forms
# drawn from the phone's list (visit-form.js, household-shell.js) come with their pages in the
# background once the app is ready (app.js, LATER_PAGES).
# jsQR (47 KB) is not: phones with a native QR reader (BarcodeDetector) never need it, and
# the others cache it the first time they open the scanner with signal.
PRECACHE_STATIC = (
    "css/app.css",
    "js/app.js",
    "js/dates.js",
    "js/finder.js",
    "js/outbox-core.js",
    "js/outbox-page.js",
    "js/scanner.js",
    "icons/icon.svg",
)
# Besides the shell: the worker itself, and files fetched when first needed that the worker
# keeps under their plain names. Its cache version follows them all, so that a new version of
# any of them replaces the kept copy.
ALSO_VERSIONED = ("sw.js", "vendor/jsqr-1.4.0/jsQR.js", "js/knowledge-offline.js")
THEME_COLOR = "#0b6e4f"
STYLESHEET = "css/app.css"
# Set once a page carried the styles inline: the browser has them (the service worker
# precaches the file), so later pages link the file instead of sending it again.
STYLE_COOKIE = "styles"
STYLE_COOKIE_AGE = 30 * 24 * 3600


def file_hash(path):
    """Return a short content hash of a file, for cache-busting names."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


@cache
def _static_hash(folder, filename):
    return file_hash(Path(folder) / filename)


def asset(filename):
    """Return a static file's URL with a content version, safe to cache for a year."""
    version = _static_hash(current_app.static_folder, filename)
    return url_for("static", filename=filename, v=version)


@cache
def _inline_styles(folder):
    text = (Path(folder) / STYLESHEET).read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return text, f"'sha256-{digest}'"


def style_source():
    """Return the CSP source that lets the inline copy of the styles apply."""
    return _inline_styles(current_app.static_folder)[1]


def stylesheet():
    """Return the page's styles: inline on a first visit, the cached file afterwards.

    On one bar of signal a render-blocking stylesheet costs a round trip of most of a second
    before anything shows; a first visit gets the styles in the page instead.
    """
    version = _static_hash(current_app.static_folder, STYLESHEET)
    if request.cookies.get(STYLE_COOKIE) == version:
        return Markup(f'<link rel="stylesheet" href="{asset(STYLESHEET)}">')
    g.styles_inlined = version
    return Markup(f"<style>{_inline_styles(current_app.static_folder)[0]}</style>")


@bp.after_app_request
def remember_inlined_styles(response):
    """After a page with inline styles, let the next ones link the file."""
    version = g.pop("styles_inlined", None)
    if version and response.status_code < 400:
        response.set_cookie(
            STYLE_COOKIE,
            version,
            max_age=STYLE_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


def cache_version():
    """Return a version naming the service worker's cache: it changes with any shell file."""
    digest = hashlib.sha256()
    for filename in PRECACHE_STATIC + ALSO_VERSIONED:
        digest.update(_static_hash(current_app.static_folder, filename).encode())
    return digest.hexdigest()[:12]


@bp.route("/manifest.webmanifest")
@read_only
def manifest():
    """Describe the app for installing on a phone's home screen."""
    with force_locale("th"):
        name, short_name = _("Volunteer Home Visits"), _("Volunteer Home Visits")
        description = _("Home visits and welfare help by community volunteers")
    icons = [
        {
            "src": asset("icons/icon-192.png"),
            "sizes": "192x192",
            "type": "image/png",
            "purpose": "any",
        },
        {
            "src": asset("icons/icon-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "any",
        },
        {
            "src": asset("icons/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    body = {
        "id": "/",
        "name": name,
        "short_name": short_name[:12],
        "description": description,
        "lang": "th",
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOR,
        "background_color": "#f6f8f7",
        "icons": icons,
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/sw.js")
@read_only
def service_worker():
    """Serve the service worker from the root so that its scope is the whole app."""
    source = (Path(current_app.static_folder) / "sw.js").read_text("utf-8")
    source = (
        source.replace("__CACHE_VERSION__", cache_version())
        .replace("__PRECACHE__", json.dumps([asset(f) for f in PRECACHE_STATIC] + ["/offline"]))
        .replace("__OUTBOX_CORE__", asset("js/outbox-core.js"))
        .replace("__NOTIFICATION_ICON__", asset("icons/icon-192.png"))
    )
    with force_locale("th"):
        app_name = json.dumps(_("Volunteer Home Visits"), ensure_ascii=False)
    source = source.replace("__APP_NAME__", app_name)
    response = Response(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/offline")
@read_only
def offline():
    """The page shown when there is no signal and nothing cached for the address."""
    return render_template("pwa/offline.html")


@bp.route("/outbox")
@read_only
@login_required
def outbox():
    """Visits saved on this phone and waiting to be sent; fix or discard rejected ones."""
    return render_template("pwa/outbox.html")
