"""Administration: user accounts, their roles and areas, and the badge catalogue."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from pwa_app.database import keep_on_error
from pwa_app.extensions import db
from pwa_app.models import Badge
from pwa_app.services import accounts, catalogue
from pwa_app.services import audit as audit_service
from pwa_app.services.areas import LEVELS as AREA_LEVELS
from pwa_app.services.errors import ValidationError
from pwa_app.vocab import ROLES
from pwa_app.web.access import admin_required
from pwa_app.web.choices import area_choices
from pwa_app.web.forms import REQUIRED, AppForm, attach_errors, refuse

bp = Blueprint("admin", __name__, url_prefix="/admin")


class UserForm(AppForm):
    """A user's identity, role and areas; the password only when creating."""

    display_name = StringField(_l("Name"))
    phone = StringField(_l("Phone number (login)"))
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(code, text) for code, text in ROLES.items()],
        validate_choice=False,
    )
    areas = SelectMultipleField(_l("Areas"), validate_choice=False)
    password = PasswordField(_l("Password"))


class PasswordResetForm(AppForm):
    """A new password set by an administrator."""

    password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)])


def user_area_choices():
    """Return the admin's organisation's areas (an observer may be given any level)."""
    return area_choices(AREA_LEVELS, current_user)


def user_input(form, with_password):
    """Turn the submitted form into the accounts service's input."""
    return accounts.UserInput(
        phone=form.phone.data or "",
        display_name=form.display_name.data or "",
        role=form.role.data or "",
        area_codes=form.areas.data or [],
        password=(form.password.data or "") if with_password else None,
    )


@bp.route("/users")
@admin_required
def users():
    """List every account, optionally of one role."""
    role = request.args.get("role")
    if role not in ROLES:
        role = None
    return render_template(
        "admin/users.html", users=accounts.list_users(current_user, role), role=role
    )


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    """Create an account."""
    form = UserForm()
    form.areas.choices = user_area_choices()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(user_input(form, with_password=True), by=current_user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("Account created for %(name)s.", name=user.display_name), "ok")
            return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit_user(user_id):
    """Change an account's name, phone, role and areas."""
    user = accounts.user_for(current_user, user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    form.areas.choices = user_area_choices()
    if request.method == "GET":
        form.areas.data = [area.code for area in user.areas]
    if form.validate_on_submit():
        try:
            accounts.update_user(user, user_input(form, with_password=False), by=current_user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("Changes saved."), "ok")
            return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    return (
        render_template(
            "admin/user_form.html", form=form, user=user, reset_form=PasswordResetForm()
        ),
        status,
    )


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@admin_required
def reset_password(user_id):
    """Set a new password for an account and log it out everywhere."""
    user = accounts.user_for(current_user, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(user, form.password.data, by=current_user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("New password set. The user must log in again."), "ok")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    edit_form = UserForm(obj=user)
    edit_form.areas.choices = user_area_choices()
    edit_form.areas.data = [area.code for area in user.areas]
    return (
        render_template("admin/user_form.html", form=edit_form, user=user, reset_form=form),
        400,
    )


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@admin_required
def set_active(user_id):
    """Deactivate or reactivate an account."""
    user = accounts.user_for(current_user, user_id)
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(user, active, by=current_user)
    except ValidationError as error:
        return refuse(error, url_for("admin.edit_user", user_id=user.id))
    flash(_("Account reactivated.") if active else _("Account deactivated."), "ok")
    return redirect(url_for("admin.users"))


class BadgeForm(AppForm):
    """A badge of the catalogue: names, descriptions, image, threshold, active."""

    name_th = StringField(_l("Name (Thai)"))
    name_en = StringField(_l("Name (English)"))
    description_th = StringField(_l("Description (Thai)"))
    description_en = StringField(_l("Description (English)"))
    image = SelectField(_l("Image"), validate_choice=False)
    threshold = StringField(_l("Threshold"), render_kw={"inputmode": "numeric"})
    active = SelectField(_l("In use"), validate_choice=False)


def badge_images():
    """Return the badge images available in static/badges."""
    from pathlib import Path

    from flask import current_app

    folder = Path(current_app.static_folder) / "badges"
    return sorted(f"badges/{path.name}" for path in folder.glob("*.svg"))


@bp.route("/badges")
@admin_required
def badges():
    """The badge catalogue."""
    return render_template("admin/badges.html", badges=catalogue.all_badges())


@bp.route("/badges/new", methods=["GET", "POST"])
@bp.route("/badges/<int:badge_id>", methods=["GET", "POST"])
@admin_required
def edit_badge(badge_id=None):
    """Add a staff badge, or change a badge's names, description, image and threshold."""
    badge = db.get_or_404(Badge, badge_id) if badge_id else None
    form = BadgeForm(obj=badge if request.method == "GET" else None)
    form.image.choices = [SelectChoice(path, path.split("/")[-1]) for path in badge_images()]
    form.active.choices = [SelectChoice("1", _("Yes")), SelectChoice("0", _("No"))]
    if request.method == "GET" and badge is not None:
        form.active.data = "1" if badge.active else "0"
        form.threshold.data = str(badge.threshold or "")
    if form.validate_on_submit():
        try:
            saved = catalogue.save_badge(
                badge,
                catalogue.BadgeInput(
                    name_th=form.name_th.data or "",
                    name_en=form.name_en.data or "",
                    description_th=form.description_th.data or "",
                    description_en=form.description_en.data or "",
                    image=form.image.data or "",
                    threshold=form.threshold.data or "",
                    active=form.active.data != "0",
                ),
                badge_images(),
                current_user,
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("Badge saved."), "ok")
            return redirect(url_for("admin.edit_badge", badge_id=saved.id))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/badge_form.html", form=form, badge=badge), status


@bp.route("/audit")
@admin_required
def audit_log():
    """Who read or changed what: the audit trail with filters."""
    args = request.args
    try:
        query = audit_service.AuditQuery.from_args(args)
    except ValidationError as error:
        errors, query = error.fields, audit_service.AuditQuery()
    else:
        errors = {}
    events, total = audit_service.search(query, current_user)
    audit_service.record("audit.view", current_user)
    if errors:
        keep_on_error()  # the trail is still shown (unfiltered by the bad dates): audit it
    return render_template(
        "admin/audit.html",
        events=events,
        total=total,
        query=query,
        errors=errors,
        args=args,
        actions=audit_service.actions(),
        page_size=audit_service.PAGE_SIZE,
    ), (400 if errors else 200)
