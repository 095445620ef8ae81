"""Web Push: the server's public key, and the caller's browsers that take their notifications."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from pwa_app.api import bp
from pwa_app.errors import error_response
from pwa_app.services import push
from pwa_app.web.access import read_only


def json_body():
    """Return the request's JSON body, or None when it is not JSON."""
    return request.get_json(silent=True)


def not_json():
    return error_response(400, "invalid_json", _l("The body must be JSON."))


@bp.route("/push/key")
@read_only
@login_required
def push_key():
    """The VAPID public key a browser subscribes with (applicationServerKey)."""
    return {"key": push.public_key()}


@bp.route("/push/subscriptions", methods=["POST"])
@login_required
def subscribe():
    """Let this browser take the caller's notifications (its PushSubscription JSON)."""
    body = json_body()
    if body is None:
        return not_json()
    subscription, created = push.subscribe(current_user, body)
    return {"endpoint": subscription.endpoint, "created": created}, 201 if created else 200


@bp.route("/push/subscriptions", methods=["DELETE"])
@login_required
def unsubscribe():
    """Stop pushes to this browser: the body names its endpoint (or is the whole subscription)."""
    body = json_body()
    if body is None:
        return not_json()
    return {"deleted": push.unsubscribe(current_user, body)}
