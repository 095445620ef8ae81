"""Web Push: the phones that take a user's notifications, the server's VAPID key, delivery.

A subscription is the browser's PushSubscription: an endpoint at the browser maker's push
service and the keys its messages are encrypted for (RFC 8291). The endpoint comes from the
phone, so it is the one address a user hands the server to call: only the push services of
PUSH_ENDPOINTS are taken, matched by scheme, host and port, not as text, so no lookalike host,
other port, user part or private address gets through. Redirects are never followed.

The VAPID key (RFC 8292) is a P-256 key generated on first use into instance/vapid_private.pem
(mode 0600), as the badge issuers' keys are; its public half is what a phone subscribes with.
"""

import base64
import binascii
import json
import logging
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app, g
from flask_babel import lazy_gettext as _l
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from pwa_app.extensions import db
from pwa_app.models import Notification, PushSubscription, User
from pwa_app.models.base import utcnow
from pwa_app.services import notifications
from pwa_app.services.errors import ValidationError

log = logging.getLogger(__name__)

KEY_FILE = "vapid_private.pem"
ENDPOINT_MAX = 1000
# A phone or two per person, and a browser or two on each: older ones give way beyond this.
SUBSCRIPTIONS_PER_USER = 10
# An endpoint: lower-case host, optional port, and a path of URL characters only: no user
# part ("@"), no backslash, no fragment, nothing a URL parser could read two ways.
ENDPOINT = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)"
    r"(?::(?P<port>[0-9]{1,5}))?(?P<path>/[A-Za-z0-9\-._~%/?=&:+]*)"
)
# A prefix of PUSH_ENDPOINTS: the same, with "*." allowed before the host and the path optional.
PREFIX = re.compile(
    r"(?P<scheme>https?)://(?P<host>(?:\*\.)?[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)"
    r"(?::(?P<port>[0-9]{1,5}))?(?P<path>/[A-Za-z0-9\-._~%/?=&:+]*)?"
)
LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
DEFAULT_PORTS = {"https": 443, "http": 80}
P256DH_BYTES = 65  # an uncompressed P-256 point
AUTH_BYTES = 16
FIELDS = {"endpoint", "expirationTime", "keys"}
KEY_FIELDS = {"p256dh", "auth"}
# A push service answering these has forgotten the subscription: it is deleted.
GONE = (404, 410)
# Seconds to connect and to read a push service's answer.
TIMEOUT = (5, 15)
# What a phone shows (a push carries at most 4 KB, encrypted): long words are cut.
SHOWN_TITLE = 120
SHOWN_BODY = 300

NOT_ALLOWED = _l(
    "Notifications can only go through a browser's push service (Google, Mozilla, Apple or "
    "Microsoft); this address is not one of them."
)


# --- Which push services -----------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """A URL taken apart: scheme, host, port (the default filled in) and path."""

    scheme: str
    host: str
    port: int
    path: str


def _address(match):
    scheme = match["scheme"]
    port = int(match["port"]) if match["port"] else DEFAULT_PORTS[scheme]
    return Address(scheme, match["host"], port, match["path"] or "/")


def allowed_prefixes():
    """Return the allowed push services (PUSH_ENDPOINTS) as addresses, skipping bad entries."""
    found = []
    for text in current_app.config.get("PUSH_ENDPOINTS") or ():
        match = PREFIX.fullmatch(text.strip())
        if match is None:
            log.warning("PUSH_ENDPOINTS entry %r is not a URL prefix; ignored", text)
            continue
        found.append(_address(match))
    return found


def _host_matches(host, pattern):
    """Match a host against an allowed one; "*." stands for exactly one name (one label)."""
    if not pattern.startswith("*."):
        return host == pattern
    first, _, rest = host.partition(".")
    return rest == pattern[2:] and LABEL.fullmatch(first) is not None


def endpoint_allowed(endpoint):
    """Tell whether an endpoint lies at one of the allowed push services."""
    if not isinstance(endpoint, str) or len(endpoint) > ENDPOINT_MAX:
        return False
    match = ENDPOINT.fullmatch(endpoint)
    if match is None or not 0 < int(match["port"] or 443) < 65536:
        return False
    address = _address(match)
    return any(
        address.scheme == prefix.scheme
        and address.port == prefix.port
        and _host_matches(address.host, prefix.host)
        and address.path.startswith(prefix.path)
        for prefix in allowed_prefixes()
    )


