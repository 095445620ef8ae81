"""Accounts: creating users, logging in with throttling, passwords, sessions, areas."""

import secrets
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from pwa_app.extensions import db
from pwa_app.models import Area, User
from pwa_app.models.base import utcnow
from pwa_app.services import audit, organisations, passwords, scope, throttle
from pwa_app.services.errors import NotFound, Throttled, ValidationError
from pwa_app.services.validation import NAME_MAX, normalize_phone, phone_problem, text_problem
from pwa_app.vocab import ROLES

LOGIN_BUCKET = "login"


@dataclass
class UserInput:
    """What a form or the CLI gives to create or edit a user."""

    phone: str = ""
    display_name: str = ""
    role: str = "volunteer"
    area_codes: list[str] = field(default_factory=list)
    password: str | None = None
    preferred_language: str | None = None
    # The organisation's code; None: the creator's, or the only organisation.
    org_code: str | None = None


def new_session_token():
    """Return a fresh random token that ties sessions to the account."""
    return secrets.token_urlsafe(24)


def load_session_user(session_id):
    """Return the active user a session belongs to, or None if that session has ended."""
    user_id, _, token = (session_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def user_for(viewer, user_id):
    """Return a user of the viewer's organisation, or raise NotFound."""
    user = db.session.get(User, user_id)
    if user is None or user.org_id != viewer.org_id:
        raise NotFound()
    return user


def find_by_phone(phone):
    """Return the user with this phone number (any format), or None."""
    normalized = normalize_phone(phone)
    if normalized is None:
        return None
    return db.session.scalar(select(User).where(User.phone == normalized))


def resolve_areas(codes, role="volunteer", org=None):
    """Return the areas for area codes; raise on any unknown code.

    Volunteers and staff work in subdistricts or villages of their organisation; an observer
    may be given areas of any level, across organisations.
    """
    codes = [code.strip().upper() for code in codes if code and code.strip()]
    if not codes:
        return []
    areas = db.session.scalars(select(Area).where(Area.code.in_(codes))).all()
    found = {area.code for area in areas}
    unknown = [code for code in codes if code not in found]
    wrong_level = []
    if role != "observer":
        inside = set(org_areas_of(org, [a.id for a in areas])) if org is not None else None
        wrong_level = [
            a.code
            for a in areas
            if a.level not in ("subdistrict", "village")
            or (inside is not None and a.id not in inside)
        ]
    if unknown or wrong_level:
        raise ValidationError(
            fields={
                "areas": _l(
                    "Unknown area code: %(codes)s. Use a subdistrict (NI, BL) or a village "
                    "(NI-01).",
                    codes=", ".join(unknown + wrong_level),
                )
            }
        )
    return sorted(areas, key=lambda a: a.code)


def org_areas_of(org, area_ids):
    """Return which of the area ids lie inside the organisation's areas."""
    return db.session.scalars(
        scope.areas_below(scope.org_roots(org.id)).where(Area.id.in_(area_ids))
    ).all()


def _check_user_input(data, user=None, org=None):
    """Collect every problem with a user's fields at once."""
    errors = {}
    if problem := phone_problem(data.phone):
        errors["phone"] = problem
    else:
        existing = find_by_phone(data.phone)
        if existing is not None and existing is not user:
            errors["phone"] = _l("Another account already uses this phone number.")
    if problem := text_problem(data.display_name, NAME_MAX):
        errors["display_name"] = problem
    if data.role not in ROLES:
        errors["role"] = _l("Choose a role.")
    if data.password is not None and (
        problem := passwords.problem(data.password, normalize_phone(data.phone))
    ):
        errors["password"] = problem
    try:
        areas = resolve_areas(data.area_codes, data.role, org)
    except ValidationError as error:
        errors.update(error.fields)
        areas = []
    if data.role == "volunteer" and not areas and "areas" not in errors:
        errors["areas"] = _l("A volunteer needs at least one area.")
    if data.role == "observer" and not areas and "areas" not in errors:
        errors["areas"] = _l("An observer needs at least one area.")
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)
    return areas


