"""Open Badges 3.0: awards as OpenBadgeCredential documents, plain or signed as a VC-JWT."""

import uuid

from flask import current_app
from joserfc import jwt

from pwa_app.services import issuer_keys, organisations
from pwa_app.urls import absolute

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
SUBJECT_NAMESPACE = uuid.UUID("6f1d2a52-5a0e-4bb0-9d2f-5b7a3c1e9a11")


def issuer_code(award=None):
    """Return the code of the issuer of an award: the organisation of whoever awarded it (or,
    for a badge earned by its rule, the volunteer's); without an award, the configured one."""
    if award is not None:
        person = award.awarded_by or award.volunteer
        if person is not None and person.org is not None:
            return person.org.code
    return current_app.config["ORG_CODE"]


def issuer_profile(code=None):
    """Describe an issuer as an Open Badges Profile that names its public keys."""
    config = current_app.config
    code = code or issuer_code()
    organisation = organisations.by_code(code)
    path = issuer_keys.issuer_path(code)
    return {
        "id": absolute(path),
        "type": ["Profile"],
        "name": organisation.name_th if organisation else config["ORG_NAME_TH"],
        "description": organisation.name_en if organisation else config["ORG_NAME_EN"],
        "url": absolute("/"),
        # The OAuth name for "where my keys are", so a verifier finds them from the credential.
        "jwks_uri": absolute(f"{path}/jwks.json"),
    }


def revocation_list_url(code):
    """Return the URL of an issuer's 1EdTech revocation list."""
    return absolute(f"{issuer_keys.issuer_path(code)}/revocations")


def achievement(badge):
    """Describe a badge as an Open Badges Achievement."""
    return {
        "id": absolute(f"/badges/achievements/{badge.code}"),
        "type": ["Achievement"],
        "achievementType": "Badge",
        "name": badge.name_th,
        "description": badge.description_th or badge.name_th,
        "criteria": {"narrative": f"{badge.description_th} / {badge.description_en}"},
        "image": {
            "id": absolute("/static/" + badge.image.removesuffix(".svg") + ".png"),
            "type": "Image",
        },
        "inLanguage": "th",
        "alignment": [],
        "creator": issuer_profile(),
    }


def credential(award, verify_url):
    """Describe an award as an OpenBadgeCredential (unsigned; verified by fetching this URL)."""
    subject_id = uuid.uuid5(SUBJECT_NAMESPACE, f"volunteer:{award.volunteer_id}")
    document = {
        "@context": CONTEXT,
        "id": verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{award.badge.name_th} · {award.volunteer.display_name}",
        "issuer": issuer_profile(issuer_code(award)),
        "validFrom": award.awarded_at.replace(microsecond=0).isoformat(),
        "credentialSubject": {
            "id": f"urn:uuid:{subject_id}",
            "type": ["AchievementSubject"],
            "name": award.volunteer.display_name,
            "achievement": achievement(award.badge),
        },
        "credentialStatus": {
            "id": revocation_list_url(issuer_code(award)),
            "type": "1EdTechRevocationList",
        },
    }
    if award.citation:
        document["description"] = award.citation
    return document


def signed_credential(award, verify_url):
    """Return the award's credential as a VC-JWT signed with its issuer's current key.

    The payload is the credential itself with the claims OB 3.0 section 8.2 maps onto it;
    the header carries only alg, kid and typ, as that section allows.
    """
    code = issuer_code(award)
    document = credential(award, verify_url)
    key = issuer_keys.signing_key(code)
    claims = {
        **document,
        "iss": document["issuer"]["id"],
        "jti": document["id"],
        "nbf": int(award.awarded_at.replace(microsecond=0).timestamp()),
        "sub": document["credentialSubject"]["id"],
    }
    header = {
        "alg": issuer_keys.ALGORITHM,
        "kid": issuer_keys.key_id(code, key.thumbprint()),
        "typ": "JWT",
    }
    return jwt.encode(header, claims, key, algorithms=[issuer_keys.ALGORITHM])


def revocation_list(code, revoked_awards, verify_url_of):
    """Describe an issuer's revoked credentials as a 1EdTech revocation list."""
    return {
        "id": revocation_list_url(code),
        "issuer": issuer_profile(code)["id"],
        "revokedCredentials": [
            {"id": verify_url_of(award), "revoked": True, "revocationReason": award.revoked_reason}
            for award in revoked_awards
        ],
    }
