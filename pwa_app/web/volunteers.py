"""Volunteer profiles, and the staff's ways to encourage: thanks and badges."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice

from pwa_app.extensions import db
from pwa_app.i18n import format_month
from pwa_app.models import Award, Badge, User
from pwa_app.services import profiles, recognition, visits
from pwa_app.services.errors import ValidationError
from pwa_app.services.scope import org_wide
from pwa_app.web import charts
from pwa_app.web.access import staff_required
from pwa_app.web.args import page_arg
from pwa_app.web.auth import safe_next
from pwa_app.web.forms import AppForm, attach_errors, refuse
from pwa_app.web.templating import localized

bp = Blueprint("volunteers", __name__)


class ThanksForm(AppForm):
    """A few words of thanks."""

    message = TextAreaField(_l("Message"), render_kw={"rows": 2, "maxlength": 500})


class AwardForm(AppForm):
    """A staff badge and why."""

    badge = SelectField(_l("Badge"), validate_choice=False)
    citation = TextAreaField(_l("Why this volunteer receives it"), render_kw={"rows": 3})


class RevokeForm(AppForm):
    """Why an award is withdrawn."""

    reason = TextAreaField(_l("Reason"), render_kw={"rows": 2})


def staff_badges():
    """Return the badges staff can give."""
    return db.session.scalars(
        select(Badge)
        .where(Badge.kind == "staff", Badge.active.is_(True))
        .order_by(Badge.sort_order)
    ).all()


def volunteer_or_404(user_id):
    """Return a volunteer the current user may see: staff their organisation's, a volunteer
    only themselves."""
    volunteer = db.session.get(User, user_id)
    if volunteer is None or volunteer.role != "volunteer":
        abort(404)
    if not (org_wide(current_user) and volunteer.org_id == current_user.org_id) and (
        volunteer.id != current_user.id
    ):
        abort(404)
    return volunteer


@bp.route("/volunteers")
@staff_required
def index():
    """List the volunteers with their recent activity, a page at a time."""
    page = page_arg()
    text = request.args.get("q", "")[:100]
    rows, total = profiles.volunteer_table(current_user, page, text)
    return render_template(
        "volunteers/index.html",
        rows=rows,
        total=total,
        page=page,
        text=text,
        page_size=profiles.PAGE_SIZE,
    )


def render_profile(volunteer, thanks_form=None, award_form=None, status=200):
    """Render a volunteer's profile, with the staff's forms."""
    award_form = award_form or AwardForm(formdata=None)
    award_form.badge.choices = [SelectChoice("", _("Choose a badge"))] + [
        SelectChoice(b.code, localized(b)) for b in staff_badges()
    ]
    figures = profiles.profile(volunteer)
    return render_template(
        "volunteers/profile.html",
        volunteer=volunteer,
        profile=figures,
        months=charts.columns([(format_month(m, short=True), n) for m, n in figures.months]),
        awards=recognition.awards_of(volunteer),
        feed=recognition.feed(volunteer, limit=30),
        progress=recognition.next_badges(volunteer, limit=3),
        thanks_form=thanks_form or ThanksForm(formdata=None),
        award_form=award_form,
        revoke_form=RevokeForm(formdata=None),
    ), status


@bp.route("/volunteers/<int:user_id>")
@login_required
def profile(user_id):
    """A volunteer's activity, results, badges and thanks."""
    return render_profile(volunteer_or_404(user_id))


@bp.route("/volunteers/<int:user_id>/thank", methods=["POST"])
@staff_required
def thank(user_id):
    """Thank a volunteer for their work."""
    volunteer = volunteer_or_404(user_id)
    form = ThanksForm()
    if form.validate_on_submit():
        try:
            recognition.thank(volunteer, current_user, form.message.data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("Thanks sent to %(name)s.", name=volunteer.display_name), "ok")
            return redirect(url_for("volunteers.profile", user_id=volunteer.id))
    return render_profile(volunteer, thanks_form=form, status=400)


@bp.route("/volunteers/<int:user_id>/awards", methods=["POST"])
@staff_required
def give_award(user_id):
    """Give a staff badge with a citation."""
    volunteer = volunteer_or_404(user_id)
    form = AwardForm()
    if form.validate_on_submit():
        badge = db.session.scalar(select(Badge).where(Badge.code == (form.badge.data or "")))
        try:
            given = recognition.award(badge, volunteer, current_user, form.citation.data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("Badge awarded. Anyone can verify it at its public page."), "ok")
            return redirect(url_for("badges.verify", public_id=given.public_id))
    return render_profile(volunteer, award_form=form, status=400)


@bp.route("/volunteers/<int:user_id>/awards/<int:award_id>/revoke", methods=["POST"])
@staff_required
def revoke(user_id, award_id):
    """Withdraw an award, giving the reason."""
    volunteer = volunteer_or_404(user_id)
    award = db.session.get(Award, award_id)
    if award is None or award.volunteer_id != volunteer.id:
        abort(404)
    form = RevokeForm()
    back = url_for("volunteers.profile", user_id=volunteer.id, _anchor="badges")
    try:
        if not form.validate_on_submit():
            raise ValidationError(fields={"reason": _l("Give the reason for revoking.")})
        recognition.revoke(award, current_user, form.reason.data)
    except ValidationError as error:
        return refuse(error, back)
    flash(_("The award was revoked; its public page now says so."), "ok")
    return redirect(back)


@bp.route("/visits/<int:visit_id>/thank", methods=["POST"])
@staff_required
def thank_visit(visit_id):
    """One tap from the dashboard: thank the volunteer for this visit."""
    visit = visits.visit_for(current_user, visit_id)
    recognition.thank(visit.volunteer, current_user, request.form.get("message", ""), visit)
    flash(_("Thanks sent to %(name)s.", name=visit.volunteer.display_name), "ok")
    return redirect(safe_next(request.form.get("next")) or url_for("dashboard.index"))
