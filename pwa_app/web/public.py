"""The household's own card page: reach the volunteer, ask for help, confirm a visit."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import RadioField, StringField, TextAreaField

from pwa_app.database import keep_on_error
from pwa_app.errors import render_error
from pwa_app.services import audit, help_requests, households, visits
from pwa_app.services.errors import Throttled, ValidationError
from pwa_app.services.scope import may_see_household, org_wide
from pwa_app.vocab import HELP_CATEGORIES
from pwa_app.web.access import read_only
from pwa_app.web.devices import worker_on_this_device
from pwa_app.web.forms import AppForm, attach_errors, choices_of

bp = Blueprint("public", __name__)


class HelpRequestForm(AppForm):
    """What the household needs, in its own words."""

    category = RadioField(_l("What do you need help with?"), validate_choice=False)
    message = TextAreaField(_l("Message (optional)"), render_kw={"rows": 3, "maxlength": 1000})
    phone = StringField(_l("Phone number to call back (optional)"), render_kw={"inputmode": "tel"})


def card_household(token):
    """Return the household of a live card, or 404."""
    return households.by_token(token)


def render_card(household, form=None, status=200, headers=None):
    """Render the public card page: nothing private, only how to reach the volunteer."""
    form = form or HelpRequestForm(formdata=None)
    form.category.choices = choices_of(HELP_CATEGORIES)
    volunteer = household.assigned_volunteer
    return (
        render_template(
            "public/card.html",
            household=household,
            volunteer=volunteer if volunteer is not None and volunteer.active else None,
            can_confirm=may_confirm() and visits.recent_unconfirmed(household) is not None,
            form=form,
        ),
        status,
        headers or {},
    )


@bp.route("/privacy")
@read_only
def privacy_notice():
    """The privacy notice: what the centre keeps, why, for how long, and people's rights."""
    return render_template(
        "public/privacy.html", retention_days=current_app.config["RETENTION_DAYS"]
    )


@bp.route("/h/<token>")
@read_only
def card(token):
    """The page a household card opens; staff and the area's volunteers go to their work."""
    household = card_household(token)
    if current_user.is_authenticated and may_see_household(current_user, household):
        if org_wide(current_user):
            return redirect(url_for("households.detail", code=household.code))
        return redirect(url_for("visits.new", household=household.code))
    return render_card(household)


@bp.route("/h/<token>/help", methods=["POST"])
def ask_for_help(token):
    """Send a help request from the card page."""
    household = card_household(token)
    form = HelpRequestForm()
    form.category.choices = choices_of(HELP_CATEGORIES)
    if not form.validate_on_submit():
        return render_card(household, form, 400)
    try:
        help_requests.send(
            household, form.category.data, form.message.data, form.phone.data, request.remote_addr
        )
    except Throttled as error:
        form.form_errors.append(str(error.message))
        return render_card(household, form, 429, {"Retry-After": str(error.retry_after)})
    except ValidationError as error:
        attach_errors(form, error)
        return render_card(household, form, 400)
    flash(_("Your request has been sent. Your volunteer or the centre will contact you."), "ok")
    return redirect(url_for("public.card", token=token))


def may_confirm():
    """Tell whether this caller may confirm a visit as the household.

    Not from a logged-in session, and not from a phone a volunteer or staff member has
    logged in on: a confirmation should come from the household's own phone.
    """
    return not current_user.is_authenticated and worker_on_this_device() is None


@bp.route("/h/<token>/confirm", methods=["POST"])
def confirm_visit(token):
    """Let the household confirm that a volunteer visited today."""
    household = card_household(token)
    if not may_confirm():
        audit.record(
            "visit.confirm_refused",
            None,
            household,
            household,
            session_user=current_user.id if current_user.is_authenticated else None,
            device_user=worker_on_this_device(),
        )
        keep_on_error()  # the refused attempt stays in the audit log for staff to see
        return render_error(
            403,
            _(
                "Visits are confirmed by the household, on its own phone. This phone has been "
                "used to log in to the app, so it cannot confirm a visit."
            ),
        )
    visit = visits.confirm_recent(household)
    if visit is None:
        flash(_("There is no visit from the last 24 hours to confirm."), "warning")
    else:
        flash(_("Thank you for confirming the visit."), "ok")
    return redirect(url_for("public.card", token=token))
