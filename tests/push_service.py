"""A push service and a browser for the Web Push tests, on this machine only.

`PushService` is a tiny HTTP server on a loopback port that takes what the app sends, as a
browser maker's push service would, and answers with the statuses a test gives it. `Browser`
holds what a real browser keeps for a subscription: a P-256 key pair and an auth secret, with
which it decrypts a message (RFC 8291, aes128gcm).
"""

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from joserfc import jwt
from joserfc.jwk import ECKey

# Every wait for the app's worker ends here at the latest: a hang, not a slow machine.
WAIT_SECONDS = 60


def b64url(raw):
    """Encode bytes as unpadded base64url, as Web Push does."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text):
    """Decode unpadded base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Delivery:
    """One request the push service received."""

    path: str
    headers: dict
    body: bytes


class PushService:
    """A push service on 127.0.0.1 that records each request and answers with given statuses.

    `answers` is a list of (status, headers) used in turn; the last one repeats.
    """

    def __init__(self):
        self.deliveries = []
        self.answers = [(201, {})]
        self.arrived = threading.Condition()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with service.arrived:
                    index = len(service.deliveries)
                    service.deliveries.append(
                        Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status, headers = service.answers[min(index, len(service.answers) - 1)]
                    service.arrived.notify_all()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        """The prefix every endpoint of this service starts with."""
        return f"http://127.0.0.1:{self.server.server_port}/"

    def wait_for(self, count, seconds=WAIT_SECONDS):
        """Wait until count requests have arrived; return them all."""
        with self.arrived:
            reached = self.arrived.wait_for(lambda: len(self.deliveries) >= count, seconds)
        assert reached, f"{len(self.deliveries)} of {count} pushes arrived in {seconds} s"
        return list(self.deliveries)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@dataclass
class Browser:
    """A browser's side of a subscription: its key pair and auth secret."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, endpoint):
        """Return the PushSubscription JSON a browser would hand the page."""
        point = self.private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }

    def read(self, delivery):
        """Decrypt a delivered message (RFC 8291, aes128gcm) and return its JSON."""
        assert delivery.headers["content-encoding"] == "aes128gcm"
        plain = http_ece.decrypt(
            delivery.body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


def vapid_claims(delivery, server_key):
    """Check a delivery's VAPID Authorization (RFC 8292) against the server's public key
    (base64url of its point); return the JWT's header and claims."""
    scheme, _, rest = delivery.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    parts = dict(part.strip().split("=", 1) for part in rest.split(","))
    assert parts["k"] == server_key, "the message names another key than the server's"
    point = unb64url(server_key)
    key = ECKey.import_key(
        {"kty": "EC", "crv": "P-256", "x": b64url(point[1:33]), "y": b64url(point[33:65])}
    )
    token = jwt.decode(parts["t"], key, algorithms=["ES256"])  # raises on a bad signature
    return token.header, token.claims
