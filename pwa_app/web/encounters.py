"""Encounter pages: a volunteer reports a person found in hardship (แจ้งพบผู้ประสบปัญหา), the
centre's staff take the report from new to closed, the volunteer sees what became of it.

The phone's script saves a report in the outbox first; without it the form posts here,
deduplicated by the same client_uuid.
"""

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from pwa_app.i18n import local_input_value
from pwa_app.models.encounters import CATEGORIES, STATUSES
from pwa_app.services import encounters, photos, scope
from pwa_app.services.errors import Conflict, NotFound, Throttled, ValidationError
from pwa_app.vocab import ENCOUNTER_CATEGORIES, ENCOUNTER_URGENCIES, ROLES, SEXES
from pwa_app.web.forms import AppForm, attach_errors, choices_of
from pwa_app.web.templating import localized

bp = Blueprint("encounters", __name__)


class EncounterForm(AppForm):
    """A report of a person found in hardship."""

    client_uuid = HiddenField()
    category = RadioField(_l("What kind of hardship?"), validate_choice=False)
    urgency = RadioField(_l("How urgent?"), validate_choice=False, default="normal")
    place = StringField(_l("Where did you find the person?"))
    description = TextAreaField(_l("What did you see, and what did you do?"))
    seen_at = StringField(_l("When did you see the person?"))
    village = SelectField(_l("Nearest village"), validate_choice=False)
    person_name = StringField(_l("Name, if known"))
    person_age = StringField(_l("Age, if known"))
    person_sex = SelectField(_l("Sex"), validate_choice=False)
    lat = HiddenField()
    lon = HiddenField()
    accuracy = HiddenField()


class StepForm(AppForm):
    """One step on an encounter: which, and what it needs."""

    step = HiddenField()
    note = TextAreaField(_l("Note"))
    assignee = SelectField(_l("Assign to"), validate_choice=False)
    agency = SelectField(_l("Refer to the agency"), validate_choice=False)
    household = StringField(_l("Household code"))


def _report_choices(form, villages):
    form.category.choices = choices_of(ENCOUNTER_CATEGORIES)
    form.urgency.choices = choices_of(ENCOUNTER_URGENCIES)
    form.person_sex.choices = [SelectChoice("", _("Not known"))] + choices_of(SEXES)
    form.village.choices = [SelectChoice("", _("Choose the village"))] + [
        SelectChoice(area.code, localized(area)) for area in villages
    ]


def _report_input(form):
    return encounters.EncounterInput(
        client_uuid=form.client_uuid.data or None,
        seen_at=form.seen_at.data,
        category=form.category.data or "",
        urgency=form.urgency.data or "",
        place=form.place.data or "",
        description=form.description.data or "",
        lat=form.lat.data,
        lon=form.lon.data,
        accuracy=form.accuracy.data,
        person_name=form.person_name.data or "",
        person_age=form.person_age.data,
        person_sex=form.person_sex.data or "",
        village=form.village.data or None,
    )


def _step_form(encounter, steps):
    """The steps' form, with the choices of the steps the reader may take."""
    form = StepForm()
    form.assignee.choices = [SelectChoice("", _("Choose a person"))]
    form.agency.choices = [SelectChoice("", _("Choose an agency"))]
    if "assign" in steps:
        form.assignee.choices += [
            SelectChoice(str(user.id), f"{user.display_name} · {ROLES[user.role]}")
            for user in encounters.assignees(current_user, encounter)
        ]
    if "refer" in steps:
        form.agency.choices += [
            SelectChoice(str(agency.id), localized(agency)) for agency in encounters.agencies()
        ]
    return form


@bp.route("/encounters")
@login_required
def index():
    """Staff: their organisation's reports, urgent and oldest open first. A volunteer: their
    own reports and what became of them."""
    if current_user.role not in scope.HOUSEHOLD_ROLES:
        abort(403)
    status = request.args.get("status", "")
    category = request.args.get("category", "")
    status = status if status in (*STATUSES, "open") else ""
    category = category if category in CATEGORIES else ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = encounters.inbox(current_user, status, category, page)
    return render_template(
        "encounters/index.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // encounters.PAGE_SIZE)),
        status=status,
        category=category,
        staff=scope.org_wide(current_user),
    )


@bp.route("/encounters/new", methods=["GET", "POST"])
@login_required
def new():
    """Report a person found in hardship."""
    if not encounters.may_report(current_user):
        abort(403)
    shell = request.args.get("shell") == "1"
    villages = scope.villages(current_user)
    form = EncounterForm()
    _report_choices(form, villages)
    status = 200
    if request.method == "GET":
        # The offline copy carries no id: the phone's script makes one for each report.
        form.client_uuid.data = "" if shell else str(uuid.uuid4())
        form.seen_at.data = local_input_value()
        if len(villages) == 1:
            form.village.data = villages[0].code
    elif form.validate_on_submit():
        try:
            encounter, _created = encounters.report(current_user, _report_input(form))
        except ValidationError as error:
            attach_errors(form, error)
        except (Conflict, NotFound) as error:
            form.form_errors.append(str(error.message))
        except Throttled as error:
            form.form_errors.append(str(error.message))
            status = 429
        else:
            flash(_("Thank you. The centre has your report."), "ok")
            return redirect(url_for("encounters.detail", encounter_id=encounter.id))
    if form.is_submitted() and status == 200:
        status = 400
    return render_template(
        "encounters/new.html",
        form=form,
        shell=shell,
        one_village=len(villages) == 1,
        time_example=local_input_value(),
    ), status


@bp.route("/encounters/<int:encounter_id>", methods=["GET", "POST"])
@login_required
def detail(encounter_id):
    """A report, its history, and the steps the reader may take on it."""
    if current_user.role not in scope.HOUSEHOLD_ROLES:
        abort(403)
    try:
        encounter = encounters.encounter_for(current_user, encounter_id)
    except NotFound:
        abort(404)
    steps = encounters.steps_for(current_user, encounter)
    form = _step_form(encounter, steps)
    if request.method == "POST":
        if not steps:
            abort(403)
        if form.validate_on_submit():
            data = encounters.StepInput(
                step=form.step.data or "",
                note=form.note.data or "",
                assignee=form.assignee.data,
                agency=form.agency.data,
                household=form.household.data or "",
            )
            try:
                encounters.take_step(current_user, encounter, data)
            except ValidationError as error:
                attach_errors(form, error)
            else:
                flash(_("Saved."), "ok")
                return redirect(url_for("encounters.detail", encounter_id=encounter.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "encounters/detail.html",
        encounter=encounter,
        steps=steps,
        form=form,
        failed_step=form.step.data if form.is_submitted() else None,
        outcome=encounters.outcome(encounter),
        photos=photos.of_item("encounter", encounter.client_uuid),
        household_visible=encounter.household is not None
        and scope.may_see_household(current_user, encounter.household),
        staff=scope.org_wide(current_user),
    ), status
