"""Consultation pages: a volunteer asks staff about a household or case (ปรึกษาเจ้าหน้าที่),
staff answer, both see the thread. The phone's script sends a question through the outbox;
without it the forms post here, deduplicated by the same client_uuid."""

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice

from pwa_app.services import cases, consultations, scope, visits
from pwa_app.services.errors import Conflict, NotFound, ValidationError
from pwa_app.web.forms import AppForm, attach_errors
from pwa_app.web.templating import localized

bp = Blueprint("messages", __name__)


class MessageForm(AppForm):
    """A question or an answer: its text, and the id that makes a second tap harmless."""

    body = TextAreaField(_l("Message"))
    client_uuid = HiddenField()
    case = SelectField(_l("About a case (optional)"), validate_choice=False)


def _new_form():
    form = MessageForm()
    if not form.client_uuid.data:
        form.client_uuid.data = str(uuid.uuid4())
    return form


def _post(form, data):
    """Post through the service; return the message, or None with the errors on the form."""
    try:
        message, _created = consultations.post(current_user, data)
    except ValidationError as error:
        attach_errors(form, error)
    except Conflict as error:
        form.form_errors.append(str(error.message))
    else:
        return message
    return None


@bp.route("/messages")
@login_required
def index():
    """The user's consultations: for staff, those waiting for an answer first."""
    if current_user.role not in scope.HOUSEHOLD_ROLES:
        abort(403)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    waiting_only = request.args.get("waiting") == "1"
    rows, total = consultations.threads_page(current_user, page, waiting_only)
    return render_template(
        "messages/index.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // consultations.PAGE_SIZE)),
        waiting_only=waiting_only,
        waiting=consultations.waiting_count(current_user),
    )


@bp.route("/messages/new", methods=["GET", "POST"])
@login_required
def new():
    """Ask staff about a household (and one of its cases)."""
    if request.args.get("shell") == "1" and current_user.role in scope.HOUSEHOLD_ROLES:
        # The offline form: the phone's script fills in the household from its own list.
        return render_template("messages/new.html", form=_new_form(), household=None, shell=True)
    if current_user.role != "volunteer":
        abort(403)
    try:
        household = visits.resolve_household(current_user, request.args.get("household", ""))
    except NotFound:
        abort(404)
    form = _new_form()
    open_cases = cases.open_cases(household)
    form.case.choices = [SelectChoice("", _("The household in general"))] + [
        SelectChoice(str(case.id), localized(case.program)) for case in open_cases
    ]
    if request.method == "GET" and request.args.get("case", "").isdigit():
        form.case.data = request.args["case"]
    if form.validate_on_submit():
        data = consultations.MessageInput(
            body=form.body.data or "",
            household=household.code,
            case=int(form.case.data) if (form.case.data or "").isdigit() else None,
            client_uuid=form.client_uuid.data or None,
        )
        if message := _post(form, data):
            flash(_("Your question was sent to the staff."), "ok")
            return redirect(url_for("messages.thread", thread_id=message.thread_id))
    status = 400 if form.is_submitted() else 200
    return render_template("messages/new.html", form=form, household=household, shell=False), status


@bp.route("/messages/<int:thread_id>", methods=["GET", "POST"])
@login_required
def thread(thread_id):
    """A consultation: its messages, who wrote them when, and the answer box."""
    if current_user.role not in scope.HOUSEHOLD_ROLES:
        abort(403)
    try:
        found = consultations.thread_for(current_user, thread_id)
    except NotFound:
        abort(404)
    form = _new_form()
    if request.method == "POST" and not consultations.may_answer(current_user, found):
        abort(403)
    if form.validate_on_submit():
        data = consultations.MessageInput(
            body=form.body.data or "", thread=found.id, client_uuid=form.client_uuid.data or None
        )
        if _post(form, data):
            return redirect(url_for("messages.thread", thread_id=found.id, _anchor="latest"))
    else:
        consultations.mark_read(current_user, found)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "messages/thread.html",
        thread=found,
        form=form,
        may_answer=consultations.may_answer(current_user, found),
    ), status
