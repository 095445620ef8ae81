"""Signed badges: a VC-JWT anyone checks with the issuer's published keys; rotation; revocation."""

import json
import stat
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet
from joserfc.util import urlsafe_b64decode, urlsafe_b64encode
from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Badge
from pwa_app.services import recognition

ISSUER = "/badges/issuers/MDH"


@pytest.fixture
def given(app, create_user):
    """An award given by staff, as anyone outside would see it (logged out)."""
    volunteer = create_user("volunteer", areas=["NI-01"])
    staff = create_user("staff")
    badge = db.session.scalar(select(Badge).where(Badge.code == "smart"))
    award = recognition.award(badge, volunteer, staff, "ช่วยเหลืออย่างมีศักดิ์ศรี")
    db.session.commit()
    return award


def verify(client, token):
    """Check a VC-JWT the way an outside verifier would: with the JWKS fetched from the app."""
    keys = KeySet.import_key_set(client.get(f"{ISSUER}/jwks.json").json)
    return jwt.decode(token, keys, algorithms=["ES256"])


def test_the_jwt_verifies_with_the_published_keys_and_carries_the_credential(client, given):
    response = client.get(f"/badges/verify/{given.public_id}.jwt")
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    token = verify(client, response.get_data(as_text=True))
    assert token.header["alg"] == "ES256" and token.header["typ"] == "JWT"
    assert set(token.header) == {"alg", "kid", "typ"}  # OB 3.0 allows no other JOSE header
    document = client.get(f"/badges/verify/{given.public_id}.json").json
    claims = dict(token.claims)
    assert claims.pop("iss") == document["issuer"]["id"]
    assert claims.pop("jti") == document["id"]
    assert claims.pop("sub") == document["credentialSubject"]["id"]
    assert claims.pop("nbf") == int(given.awarded_at.replace(microsecond=0).timestamp())
    assert claims == document
    assert document["credentialStatus"]["type"] == "1EdTechRevocationList"
    # The kid is a URL that answers with that one public key.
    key_path = token.header["kid"].removeprefix("http://localhost")
    assert client.get(key_path).json["kid"] == token.header["kid"]


def test_the_issuer_profile_names_its_keys(client, given):
    profile = client.get(ISSUER).json
    assert profile["type"] == ["Profile"] and profile["jwks_uri"].endswith(f"{ISSUER}/jwks.json")
    credential = client.get(f"/badges/verify/{given.public_id}.json").json
    assert credential["issuer"]["jwks_uri"] == profile["jwks_uri"]
    assert client.get("/badges/issuer").json["jwks_uri"] == profile["jwks_uri"]


def test_one_changed_byte_fails_verification(client, given):
    token = client.get(f"/badges/verify/{given.public_id}.jwt").get_data(as_text=True)
    header, payload, signature = token.split(".")
    raw = bytearray(urlsafe_b64decode(payload.encode()))
    raw[raw.index(b"smart")] = ord("S")
    forged = urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(BadSignatureError):
        verify(client, f"{header}.{forged}.{signature}")


def test_after_rotation_old_jwts_still_verify_and_new_ones_use_the_new_key(
    app, runner, client, given
):
    before = client.get(f"/badges/verify/{given.public_id}.jwt").get_data(as_text=True)
    result = runner.invoke(args=["badges", "rotate-key", "--org", "MDH"])
    assert result.exit_code == 0, result.output
    after = client.get(f"/badges/verify/{given.public_id}.jwt").get_data(as_text=True)
    old, new = verify(client, before), verify(client, after)
    assert old.header["kid"] != new.header["kid"]
    keys = {key["kid"]: key["status"] for key in client.get(f"{ISSUER}/jwks.json").json["keys"]}
    assert keys[old.header["kid"]] == "retired" and keys[new.header["kid"]] == "current"


def test_rotating_an_unknown_issuer_is_refused(runner):
    result = runner.invoke(args=["badges", "rotate-key", "--org", "NOPE"])
    assert result.exit_code != 0 and "NOPE" in result.output


def test_a_revoked_award_answers_410_and_is_listed_as_revoked(client, given, create_user):
    staff = create_user("staff")
    recognition.revoke(given, staff, "มอบผิดคน")
    db.session.commit()
    response = client.get(f"/badges/verify/{given.public_id}.jwt")
    assert response.status_code == 410 and response.json["message"] == "มอบผิดคน"
    listing = client.get(f"{ISSUER}/revocations")
    assert listing.status_code == 200 and "public" in listing.headers["Cache-Control"]
    entry = next(e for e in listing.json["revokedCredentials"] if e["id"].endswith(given.public_id))
    assert entry["revoked"] is True and entry["revocationReason"] == "มอบผิดคน"
    page = client.get(f"/badges/verify/{given.public_id}").get_data(as_text=True)
    assert f"{given.public_id}.jwt" not in page


def test_the_verify_page_links_the_signed_badge(client, given):
    page = client.get(f"/badges/verify/{given.public_id}").get_data(as_text=True)
    assert f'href="http://localhost/badges/verify/{given.public_id}.jwt"' in page


def test_keys_are_private_files_and_only_public_parts_are_served(app, client, given):
    client.get(f"/badges/verify/{given.public_id}.jwt")
    folder = Path(app.instance_path) / "issuer_keys" / "MDH"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = list(folder.glob("*.jwk"))
    assert files and all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files)
    documents = [json.loads(path.read_text()) for path in files]
    private = [document["d"] for document in documents if "d" in document]
    assert len(private) == 1  # retired keys keep no private part
    jwks = client.get(f"{ISSUER}/jwks.json")
    assert jwks.mimetype == "application/jwk-set+json"
    assert "public" in jwks.headers["Cache-Control"] and "max-age" in jwks.headers["Cache-Control"]
    assert jwks.json["keys"] and all("d" not in key for key in jwks.json["keys"])
    for path in (f"{ISSUER}/jwks.json", ISSUER, f"{ISSUER}/revocations", "/badges/issuer"):
        assert private[0] not in client.get(path).get_data(as_text=True)
    assert client.get("/static/../instance/issuer_keys/MDH").status_code == 404


def test_an_unknown_issuer_is_not_found(client):
    unknown = ("XYZ", "XYZ/jwks.json", "XYZ/revocations", "MDH/keys/nothing")
    for path in (f"/badges/issuers/{rest}" for rest in unknown):
        assert client.get(path).status_code == 404