# --- Subscriptions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    """A PushSubscription as a browser gives it (toJSON()), checked."""

    endpoint: str
    p256dh: str
    auth: str


def _base64url(value, size):
    """Decode base64url (padded or not) of exactly size bytes; None when it is not that."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]+={0,2}", value):
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == size else None


def _endpoint_problem(endpoint):
    if not isinstance(endpoint, str) or not endpoint:
        return _l("Give the subscription's endpoint, the address of its push service.")
    if len(endpoint) > ENDPOINT_MAX:
        return _l("Use at most %(n)d characters.", n=ENDPOINT_MAX)
    if not endpoint_allowed(endpoint):
        return NOT_ALLOWED
    return None


def _p256dh_problem(value):
    raw = _base64url(value, P256DH_BYTES)
    if raw is not None:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
            return None
        except ValueError:
            pass
    return _l("The key p256dh must be the browser's P-256 public key (65 bytes, base64url).")


def parse_subscription(data):
    """Check a browser's PushSubscription JSON; raise ValidationError naming each wrong field."""
    if not isinstance(data, dict):
        raise ValidationError(
            _l("Send the browser's push subscription as a JSON object."),
            {"body": _l("Send endpoint and keys (p256dh, auth) as a JSON object.")},
        )
    errors = {}
    for name in sorted(set(data) - FIELDS):
        errors[name] = _l("Unknown field: a subscription has endpoint, expirationTime and keys.")
    if problem := _endpoint_problem(data.get("endpoint")):
        errors["endpoint"] = problem
    expiry = data.get("expirationTime")
    if expiry is not None and (
        isinstance(expiry, bool)
        or not isinstance(expiry, int | float)
        or not math.isfinite(expiry)
        or expiry < 0
    ):
        errors["expirationTime"] = _l("expirationTime is a time in milliseconds, or null.")
    keys = data.get("keys")
    if not isinstance(keys, dict):
        errors["keys"] = _l("Give the subscription's keys: p256dh and auth.")
    else:
        for name in sorted(set(keys) - KEY_FIELDS):
            errors[f"keys.{name}"] = _l("Unknown field: the keys are p256dh and auth.")
        if problem := _p256dh_problem(keys.get("p256dh")):
            errors["keys.p256dh"] = problem
        if _base64url(keys.get("auth"), AUTH_BYTES) is None:
            errors["keys.auth"] = _l(
                "The key auth must be the browser's 16-byte secret (base64url)."
            )
    if errors:
        raise ValidationError(_l("This push subscription cannot be used."), errors)
    return Subscription(data["endpoint"], keys["p256dh"].rstrip("="), keys["auth"].rstrip("="))


def subscribe(user, data):
    """Let a phone's browser take the user's notifications; return (subscription, created).

    An endpoint already known moves to this user: one browser, the user logged in on it last.
    """
    checked = parse_subscription(data)
    row, created = _subscription_at(checked.endpoint), False
    if row is None:
        try:
            with db.session.begin_nested():
                row = PushSubscription(
                    endpoint=checked.endpoint, user_id=user.id, p256dh=checked.p256dh,
                    auth=checked.auth, created_at=utcnow(),
                )  # fmt: skip
                db.session.add(row)
            created = True
        except IntegrityError:  # the same browser, twice at once: the other request made it
            row = _subscription_at(checked.endpoint)
    row.user_id, row.p256dh, row.auth = user.id, checked.p256dh, checked.auth
    db.session.flush()
    _keep_latest(user)
    return row, created


def _subscription_at(endpoint):
    """Return the subscription of an endpoint, whoever holds it, or None."""
    return db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))


def _keep_latest(user):
    """Delete the user's oldest subscriptions beyond SUBSCRIPTIONS_PER_USER."""
    kept = (
        select(PushSubscription.id)
        .where(PushSubscription.user_id == user.id)
        .order_by(PushSubscription.created_at.desc(), PushSubscription.id.desc())
        .limit(SUBSCRIPTIONS_PER_USER)
    )
    db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.user_id == user.id, PushSubscription.id.not_in(kept.scalar_subquery())
        )
    )


def unsubscribe(user, data):
    """Stop pushes to one of the user's browsers, named by its endpoint; return whether it was.

    Another user's endpoint is as unknown as one never seen.
    """
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_MAX:
        raise ValidationError(
            _l("This push subscription cannot be used."),
            {"endpoint": _l("Give the subscription's endpoint, the address of its push service.")},
        )
    result = db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.user_id == user.id, PushSubscription.endpoint == endpoint
        )
    )
    return result.rowcount > 0


