"""Logging in and out, and changing one's own password."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from pwa_app.database import keep_on_error
from pwa_app.services import accounts
from pwa_app.services.errors import Throttled, ValidationError
from pwa_app.services.passwords import MAX_LENGTH
from pwa_app.web.devices import mark_worker_device
from pwa_app.web.forms import REQUIRED, AppForm, attach_errors

bp = Blueprint("auth", __name__)

# What someone with a one-time password may still reach before choosing their own.
BEFORE_OWN_PASSWORD = {"auth.change_password", "auth.logout", "static"}


def require_own_password():
    """Send someone whose password was handed over once to choose their own first."""
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if request.endpoint in BEFORE_OWN_PASSWORD or request.blueprint in ("pwa", "public"):
        return None
    message = _("Choose your own password first: the one you were given works only once.")
    if request.blueprint == "api":
        return jsonify(error="password_change_required", message=message), 403
    flash(message, "warning")
    return redirect(url_for("auth.change_password"))


class LoginForm(AppForm):
    """Phone number and password."""

    phone = StringField(
        _l("Phone number"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=20, message=_l("A phone number has at most 20 characters.")),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=MAX_LENGTH, message=_l("The password is too long.")),
        ],
    )


class PasswordChangeForm(AppForm):
    """The current password and a new one, twice."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)])
    confirm_password = PasswordField(_l("New password again"), validators=[DataRequired(REQUIRED)])


def safe_next(target):
    """Return a same-site path to go to after login, or None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.phone.data, form.password.data, request.remote_addr)
        except (Throttled, ValidationError) as error:
            keep_on_error()  # a failed attempt counts towards the throttle
            form.form_errors.append(str(error.message))
            status = 429 if isinstance(error, Throttled) else 401
            retry_after = getattr(error, "retry_after", None)
        else:
            session.clear()
            login_user(user, remember=True)
            session.permanent = True
            target = safe_next(request.args.get("next")) or url_for("home.index")
            return mark_worker_device(redirect(target), user)
    elif form.is_submitted():
        status = 400
    response = render_template("auth/login.html", form=form)
    headers = {"Retry-After": str(retry_after)} if status == 429 else {}
    return response, status, headers


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the user's sessions everywhere and go back to the login page."""
    accounts.end_sessions(current_user)
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Let any user change their own password."""
    form = PasswordChangeForm()
    status, headers = 400 if form.is_submitted() else 200, {}
    if form.validate_on_submit():
        if form.new_password.data != form.confirm_password.data:
            form.confirm_password.errors.append(_("The two new passwords do not match."))
        else:
            try:
                accounts.change_password(
                    current_user, form.current_password.data, form.new_password.data
                )
            except Throttled as error:
                form.form_errors.append(str(error.message))
                status, headers = 429, {"Retry-After": str(error.retry_after)}
            except ValidationError as error:
                keep_on_error()  # a wrong current password counts towards the throttle
                attach_errors(form, error)
            else:
                login_user(current_user._get_current_object(), remember=True)
                flash(_("Your password has been changed. Other devices are logged out."), "ok")
                return redirect(url_for("home.index"))
    return render_template("account/password.html", form=form), status, headers
