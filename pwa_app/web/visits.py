"""The volunteer's working day: scan a card, log a visit with welfare help, fix it for a day."""

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice

from pwa_app.i18n import current_language, local_input_value
from pwa_app.services import agencies, audit, cases, scope, visits
from pwa_app.services.errors import Conflict, NotFound, ValidationError
from pwa_app.vocab import (
    ASSISTANCE_STATUSES,
    ASSISTANCE_TRANSITIONS,
    CLOSED_ASSISTANCE_STATUSES,
    NEEDS,
    VISIT_KINDS,
    WELLBEING,
)
from pwa_app.web.access import read_only
from pwa_app.web.forms import AppForm, attach_errors, choices_of, refuse
from pwa_app.web.knowledge import guide_urls_by_code
from pwa_app.web.templating import localized

bp = Blueprint("visits", __name__)


class NewCaseForm(Form):
    """One welfare-help entry on a visit."""

    program = SelectField(_l("Welfare programme"), validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False, default="identified")
    note = StringField(_l("Note"))
    next_follow_up = StringField(_l("Next follow-up"))

    def is_blank(self):
        """Tell whether the volunteer left this entry empty."""
        return not (self.program.data or self.note.data or self.next_follow_up.data)


class VisitFieldsForm(AppForm):
    """A visit's own fields."""

    client_uuid = HiddenField()
    visited_at = StringField(_l("Date and time of the visit"))
    # How the household is doing is never chosen for the volunteer: one tap on "save" must not
    # record an unreviewed "doing well". Most visits are routine, so that kind is the start.
    kind = RadioField(_l("Kind of visit"), validate_choice=False, default="routine")
    wellbeing = RadioField(_l("How is the household?"), validate_choice=False)
    needs = SelectMultipleField(_l("Needs found"), validate_choice=False)
    notes = TextAreaField(_l("Other things seen or talked about"), render_kw={"rows": 3})
    lat = HiddenField()
    lon = HiddenField()
    accuracy = HiddenField()


class VisitForm(VisitFieldsForm):
    """A visit with any number of new welfare-help entries."""

    new_cases = FieldList(FormField(NewCaseForm), min_entries=1, max_entries=visits.MAX_NEW_CASES)


def fill_choices(form, open_cases=()):
    """Give the visit form its choices; a programme with an open case is updated, not reopened."""
    form.kind.choices = choices_of(VISIT_KINDS)
    form.wellbeing.choices = choices_of(WELLBEING)
    form.needs.choices = choices_of(NEEDS)
    taken = {case.program_id for case in open_cases if case.member_id is None}
    programs = [SelectChoice("", _("Choose a programme"))] + [
        SelectChoice(p.code, localized(p))
        if p.id not in taken
        else SelectChoice(
            p.code,
            _("%(name)s (open case above)", name=localized(p)),
            render_kw={"disabled": True},
        )
        for p in cases.active_programs()
    ]
    for entry in getattr(form, "new_cases", []):
        entry.program.choices = programs
        entry.status.choices = choices_of(ASSISTANCE_STATUSES)


def visit_input(form, household):
    """Turn the submitted visit form into the service's input."""
    changes = [
        cases.CaseChange(
            assistance_id=case.id,
            status=request.form.get(f"case-{case.id}-status", ""),
            note=request.form.get(f"case-{case.id}-note", ""),
            next_follow_up=request.form.get(f"case-{case.id}-next_follow_up", ""),
        )
        for case in cases.open_cases(household)
        if f"case-{case.id}-status" in request.form
    ]
    return visits.VisitInput(
        household=household.code,
        client_uuid=form.client_uuid.data or None,
        visited_at=form.visited_at.data,
        kind=form.kind.data,
        wellbeing=form.wellbeing.data,
        needs=form.needs.data or [],
        notes=form.notes.data or "",
        lat=form.lat.data,
        lon=form.lon.data,
        accuracy=form.accuracy.data,
        new_cases=[
            cases.NewCase(
                program=entry.program.data or "",
                status=entry.status.data or "identified",
                note=entry.note.data or "",
                next_follow_up=entry.next_follow_up.data,
            )
            for entry in getattr(form, "new_cases", [])
            if not entry.form.is_blank()
        ],
        case_changes=changes,
    )


@bp.route("/scan")
@login_required
@read_only
def scan():
    """Open the camera to scan a household card, or type its code."""
    return scan_page()


def scan_page(code="", error=None):
    """Render the scanner with the typed-code box, the code and error kept."""
    villages = scope.villages(current_user)
    return render_template("visits/scan.html", code=code, error=error, villages=villages)


