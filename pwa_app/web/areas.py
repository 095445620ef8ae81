"""Administration of areas: the tree, adding, renaming, moving, locating, retiring, importing."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import SelectField, StringField

from pwa_app.extensions import db
from pwa_app.services import area_imports, areas
from pwa_app.services.errors import ValidationError
from pwa_app.web.access import admin_required
from pwa_app.web.choices import area_choices
from pwa_app.web.forms import AppForm, attach_errors

bp = Blueprint("areas", __name__, url_prefix="/admin/areas")


class DetailsForm(AppForm):
    """An area's names, official code and location."""

    name_th = StringField(_l("Name (Thai)"))
    name_en = StringField(_l("Name (English)"))
    official_code = StringField(_l("Official code (Department of Provincial Administration)"))
    lat = StringField(_l("Latitude"), render_kw={"inputmode": "decimal"})
    lon = StringField(_l("Longitude"), render_kw={"inputmode": "decimal"})


class NewAreaForm(DetailsForm):
    """A new area: its code, then its details."""

    code = StringField(_l("Code"))


class MoveForm(AppForm):
    """The area's new parent."""

    parent = SelectField(_l("New parent area"), validate_choice=False)


class AreaImportForm(AppForm):
    """A CSV file of areas."""

    file = FileField(_l("CSV file"))


def details_input(form):
    """Turn a submitted details form into the areas service's input."""
    return areas.AreaInput(
        code=getattr(form, "code", None) and form.code.data or "",
        name_th=form.name_th.data or "",
        name_en=form.name_en.data or "",
        official_code=form.official_code.data or "",
        lat=form.lat.data,
        lon=form.lon.data,
    )


@bp.route("")
@admin_required
def index():
    """The tree of areas, with the households of each village."""
    return render_template("admin/areas.html", roots=areas.tree(current_user))


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new():
    """Add an area under the parent named in the query (a province without one)."""
    parent_id = request.args.get("parent", type=int)
    parent = areas.area_for(current_user, parent_id) if parent_id else None
    form = NewAreaForm()
    if form.validate_on_submit():
        try:
            area = areas.create_area(details_input(form), parent, current_user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("Area %(code)s added.", code=area.code), "ok")
            return redirect(url_for("areas.show", area_id=area.id))
    level = areas.CHILD_LEVEL[parent.level] if parent else "province"
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/area_new.html", form=form, parent=parent, level=areas.LEVEL_NAMES.get(level, level)
    ), status


@bp.route("/<int:area_id>", methods=["GET", "POST"])
@admin_required
def show(area_id):
    """An area's page: its details, children, history; POST renames or locates it."""
    area = areas.area_for(current_user, area_id)
    form = DetailsForm(obj=area if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            areas.update_details(area, details_input(form), current_user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("Changes saved."), "ok")
            return redirect(url_for("areas.show", area_id=area.id))
    return area_page(area, details_form=form)


@bp.route("/<int:area_id>/move", methods=["POST"])
@admin_required
def move(area_id):
    """Put the area under another parent."""
    area = areas.area_for(current_user, area_id)
    form = MoveForm()
    if form.validate_on_submit():
        try:
            areas.move(area, form.parent.data, current_user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("%(code)s moved.", code=area.code), "ok")
            return redirect(url_for("areas.show", area_id=area.id))
    return area_page(area, move_form=form)


@bp.route("/<int:area_id>/retire", methods=["POST"])
@admin_required
def retire(area_id):
    """Retire the area: it leaves every picker and keeps its code and history."""
    area = areas.area_for(current_user, area_id)
    form = AppForm()
    if form.validate_on_submit():
        try:
            areas.retire(area, current_user)
        except ValidationError as error:
            flash(error.describe(), "warning")
        else:
            flash(_("%(code)s retired.", code=area.code), "ok")
            return redirect(url_for("areas.show", area_id=area.id))
    return area_page(area, retire_refused=True)


def area_page(area, details_form=None, move_form=None, retire_refused=False):
    """Render an area's page; 400 when one of its forms was refused."""
    refused = retire_refused or any(
        f is not None and f.is_submitted() for f in (details_form, move_form)
    )
    if details_form is None:
        details_form = DetailsForm(obj=area)
    if move_form is None:
        move_form = MoveForm(parent=area.parent.code if area.parent else "")
    parent_level = areas.PARENT_LEVEL.get(area.level)
    move_form.parent.choices = area_choices((parent_level,)) if parent_level else []
    return render_template(
        "admin/area.html",
        area=area,
        details_form=details_form,
        move_form=move_form,
        children=areas.children(area),
        households=areas.household_counts(),
        history=areas.history(area),
        child_level=areas.CHILD_LEVEL.get(area.level),
        level_names=areas.LEVEL_NAMES,
    ), (400 if refused else 200)


@bp.route("/import", methods=["GET", "POST"])
@admin_required
def import_csv():
    """Import areas from a CSV file and show which rows were left out and why."""
    form = AreaImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not upload.filename:
            form.file.errors = [_("Choose a CSV file.")]
        else:
            try:
                # Chunk by chunk, as the household import: a sync waits for one chunk at most.
                report = area_imports.import_areas(
                    upload.read(), current_user, after_chunk=db.session.commit
                )
            except ValidationError as error:
                form.file.errors = [str(error.message)]
    status = 400 if form.errors or (form.is_submitted() and report is None) else 200
    return render_template(
        "admin/area_import.html",
        form=form,
        report=report,
        header=",".join(area_imports.HEADER + area_imports.OPTIONAL),
    ), status
