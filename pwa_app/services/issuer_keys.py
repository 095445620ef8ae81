"""Each badge issuer's signing keys: kept in instance/, published as a JWKS, rotated by command.

A key is a P-256 key for ES256, which every JOSE library and browser verifies. The private part
lives in one file per key (mode 0600) under instance/issuer_keys/<CODE>/, never in the database
or the repository. Rotating makes a new current key and strips the private part from the old
ones: their public halves stay in the JWKS as "retired", so earlier credentials still verify,
and a stolen old file can no longer sign anything.
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from joserfc.jwk import ECKey
from werkzeug.exceptions import NotFound

from pwa_app.urls import absolute

ALGORITHM = "ES256"
CURVE = "P-256"
SUFFIX = ".jwk"


def issuer_codes():
    """Return the codes of the issuers this server signs for: every organisation's."""
    from pwa_app.services import organisations  # organisations -> audit -> ... -> here

    return {org.code for org in organisations.all_organisations()}


def require_issuer(code):
    """Return the issuer code if this server signs for it, or raise NotFound."""
    if code not in issuer_codes():
        raise NotFound()
    return code


def key_folder(code):
    """Return the folder of an issuer's key files, created private on first use."""
    folder = Path(current_app.instance_path) / "issuer_keys" / code
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _write_private(path, data):
    """Write a key file that only this server's user can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)


def _files(code):
    """Return an issuer's key files, oldest first (their names start with the creation time)."""
    return sorted(key_folder(code).glob(f"*{SUFFIX}"))


def create_key(code):
    """Make a new current key for an issuer and retire the others; return its thumbprint."""
    key = ECKey.generate_key(CURVE, private=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    earlier = _files(code)
    _write_private(
        key_folder(code) / f"{stamp}-{key.thumbprint()}{SUFFIX}", key.as_dict(private=True)
    )
    for path in earlier:
        public = {k: v for k, v in json.loads(path.read_text()).items() if k != "d"}
        path.write_text(json.dumps(public))
    return key.thumbprint()


def signing_key(code):
    """Return the issuer's current private key, creating one on first use."""
    files = _files(code)
    if not files:
        create_key(code)
        files = _files(code)
    return ECKey.import_key(json.loads(files[-1].read_text()))


def issuer_path(code):
    """Return the path under which an issuer's public documents live."""
    return f"/badges/issuers/{code}"


def key_id(code, thumbprint):
    """Return a key's id: the URL where its public JWK can be fetched, as OB 3.0 asks."""
    return absolute(f"{issuer_path(code)}/keys/{thumbprint}")


def public_keys(code):
    """Return the issuer's public keys as JWK dicts, newest first, each with its status."""
    files = _files(code)
    if not files:
        signing_key(code)
        files = _files(code)
    keys = []
    for index, path in enumerate(reversed(files)):
        key = ECKey.import_key(json.loads(path.read_text()))
        jwk = key.as_dict(private=False)
        jwk.update(kid=key_id(code, key.thumbprint()), use="sig", alg=ALGORITHM)
        jwk["status"] = "current" if index == 0 else "retired"
        keys.append(jwk)
    return keys


def public_key(code, thumbprint):
    """Return one of the issuer's public keys by thumbprint, or raise NotFound."""
    wanted = key_id(code, thumbprint)
    for jwk in public_keys(code):
        if jwk["kid"] == wanted:
            return jwk
    raise NotFound()