@bp.route("/visits/new", methods=["GET", "POST"])
@login_required
def new():
    """Log a visit to a household, with any welfare help given."""
    if request.method == "GET" and request.args.get("shell"):
        return shell_form()
    code = request.values.get("household", "").strip()[:40]
    try:
        household = visits.resolve_household(current_user, code)
    except NotFound:
        message = (
            _("Enter a household code.")
            if not code
            else _(
                "No household with the code %(code)s in your areas. Check the code on the card.",
                code=code,
            )
        )
        return scan_page(code, message), 404
    open_cases = cases.open_cases(household)
    form = VisitForm()
    fill_choices(form, open_cases)
    extra_errors = {}
    repeat = None
    if request.method == "GET":
        form.client_uuid.data = str(uuid.uuid4())
        form.visited_at.data = local_input_value()
        audit.record("household.view", current_user, household, household, via="visit_form")
    elif "add_entry" in request.form:
        form.new_cases.append_entry()
        fill_choices(form, open_cases)
    elif form.validate_on_submit():
        repeat = None if request.form.get("confirm_new") else repeated_visit(form, household)
        if repeat is None:
            try:
                visit, _created, awards = visits.record_visit(
                    visit_input(form, household), current_user
                )
            except Conflict as error:
                return refuse(error, url_for("households.detail", code=household.code))
            except ValidationError as error:
                attach_errors(form, error, leftover=extra_errors)
            else:
                flash(_("Visit saved. Thank you!"), "ok")
                announce_badges(awards)
                return redirect(url_for("households.detail", code=visit.household.code))
    failed = form.errors or form.form_errors or extra_errors
    status = 409 if repeat is not None else 400 if failed else 200
    return render_form(form, household, open_cases, extra_errors, repeat_visit=repeat), status


def repeated_visit(form, household):
    """Return the caller's visit to this household of the last minutes, if this is another.

    A form with mistakes is shown with them first; the question comes with a good one.
    """
    if visits.check_fields(visit_input(form, household))[2]:
        return None
    recent = visits.recent_visit_by(current_user, household)
    if recent is None or recent.client_uuid == (form.client_uuid.data or ""):
        return None
    return recent


def status_options(case, chosen):
    """Return (code, label, selected) for a case's status: where it is and where it may go."""
    codes = [case.status] + sorted(ASSISTANCE_TRANSITIONS[case.status])
    return [
        (
            code,
            ASSISTANCE_STATUSES[code] + (f" ({_('no change')})" if code == case.status else ""),
            code == chosen,
        )
        for code in codes
    ]


def case_rules():
    """Return what the offline form needs to show a case: statuses and where each may go."""
    return {
        "statuses": {code: str(text) for code, text in ASSISTANCE_STATUSES.items()},
        "transitions": {code: sorted(to) for code, to in ASSISTANCE_TRANSITIONS.items()},
        "closed": list(CLOSED_ASSISTANCE_STATUSES),
        "no_change": _("no change"),
        "language": current_language(),
    }


def village_agencies(household, open_cases):
    """Return who handles each programme in the household's village: by id, and by code."""
    if household is None:
        return {}, {}
    programs = {case.program for case in open_cases} | set(cases.active_programs())
    found = agencies.handlers([household.village_id], [p.id for p in programs])
    by_id = {p.id: found.get((household.village_id, p.id)) for p in programs}
    return by_id, {p.code: by_id[p.id] for p in programs if by_id[p.id]}


def render_form(form, household, open_cases, extra_errors, visit=None, repeat_visit=None):
    """Render the visit form (new, edit or the offline shell)."""
    by_id, by_code = village_agencies(household, open_cases)
    return render_template(
        "visits/form.html",
        form=form,
        household=household,
        open_cases=open_cases,
        agencies=by_id,
        agency_by_code=by_code,
        program_agencies={code: agencies.describe(a) for code, a in by_code.items()},
        program_guides=guide_urls_by_code(),
        extra_errors=extra_errors,
        next_step=cases.next_step,
        status_options=status_options,
        case_rules=case_rules(),
        time_example=local_input_value(),
        visit=visit,
        repeat_visit=repeat_visit,
    )


def announce_badges(awards):
    """Tell the volunteer about the badges they just earned."""
    for award in awards:
        flash(_("New badge: %(name)s!", name=localized(award.badge)), "ok")


def shell_form():
    """The visit form without a household, kept by the service worker for use offline.

    Its script takes the household, with its open cases, from the phone's list and saves
    into the outbox.
    """
    form = VisitForm(formdata=None)
    fill_choices(form)
    return render_form(form, None, [], {})


@bp.route("/visits/<int:visit_id>/edit", methods=["GET", "POST"])
@login_required
def edit(visit_id):
    """Correct a visit: volunteers within 24 hours, staff at any time."""
    visit = visits.visit_for(current_user, visit_id)
    if not visits.may_change(current_user, visit):
        flash(_("Visits can be changed for 24 hours only. Ask staff."), "warning")
        return redirect(url_for("households.detail", code=visit.household.code))
    form = VisitFieldsForm(obj=visit if request.method == "GET" else None)
    fill_choices(form)
    extra_errors = {}
    if request.method == "GET":
        form.visited_at.data = local_input_value(visit.visited_at)
        form.needs.data = visit.needs
        form.accuracy.data = visit.accuracy_m
    elif form.validate_on_submit():
        try:
            visits.update_visit(visit, visit_input(form, visit.household), current_user)
        except ValidationError as error:
            attach_errors(form, error, leftover=extra_errors)
        else:
            flash(_("Changes saved."), "ok")
            return redirect(url_for("households.detail", code=visit.household.code))
    status = 400 if form.errors or form.form_errors or extra_errors else 200
    return render_form(form, visit.household, [], extra_errors, visit=visit), status


@bp.route("/visits/<int:visit_id>/delete", methods=["POST"])
@login_required
def delete(visit_id):
    """Delete a visit: volunteers within 24 hours, staff at any time."""
    visit = visits.visit_for(current_user, visit_id)
    back = url_for("households.detail", code=visit.household.code)
    try:
        visits.delete_visit(visit, current_user)
    except ValidationError as error:
        return refuse(error, back)
    flash(_("Visit deleted."), "ok")
    return redirect(back)