def create_user(data, by=None):
    """Create a user from validated input; raise ValidationError listing every problem."""
    if data.password is None:
        raise ValidationError(fields={"password": _l("Enter a password.")})
    org = by.org if by is not None and not data.org_code else organisations.resolve(data.org_code)
    areas = _check_user_input(data, org=org)
    user = User(
        org=org,
        phone=normalize_phone(data.phone),
        display_name=data.display_name.strip(),
        role=data.role,
        password_hash=passwords.hash_password(data.password),
        session_token=new_session_token(),
        preferred_language=data.preferred_language,
        active=True,
        areas=areas,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", by, user, role=user.role)
    return user


def update_user(user, data, by):
    """Change a user's name, phone, role and areas."""
    areas = _check_user_input(data, user, user.org)
    role_changed = user.role != data.role
    user.phone = normalize_phone(data.phone)
    user.display_name = data.display_name.strip()
    user.role = data.role
    user.areas = areas
    scope.forget_village_ids()
    if role_changed:
        end_sessions(user)
    db.session.flush()
    audit.record("user.update", by, user, role=user.role, areas=[a.code for a in areas])
    return user


def _refuse_when_throttled(keys):
    """Raise Throttled when the keys have failed too often; parallel guesses queue first."""
    config = current_app.config
    throttle.hold(LOGIN_BUCKET, keys)  # each parallel guess sees the others' failures
    if throttle.is_limited(
        LOGIN_BUCKET, keys, config["LOGIN_MAX_FAILURES"], config["LOGIN_WINDOW"]
    ):
        raise Throttled(
            _l("Too many failed attempts. Wait 15 minutes and try again, or ask staff to help."),
            retry_after=int(config["LOGIN_WINDOW"].total_seconds()),
        )


def authenticate(phone, password, address):
    """Return the user for a phone and password; throttle repeated failures."""
    normalized = normalize_phone(phone) or (phone or "").strip()[:30]
    keys = [f"phone:{normalized}", f"ip:{address}"]
    _refuse_when_throttled(keys)
    user = find_by_phone(phone)
    ok = passwords.verify_password(user.password_hash if user else passwords.dummy_hash(), password)
    if not ok or user is None:
        throttle.record(LOGIN_BUCKET, keys)
        raise ValidationError(_l("The phone number or password is wrong."))
    if not user.active:
        raise ValidationError(_l("This account has been deactivated. Please contact the centre."))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    throttle.clear(LOGIN_BUCKET, f"phone:{normalized}")
    user.last_login_at = utcnow()
    return user


def end_sessions(user):
    """End every session of the user, on every device."""
    user.session_token = new_session_token()


def change_password(user, current_password, new_password):
    """Change one's own password after checking the current one; end other sessions.

    Wrong current passwords count like failed logins of the same phone, so a stolen session
    cannot guess the password here more often than at the login page.
    """
    keys = [f"phone:{user.phone}"]
    _refuse_when_throttled(keys)
    if not passwords.verify_password(user.password_hash, current_password):
        throttle.record(LOGIN_BUCKET, keys)
        raise ValidationError(fields={"current_password": _l("Your current password is wrong.")})
    if problem := passwords.problem(new_password, user.phone):
        raise ValidationError(fields={"new_password": problem})
    if passwords.verify_password(user.password_hash, new_password):
        raise ValidationError(
            fields={"new_password": _l("The new password must differ from the current one.")}
        )
    user.password_hash = passwords.hash_password(new_password)
    user.must_change_password = False
    end_sessions(user)
    audit.record("user.password_change", user, user)


def reset_password(user, new_password, by):
    """Set a new password for someone else (admin); end all their sessions."""
    if problem := passwords.problem(new_password, user.phone):
        raise ValidationError(fields={"password": problem})
    user.password_hash = passwords.hash_password(new_password)
    end_sessions(user)
    audit.record("user.password_reset", by, user)


def set_active(user, active, by):
    """Activate or deactivate an account; deactivation ends its sessions."""
    if by is not None and user.id == by.id and not active:
        raise ValidationError(_l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        end_sessions(user)
    audit.record("user.activate" if active else "user.deactivate", by, user)


def list_users(viewer, role=None):
    """Return the users of the viewer's organisation for the admin list, by role."""
    stmt = scope.scope_users(select(User), viewer).order_by(User.role, User.display_name)
    if role:
        stmt = stmt.where(User.role == role)
    return db.session.scalars(stmt).all()
