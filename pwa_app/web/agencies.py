"""Agencies: the directory for everyone, and their administration."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from pwa_app.extensions import db
from pwa_app.models import Agency, WelfareProgram
from pwa_app.services import agencies, programmes
from pwa_app.services.errors import ValidationError
from pwa_app.vocab import AGENCY_KINDS
from pwa_app.web.access import admin_required
from pwa_app.web.choices import area_choices
from pwa_app.web.forms import AppForm, attach_errors
from pwa_app.web.knowledge import guide_url
from pwa_app.web.templating import localized

bp = Blueprint("agencies", __name__)
AREA_LEVELS = ("province", "district", "subdistrict", "village")


class AgencyForm(AppForm):
    """An agency: names, kind, phone, address, the areas it serves, the programmes it handles."""

    name_th = StringField(_l("Name (Thai)"))
    name_en = StringField(_l("Name (English)"))
    kind = SelectField(
        _l("Kind of agency"),
        choices=[SelectChoice("", "")] + [SelectChoice(c, t) for c, t in AGENCY_KINDS.items()],
        validate_choice=False,
    )
    phone = StringField(_l("Phone number"))
    address = TextAreaField(_l("Address"))
    areas = SelectMultipleField(_l("Areas served"), validate_choice=False)
    programs = SelectMultipleField(_l("Programmes handled"), validate_choice=False)


def program_choices():
    """Return every programme as (code, name) choices, in catalogue order."""
    return [SelectChoice(p.code, localized(p)) for p in programmes.all_programs()]


@bp.route("/agencies")
@login_required
def directory():
    """Who to call: agencies by area and programme, those serving the user's areas first."""
    area = request.args.get("area", "")
    program = request.args.get("program", "")
    chosen = db.session.scalar(select(WelfareProgram).where(WelfareProgram.code == program))
    return render_template(
        "agencies/directory.html",
        agencies=agencies.directory(current_user, area, program),
        areas=area_choices(AREA_LEVELS),
        programs=program_choices(),
        area=area,
        program=program,
        guide=guide_url(chosen),
    )


@bp.route("/admin/agencies")
@admin_required
def index():
    """Every agency, for editing."""
    return render_template("admin/agencies.html", agencies=agencies.all_agencies())


@bp.route("/admin/agencies/new", methods=["GET", "POST"])
@bp.route("/admin/agencies/<int:agency_id>", methods=["GET", "POST"])
@admin_required
def edit(agency_id=None):
    """Add an agency, or change one."""
    agency = db.get_or_404(Agency, agency_id) if agency_id else None
    form = AgencyForm(obj=agency if request.method == "GET" else None)
    form.areas.choices = area_choices(AREA_LEVELS)
    form.programs.choices = program_choices()
    if request.method == "GET" and agency is not None:
        form.areas.data = [area.code for area in agency.areas]
        form.programs.data = [program.code for program in agency.programs]
    if form.validate_on_submit():
        data = agencies.AgencyInput(
            name_th=form.name_th.data or "",
            name_en=form.name_en.data or "",
            kind=form.kind.data or "",
            phone=form.phone.data or "",
            address=form.address.data or "",
            area_codes=form.areas.data or [],
            program_codes=form.programs.data or [],
        )
        try:
            agencies.save_agency(agency, data, current_user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("Agency saved."), "ok")
            return redirect(url_for("agencies.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/agency_form.html", form=form, agency=agency), status


@bp.route("/admin/agencies/<int:agency_id>/delete", methods=["POST"])
@admin_required
def delete(agency_id):
    """Remove an agency from the directory."""
    agency = db.get_or_404(Agency, agency_id)
    agencies.delete_agency(agency, current_user)
    flash(_("Agency removed."), "ok")
    return redirect(url_for("agencies.index"))
