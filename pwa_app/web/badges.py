"""Badges anyone can verify: the page, its Open Badges 3.0 JSON and VC-JWT, the issuer's keys."""

from flask import Blueprint, abort, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Badge
from pwa_app.services import cards, credentials, issuer_keys, recognition
from pwa_app.urls import absolute
from pwa_app.web.access import read_only

bp = Blueprint("badges", __name__, url_prefix="/badges")

JSON_LD = "application/ld+json"
VC_JWT = "application/vc+jwt"  # the media type VC-JOSE-COSE registers for a signed credential
# Verifiers may cache keys and the revocation list, but not for long: a rotation or a
# revocation must reach them within minutes.
PUBLIC_SHORT_CACHE = "public, max-age=300"


def find_award(public_id):
    """Return the award with this public id, or 404."""
    return recognition.award_by_public_id(public_id)


def png_of(badge):
    """Return the PNG twin of a badge's SVG image (social sites do not show SVG)."""
    return badge.image.removesuffix(".svg") + ".png"


def verify_url(award):
    """Return the public verification URL of an award."""
    return absolute(f"/badges/verify/{award.public_id}")


def wants_json_ld():
    """Tell whether the caller asked for the credential rather than the page."""
    # HTML first: link-preview crawlers (Facebook, LINE) send "Accept: */*".
    best = request.accept_mimetypes.best_match(["text/html", JSON_LD, "application/json"])
    return best in (JSON_LD, "application/json")


def public(response, mimetype=JSON_LD, cache=None):
    """Mark a public, read-only answer: its type, any origin may read it, how long to keep it."""
    response.mimetype = mimetype
    response.headers["Access-Control-Allow-Origin"] = "*"  # public, read-only, no cookies
    if cache:
        response.headers["Cache-Control"] = cache
    return response


def revoked_response(award):
    """Answer 410 with the reason an award was revoked."""
    response = jsonify(
        error="revoked",
        message=award.revoked_reason,
        revoked_at=award.revoked_at.isoformat(),
        id=verify_url(award),
    )
    response.status_code = 410
    return public(response)


def credential_response(award):
    """Answer with the OpenBadgeCredential, or 410 with the reason if it was revoked."""
    if award.revoked_at is not None:
        response = revoked_response(award)
    else:
        response = public(jsonify(credentials.credential(award, verify_url(award))))
    response.headers["Vary"] = "Accept"
    return response


@bp.route("/verify/<public_id>")
@read_only
def verify(public_id):
    """Show an award to anyone, with share links; the same URL gives JSON-LD on request."""
    award = find_award(public_id)
    if wants_json_ld():
        return credential_response(award)
    status = 410 if award.revoked_at is not None else 200
    response = render_template(
        "badges/verify.html",
        award=award,
        url=verify_url(award),
        image_url=absolute(url_for("static", filename=png_of(award.badge))),
    )
    return response, status, {"Vary": "Accept"}


@bp.route("/verify/<public_id>.json")
@read_only
def verify_json(public_id):
    """The award as an Open Badges 3.0 OpenBadgeCredential."""
    return credential_response(find_award(public_id))


@bp.route("/verify/<public_id>.jwt")
@read_only
def verify_jwt(public_id):
    """The award as a VC-JWT signed by its issuer, or 410 with the reason if it was revoked."""
    award = find_award(public_id)
    if award.revoked_at is not None:
        return revoked_response(award)
    token = credentials.signed_credential(award, verify_url(award))
    return public(make_response(token), VC_JWT)


@bp.route("/verify/<public_id>/certificate")
@read_only
def certificate(public_id):
    """A printable certificate with a QR code to the verification page."""
    award = find_award(public_id)
    if award.revoked_at is not None:
        abort(410)
    url = verify_url(award)
    return render_template(
        "badges/certificate.html",
        award=award,
        url=url,
        qr=cards.qr_svg(url, _("QR code of the verification page")),
    )


@bp.route("/issuer")
@bp.route("/issuers/<org>")
@read_only
def issuer(org=None):
    """An issuer (by default the centre) as an Open Badges issuer profile."""
    code = issuer_keys.require_issuer(org or credentials.issuer_code())
    profile = credentials.issuer_profile(code)
    return public(jsonify({"@context": credentials.CONTEXT, **profile}))


@bp.route("/issuers/<org>/jwks.json")
@read_only
def jwks(org):
    """An issuer's public keys, current and retired, as a JSON Web Key Set."""
    keys = issuer_keys.public_keys(issuer_keys.require_issuer(org))
    return public(jsonify(keys=keys), "application/jwk-set+json", PUBLIC_SHORT_CACHE)


@bp.route("/issuers/<org>/keys/<thumbprint>")
@read_only
def key(org, thumbprint):
    """One public key of an issuer: what a VC-JWT's kid names."""
    jwk = issuer_keys.public_key(issuer_keys.require_issuer(org), thumbprint[:64])
    return public(jsonify(jwk), "application/jwk+json", PUBLIC_SHORT_CACHE)


@bp.route("/issuers/<org>/revocations")
@read_only
def revocations(org):
    """An issuer's revoked credentials, as a 1EdTech revocation list."""
    code = issuer_keys.require_issuer(org)
    revoked = [a for a in recognition.revoked_awards() if credentials.issuer_code(a) == code]
    document = credentials.revocation_list(code, revoked, verify_url)
    return public(jsonify(document), "application/json", PUBLIC_SHORT_CACHE)


@bp.route("/achievements/<code>")
@read_only
def achievement(code):
    """A badge of the catalogue as an Open Badges achievement."""
    badge = db.session.scalar(select(Badge).where(Badge.code == code[:40]))
    if badge is None:
        abort(404)
    response = jsonify({"@context": credentials.CONTEXT, **credentials.achievement(badge)})
    response.mimetype = JSON_LD
    return response
