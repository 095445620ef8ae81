"""Administration: user accounts, their roles and areas."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from pwa_app.extensions import db
from pwa_app.models import Area, User
from pwa_app.services import accounts
from pwa_app.services.errors import ValidationError
from pwa_app.vocab import ROLES
from pwa_app.web.access import admin_required
from pwa_app.web.forms import REQUIRED, attach_errors
from pwa_app.web.templating import localized

bp = Blueprint("admin", __name__, url_prefix="/admin")


class UserForm(FlaskForm):
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


class PasswordResetForm(FlaskForm):
    """A new password set by an administrator."""

    password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)])


def area_choices():
    """Return (code, name) for every subdistrict and village, for the areas field."""
    areas = db.session.scalars(
        select(Area).where(Area.level.in_(("subdistrict", "village"))).order_by(Area.code)
    ).all()
    return [SelectChoice(area.code, f"{area.code} · {localized(area)}") for area in areas]


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
    return render_template("admin/users.html", users=accounts.list_users(role), role=role)


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    """Create an account."""
    form = UserForm()
    form.areas.choices = area_choices()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(user_input(form, with_password=True), by=current_user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            db.session.commit()
            flash(_("Account created for %(name)s.", name=user.display_name), "ok")
            return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit_user(user_id):
    """Change an account's name, phone, role and areas."""
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    form.areas.choices = area_choices()
    if request.method == "GET":
        form.areas.data = [area.code for area in user.areas]
    if form.validate_on_submit():
        try:
            accounts.update_user(user, user_input(form, with_password=False), by=current_user)
        except ValidationError as error:
            db.session.rollback()
            attach_errors(form, error)
        else:
            db.session.commit()
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
    user = db.get_or_404(User, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(user, form.password.data, by=current_user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            db.session.commit()
            flash(_("New password set. The user must log in again."), "ok")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    edit_form = UserForm(obj=user)
    edit_form.areas.choices = area_choices()
    edit_form.areas.data = [area.code for area in user.areas]
    return (
        render_template("admin/user_form.html", form=edit_form, user=user, reset_form=form),
        400,
    )


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@admin_required
def set_active(user_id):
    """Deactivate or reactivate an account."""
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(user, active, by=current_user)
    except ValidationError as error:
        flash(str(error.message), "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    db.session.commit()
    flash(_("Account reactivated.") if active else _("Account deactivated."), "ok")
    return redirect(url_for("admin.users"))

