"""Announcement pages: staff write news, trainings and meetings for chosen areas and see who
read them; volunteers read those addressed to them."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from pwa_app.services import announcements, scope
from pwa_app.services.errors import NotFound, ValidationError
from pwa_app.vocab import ANNOUNCEMENT_KINDS
from pwa_app.web.access import staff_required
from pwa_app.web.choices import area_choices
from pwa_app.web.forms import AppForm, attach_errors

bp = Blueprint("announcements", __name__)
AREA_LEVELS = ("province", "district", "subdistrict", "village")


class AnnouncementForm(AppForm):
    """News, a training or a meeting, for the volunteers of some areas."""

    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(code, text) for code, text in ANNOUNCEMENT_KINDS.items()],
        validate_choice=False,
    )
    title = StringField(_l("Title"))
    body = TextAreaField(_l("Details"))
    event_on = StringField(_l("Day of the training or meeting"))
    event_time = StringField(_l("Time"))
    place = StringField(_l("Place"))
    areas = SelectMultipleField(_l("For the volunteers of"), validate_choice=False)


@bp.route("/announcements")
@login_required
def index():
    """Volunteers: what was announced to them. Staff: their organisation's, with reach."""
    if current_user.role == "volunteer":
        return render_template(
            "announcements/index.html", rows=announcements.for_volunteer(current_user)
        )
    if current_user.role not in scope.ORG_WIDE_ROLES:
        abort(403)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = announcements.for_staff(current_user, page)
    return render_template(
        "announcements/staff.html",
        rows=rows,
        reach=announcements.reach(rows),
        page=page,
        pages=max(1, -(-total // announcements.PAGE_SIZE)),
    )


@bp.route("/announcements/new", methods=["GET", "POST"])
@staff_required
def new():
    """Write an announcement and choose whose volunteers read it."""
    form = AnnouncementForm()
    form.areas.choices = area_choices(AREA_LEVELS, current_user)
    if form.validate_on_submit():
        data = announcements.AnnouncementInput(
            kind=form.kind.data or "",
            title=form.title.data or "",
            body=form.body.data or "",
            area_codes=form.areas.data or [],
            event_on=form.event_on.data or "",
            event_time=form.event_time.data or "",
            place=form.place.data or "",
        )
        try:
            announcement = announcements.create(current_user, data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("Announcement sent."), "ok")
            return redirect(url_for("announcements.detail", announcement_id=announcement.id))
    status = 400 if form.is_submitted() else 200
    return render_template("announcements/form.html", form=form), status


@bp.route("/announcements/<int:announcement_id>")
@login_required
def detail(announcement_id):
    """An announcement; for staff, who has read it and who has not yet."""
    try:
        announcement = announcements.announcement_for(current_user, announcement_id)
    except NotFound:
        abort(404)
    announcements.mark_read(current_user, announcement)
    done = waiting = None
    if current_user.role in scope.ORG_WIDE_ROLES:
        done, waiting = announcements.readers(announcement)
    return render_template(
        "announcements/detail.html", announcement=announcement, done=done, waiting=waiting
    )


@bp.route("/announcements/<int:announcement_id>/withdraw", methods=["POST"])
@staff_required
def withdraw(announcement_id):
    """Take an announcement back from the volunteers' lists."""
    try:
        announcement = announcements.announcement_for(current_user, announcement_id)
    except NotFound:
        abort(404)
    announcements.withdraw(current_user, announcement)
    flash(_("Announcement withdrawn."), "ok")
    return redirect(url_for("announcements.index"))
