"""Administration of the welfare programme catalogue."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from pwa_app.extensions import db
from pwa_app.models import WelfareProgram
from pwa_app.services import programmes
from pwa_app.services.errors import ValidationError
from pwa_app.web.access import admin_required
from pwa_app.web.forms import AppForm, attach_errors

bp = Blueprint("programmes", __name__, url_prefix="/admin/programmes")


class ProgramForm(AppForm):
    """A programme: code, names, referral or not, place in the catalogue."""

    code = StringField(_l("Code"))
    name_th = StringField(_l("Name (Thai)"))
    name_en = StringField(_l("Name (English)"))
    is_referral = SelectField(_l("Kind"), validate_choice=False)
    sort_order = StringField(_l("Place in the list"), render_kw={"inputmode": "numeric"})


@bp.route("")
@admin_required
def index():
    """The programmes in catalogue order, retired ones greyed."""
    return render_template("admin/programmes.html", programs=programmes.all_programs())


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:program_id>", methods=["GET", "POST"])
@admin_required
def edit(program_id=None):
    """Add a programme, or change one (its code only while no case uses it)."""
    program = db.get_or_404(WelfareProgram, program_id) if program_id else None
    form = ProgramForm(obj=program if request.method == "GET" else None)
    form.is_referral.choices = [
        SelectChoice("0", _("Welfare or allowance")),
        SelectChoice("1", _("Referral to an agency")),
    ]
    if request.method == "GET" and program is not None:
        form.is_referral.data = "1" if program.is_referral else "0"
        form.sort_order.data = str(program.sort_order)
    if form.validate_on_submit():
        data = programmes.ProgramInput(
            code=form.code.data or "",
            name_th=form.name_th.data or "",
            name_en=form.name_en.data or "",
            is_referral=form.is_referral.data == "1",
            sort_order=form.sort_order.data or "0",
        )
        try:
            programmes.save_program(program, data, current_user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("Programme saved."), "ok")
            return redirect(url_for("programmes.index"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/programme_form.html",
        form=form,
        program=program,
        code_fixed=programmes.in_use(program),
    ), status


@bp.route("/<int:program_id>/active", methods=["POST"])
@admin_required
def set_active(program_id):
    """Retire a programme or bring it back."""
    program = db.get_or_404(WelfareProgram, program_id)
    active = request.form.get("active") == "1"
    programmes.set_active(program, active, current_user)
    flash(_("Programme back in use.") if active else _("Programme retired."), "ok")
    return redirect(url_for("programmes.index"))
