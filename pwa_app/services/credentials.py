"""Open Badges 3.0: awards as OpenBadgeCredential documents a verifier can fetch."""

import uuid

from flask import current_app

from pwa_app.urls import absolute

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
SUBJECT_NAMESPACE = uuid.UUID("6f1d2a52-5a0e-4bb0-9d2f-5b7a3c1e9a11")


def issuer_profile():
    """Describe the centre as an Open Badges issuer Profile."""
    config = current_app.config
    return {
        "id": absolute("/badges/issuer"),
        "type": ["Profile"],
        "name": config["ORG_NAME_TH"],
        "description": config["ORG_NAME_EN"],
        "url": absolute("/"),
    }


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
        "issuer": issuer_profile(),
        "validFrom": award.awarded_at.replace(microsecond=0).isoformat(),
        "credentialSubject": {
            "id": f"urn:uuid:{subject_id}",
            "type": ["AchievementSubject"],
            "name": award.volunteer.display_name,
            "achievement": achievement(award.badge),
        },
    }
    if award.citation:
        document["description"] = award.citation
    return document
