"""อพม. เยี่ยมบ้าน: home-visit check-ins for community welfare volunteers."""

import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

from pwa_app import config as default_config
from pwa_app.database import own_transactions
from pwa_app.extensions import babel, compress, csrf, db, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_SETTINGS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "PUBLIC_BASE_URL",
    "TRUSTED_HOSTS",
    "PREFER_HTTPS",
    "PROXY_FIX",
    "ORG_PHONE",
    "ORG_CODE",
    "MAP_TILE_URL",
    "REDIS_URL",
    "PUSH_ENDPOINTS",
    "PUSH_CONTACT",
    "PHOTO_STORE",
    "PHOTO_DIR",
    "PHOTO_S3_BUCKET",
    "PHOTO_S3_ENDPOINT_URL",
)


def create_app(config=None):
    """Build the application: configuration, extensions, blueprints, errors, CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    load_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    own_transactions(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def load_config(app, config):
    """Layer settings: defaults, instance/config.py, environment, then the caller's."""
    config = dict(config or {})
    defaults = default_config.Testing if config.get("TESTING") else default_config.Defaults
    app.config.from_object(defaults)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_pyfile("config.py", silent=True)
    for name in ENV_SETTINGS:
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    app.config.update(config)

    if isinstance(app.config.get("TRUSTED_HOSTS"), str):
        # Flask then answers 400 to any other Host header.
        hosts = [host.strip() for host in app.config["TRUSTED_HOSTS"].split(",")]
        app.config["TRUSTED_HOSTS"] = [host for host in hosts if host] or None
    if isinstance(app.config.get("PUSH_ENDPOINTS"), str):
        prefixes = [prefix.strip() for prefix in app.config["PUSH_ENDPOINTS"].split(",")]
        app.config["PUSH_ENDPOINTS"] = tuple(prefix for prefix in prefixes if prefix)
    for flag in ("PREFER_HTTPS", "PROXY_FIX"):
        if isinstance(app.config.get(flag), str):
            app.config[flag] = app.config[flag].lower() in ("1", "true", "yes")
    if app.config.get("PROXY_FIX"):
        # Behind one proxy (nginx): trust its X-Forwarded-For/-Proto for the client's address.
        from werkzeug.middleware.proxy_fix import ProxyFix

        # (Not X-Forwarded-Host: nginx passes the real Host, and links never follow it.)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    if app.config["PREFER_HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    app.config.setdefault("DATABASE_URL", None)
    app.config["SQLALCHEMY_DATABASE_URI"] = (
        app.config.get("SQLALCHEMY_DATABASE_URI")
        or app.config["DATABASE_URL"]
        or f"sqlite:///{Path(app.instance_path) / 'pwa_app.db'}"
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql":
        # A restarted server leaves every pooled connection dead: test each one on checkout.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }


def instance_secret_key(instance_path):
    """Read the instance's generated secret key, creating it on first run."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def register_extensions(app):
    """Bind the unbound extensions to this app."""
    from pwa_app import (
        models,  # noqa: F401  (registers the tables with the metadata)
        worker,
    )
    from pwa_app.i18n import compile_catalogues, select_locale, select_timezone
    from pwa_app.json_provider import StrictJSONProvider
    from pwa_app.services import accounts
    from pwa_app.web.args import IdConverter
    from pwa_app.web.sessions import AppSessionInterface

    app.session_interface = AppSessionInterface()
    app.json = StrictJSONProvider(app)
    app.url_map.converters["int"] = IdConverter
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    compress.init_app(app)
    compile_catalogues(Path(app.root_path) / "translations")
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.user_loader(accounts.load_session_user)
    login_manager.unauthorized_handler(_unauthorized)
    worker.init_app(app)


def _unauthorized():
    """Answer API calls with JSON 401 and pages with a redirect to the login page."""
    from flask import redirect, request, url_for

    from pwa_app.errors import error_response, wants_json

    if wants_json():
        return error_response(401, "login_required")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def register_blueprints(app):
    """Attach the web pages and the JSON API."""
    from pwa_app.api import bp as api_bp
    from pwa_app.web import (
        admin,
        agencies,
        announcements,
        areas,
        auth,
        badges,
        dashboard,
        encounters,
        help_requests,
        home,
        households,
        knowledge,
        messages,
        notifications,
        photos,
        programmes,
        public,
        pwa,
        reports,
        system,
        visits,
        volunteers,
    )

    blueprints = (
        auth.bp,
        home.bp,
        households.bp,
        visits.bp,
        public.bp,
        help_requests.bp,
        messages.bp,
        encounters.bp,
        announcements.bp,
        dashboard.bp,
        volunteers.bp,
        notifications.bp,
        photos.bp,
        badges.bp,
        reports.bp,
        admin.bp,
        areas.bp,
        programmes.bp,
        agencies.bp,
        knowledge.bp,
        system.bp,
        pwa.bp,
        api_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


def register_errorhandlers(app):
    """Render error pages in the visitor's language, or JSON under /api/."""
    from pwa_app.errors import register

    register(app)


def register_request_hooks(app):
    """Security headers, the language switch and the first-login password on every request.

    They run after the transaction hooks: the first query a writing request makes must be
    the one that takes SQLite's write lock.
    """
    from pwa_app.web.access import keep_observers_to_figures
    from pwa_app.web.auth import require_own_password
    from pwa_app.web.security import register

    register(app)
    app.before_request(require_own_password)
    app.before_request(keep_observers_to_figures)


def register_template_helpers(app):
    """Filters and globals the templates share."""
    from pwa_app.web.templating import register

    register(app)


def register_cli(app):
    """Add the project's command groups to `flask`."""
    from pwa_app.cli import register

    register(app)