def subscription_ids(user_id):
    """Return the ids of a user's subscriptions."""
    return db.session.scalars(
        select(PushSubscription.id).where(PushSubscription.user_id == user_id)
    ).all()


# --- The server's key (VAPID) ------------------------------------------------------------------


def key_path():
    """Return where the VAPID private key lives (in instance/)."""
    return Path(current_app.instance_path) / KEY_FILE


def _create_key(path):
    """Write a new private key readable only by this server's user; a race keeps the first."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    try:
        os.link(draft, path)  # fails if another process made one first: theirs stands
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def vapid():
    """Return the server's VAPID signer, creating its key on first use."""
    path = key_path()
    if not path.exists():
        _create_key(path)
    return Vapid.from_pem(path.read_bytes())


def public_key():
    """Return the VAPID public key as browsers take it: the P-256 point, base64url."""
    point = vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


def contact():
    """Return who runs this server, for the push services (VAPID's "sub")."""
    configured = current_app.config.get("PUSH_CONTACT")
    if configured:
        return configured
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    return base.rstrip("/") if base.startswith("https://") else "mailto:push@localhost"


# --- Delivery ----------------------------------------------------------------------------------


class _NoRedirects(requests.Session):
    """A session that never follows a redirect: a push service's 3xx counts as a failure."""

    def request(self, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)


@dataclass(frozen=True)
class Outcome:
    """How one delivery went: sent, gone (subscription deleted), retry (later) or failed."""

    status: str
    retry_after: int | None = None


def payload(notification, language):
    """Return what a phone shows, as JSON bytes: title, body and the path the tap opens."""
    shown = notifications.render(notification, language)
    return json.dumps(
        {
            "title": shown.title[:SHOWN_TITLE],
            "body": shown.body[:SHOWN_BODY],
            "url": f"/notifications/{notification.id}",
            "tag": f"notification-{notification.id}",
            "lang": language,
        },
        ensure_ascii=False,
    ).encode()


def _retry_after(error):
    value = error.retry_after
    return int(value) if value and str(value).isdigit() else None


def deliver(subscription_id, notification_id):
    """Push one notification to one browser; return the Outcome.

    No transaction is held while the push service answers (on SQLite it would hold up every
    writer): the rows are read, the transaction ended, then the message sent.
    """
    subscription = db.session.get(PushSubscription, subscription_id)
    notification = db.session.get(Notification, notification_id)
    if subscription is None or notification is None:
        db.session.rollback()
        return Outcome("gone")
    if subscription.user_id != notification.user_id or notification.read_at is not None:
        db.session.rollback()
        return Outcome("failed")  # another user's browser now, or already read in the app
    if not endpoint_allowed(subscription.endpoint):
        log.warning("push subscription %s is at a service no longer allowed", subscription_id)
        db.session.rollback()
        return Outcome("failed")
    language = db.session.get(User, notification.user_id).preferred_language or "th"
    data = payload(notification, language)
    info = {
        "endpoint": subscription.endpoint,
        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
    }
    signer = vapid()
    db.session.rollback()
    try:
        with _NoRedirects() as session:
            webpush(
                info,
                data,
                vapid_private_key=signer,
                vapid_claims={"sub": contact()},
                ttl=current_app.config["PUSH_TTL_SECONDS"],
                timeout=TIMEOUT,
                headers={"Urgency": "normal"},
                requests_session=session,
            )
    except WebPushException as error:
        status = error.status_code
        if status in GONE:
            forget(subscription_id)
            return Outcome("gone")
        if status is None or status == 429 or status >= 500:
            return Outcome("retry", _retry_after(error))
        log.warning("push service refused a message (%s): %s", status, error.message)
        return Outcome("failed")
    except requests.RequestException as error:
        log.info("push service unreachable, will retry: %s", error)
        return Outcome("retry")
    return Outcome("sent")


def forget(subscription_id):
    """Delete a subscription its push service no longer knows, in a transaction of its own."""
    before, g.may_write = g.get("may_write", False), True  # SQLite: the write lock at once
    try:
        db.session.execute(delete(PushSubscription).where(PushSubscription.id == subscription_id))
        db.session.commit()
    finally:
        g.may_write = before
