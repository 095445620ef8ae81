"""Households: the list, a household's page, editing, members, cards and CSV import."""

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice

from pwa_app.extensions import db
from pwa_app.i18n import typed_day
from pwa_app.models import Area, Household
from pwa_app.services import (
    audit,
    cards,
    cases,
    consultations,
    households,
    imports,
    photos,
    privacy,
    scope,
    thai_dates,
    visits,
)
from pwa_app.services.errors import ValidationError
from pwa_app.services.scope import household_for, org_wide, scope_households
from pwa_app.vocab import ASSISTANCE_STATUSES, CLOSED_ASSISTANCE_STATUSES, HOUSEHOLD_TAGS, SEXES
from pwa_app.web.access import read_only, staff_required
from pwa_app.web.args import int_or_none, page_arg
from pwa_app.web.choices import village_choices
from pwa_app.web.forms import AppForm, attach_errors, choices_of, refuse
from pwa_app.web.templating import localized

bp = Blueprint("households", __name__, url_prefix="/households")

CARDS_PER_SHEET = 80


class HouseholdForm(AppForm):
    """A household's address, head, contact, tags, volunteer and consent."""

    code = StringField(_l("Household code"))
    village = SelectField(_l("Village"), validate_choice=False)
    house_no = StringField(_l("House number"))
    address_extra = StringField(_l("Soi, road or landmark"))
    head_name = StringField(_l("Head of household"))
    phone = StringField(_l("Phone number"))
    tags = SelectMultipleField(_l("Target groups"), validate_choice=False)
    lat = StringField(_l("Latitude"))
    lon = StringField(_l("Longitude"))
    assigned_volunteer_id = SelectField(_l("Assigned volunteer"), validate_choice=False)
    consent_at = StringField(
        _l("Consent given on (day/month/year)"), render_kw={"autocomplete": "off"}
    )
    consent_scope = StringField(_l("Consent covers"))
    consent_photos = BooleanField(_l("The household agrees to be photographed on visits"))


class MemberForm(AppForm):
    """A person living in the household."""

    name = StringField(_l("Name"))
    birth_year = StringField(_l("Birth year"), render_kw={"inputmode": "numeric"})
    sex = SelectField(_l("Sex"), validate_choice=False)
    tags = SelectMultipleField(_l("Target groups"), validate_choice=False)


class ImportForm(AppForm):
    """A CSV file of households."""

    file = FileField(_l("CSV file"))


def fill_household_choices(form):
    """Give the household form its choices (views query; forms do not)."""
    form.village.choices = village_choices(current_user)
    form.tags.choices = choices_of(HOUSEHOLD_TAGS)
    form.assigned_volunteer_id.choices = [SelectChoice("", _("Not assigned yet"))] + [
        SelectChoice(str(v.id), f"{v.display_name} ({', '.join(a.code for a in v.areas)})")
        for v in households.volunteers_for_choice(current_user)
    ]


def household_input(form):
    """Turn the household form into the service's input."""
    try:
        consent_at = cases.parse_date(form.consent_at.data)
    except ValueError:
        raise ValidationError(fields={"consent_at": thai_dates.DATE_EXAMPLE}) from None
    volunteer = form.assigned_volunteer_id.data
    return households.HouseholdInput(
        code=form.code.data or "",
        village=form.village.data or "",
        house_no=form.house_no.data or "",
        address_extra=form.address_extra.data or "",
        head_name=form.head_name.data or "",
        phone=form.phone.data or "",
        tags=form.tags.data or [],
        lat=form.lat.data,
        lon=form.lon.data,
        assigned_volunteer_id=int_or_none(volunteer),
        consent_at=consent_at,
        consent_scope=form.consent_scope.data or "",
        consent_photos=bool(form.consent_photos.data),
    )


def get_household(code):
    """Return the household with this code if the current user may see it, else 404.

    A code typed loosely (`ni010001`) is found too; a page asked for by one is sent on to
    the household's own address, once the user is known to be allowed to see it.
    """
    household = household_for(current_user, households.normalize_code(code) or code)
    if household.code != code and request.method == "GET":
        target = url_for(request.endpoint, **{**request.view_args, "code": household.code})
        query = request.query_string.decode("latin-1")
        abort(redirect(f"{target}?{query}" if query else target))
    return household


@bp.route("")
@login_required
def index():
    """List the households the user may see, with search and filters."""
    args = request.args
    stale = int_or_none(args.get("stale"))
    query = households.HouseholdQuery(
        text=args.get("q", "")[:100],
        village=args.get("village", "")[:10].upper(),
        tag=args.get("tag", "") if args.get("tag") in HOUSEHOLD_TAGS else "",
        stale_days=stale if stale in households.STALE_CHOICES else None,
        archived=args.get("archived") == "1",
        page=page_arg(),
    )
    rows, total = households.search(current_user, query)
    audit.record("household.list", current_user, results=len(rows), q=query.text or None)
    return render_template(
        "households/index.html",
        households=rows,
        total=total,
        query=query,
        villages=village_choices(current_user),
        page_size=households.PAGE_SIZE,
    )


@bp.route("/shell")
@login_required
@read_only
def shell():
    """The household page without a household, kept by the service worker for use offline.

    Its script draws the household from the phone's list; the server puts none in it.
    """
    labels = {
        "tags": {code: str(text) for code, text in HOUSEHOLD_TAGS.items()},
        "statuses": {code: str(text) for code, text in ASSISTANCE_STATUSES.items()},
        "closed": list(CLOSED_ASSISTANCE_STATUSES),
        "programs": {program.code: localized(program) for program in cases.active_programs()},
        "villages": {
            village.code: localized(village)
            for village in scope.villages(current_user, retired=True)
        },
    }
    return render_template("households/shell.html", labels=labels)


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    """Add a household; its card token is made at once."""
    form = HouseholdForm()
    fill_household_choices(form)
    if request.method == "GET" and request.args.get("village"):
        form.village.data = request.args["village"]
    if form.validate_on_submit():
        try:
            household = households.create(household_input(form), current_user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("Household %(code)s added.", code=household.code), "ok")
            return redirect(url_for("households.detail", code=household.code))
    return render_template("households/form.html", form=form, household=None), (
        400 if form.is_submitted() else 200
    )


@bp.route("/<code>")
@login_required
def detail(code):
    """Show a household: details, members, open cases and the visit timeline."""
    household = get_household(code)
    audit.record("household.view", current_user, household, household)
    timeline = visits.timeline(household)
    return render_template(
        "households/detail.html",
        household=household,
        open_cases=cases.open_cases(household),
        closed_cases=cases.closed_cases(household),
        timeline=timeline,
        visit_photos=photos.of_visits(
            [visit.id for visit in timeline if photos.may_see_visit(current_user, visit)]
        ),
        member_form=fill_member_choices(MemberForm(formdata=None)),
        may_change=visits.may_change,
        next_step=cases.next_step,
        threads=consultations.threads_of_household(current_user, household),
        # Only staff see (and print) the card: a volunteer's page never carries its token.
        card_svg=(
            cards.qr_svg(card_url(household), household.code) if org_wide(current_user) else None
        ),
    )


@bp.route("/<code>/edit", methods=["GET", "POST"])
@staff_required
def edit(code):
    """Change a household's details, volunteer and consent record."""
    household = get_household(code)
    form = HouseholdForm(obj=household if request.method == "GET" else None)
    fill_household_choices(form)
    if request.method == "GET":
        form.village.data = household.village.code
        form.tags.data = household.tags
        form.assigned_volunteer_id.data = str(household.assigned_volunteer_id or "")
        form.consent_at.data = typed_day(household.consent_at)
    if form.validate_on_submit():
        try:
            households.update(household, household_input(form), current_user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("Changes saved."), "ok")
            return redirect(url_for("households.detail", code=household.code))
    return render_template("households/form.html", form=form, household=household), (
        400 if form.is_submitted() else 200
    )


@bp.route("/<code>/archive", methods=["POST"])
@staff_required
def archive(code):
    """Archive a household or bring it back."""
    household = get_household(code)
    archived = request.form.get("archived") == "1"
    households.set_archived(household, archived, current_user)
    flash(
        _("Household archived; its card no longer works.")
        if archived
        else _("Household restored."),
        "ok",
    )
    return redirect(url_for("households.detail", code=household.code))


@bp.route("/<code>/rotate", methods=["POST"])
@staff_required
def rotate(code):
    """Issue a new card token; the old card stops working at once."""
    household = get_household(code)
    households.rotate_token(household, current_user)
    flash(_("New card issued. The old card no longer works; print the new one."), "ok")
    return redirect(url_for("households.cards_sheet", household=household.code))


@bp.route("/<code>/members", methods=["POST"])
@staff_required
def add_member(code):
    """Add a member to the household."""
    return _save_member(get_household(code), None)


@bp.route("/<code>/members/<int:member_id>", methods=["GET", "POST"])
@staff_required
def edit_member(code, member_id):
    """Change a member's details."""
    household = get_household(code)
    return _save_member(household, households.member_of(household, member_id))


def fill_member_choices(form):
    """Give the member form its choices; return the form."""
    form.sex.choices = [SelectChoice("", "—")] + choices_of(SEXES)
    form.tags.choices = choices_of(HOUSEHOLD_TAGS)
    return form


def _save_member(household, member):
    form = fill_member_choices(MemberForm(obj=member if request.method == "GET" else None))
    if request.method == "GET":
        form.tags.data = member.tags
        form.birth_year.data = str(member.birth_year or "")
    if form.validate_on_submit():
        data = households.MemberInput(
            name=form.name.data or "",
            birth_year=form.birth_year.data,
            sex=form.sex.data or "",
            tags=form.tags.data or [],
        )
        try:
            households.save_member(household, data, current_user, member)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            flash(_("Member saved."), "ok")
            return redirect(url_for("households.detail", code=household.code, _anchor="members"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "households/member_form.html", form=form, household=household, member=member
    ), status


@bp.route("/<code>/members/<int:member_id>/delete", methods=["POST"])
@staff_required
def delete_member(code, member_id):
    """Remove a member from the household."""
    household = get_household(code)
    back = url_for("households.detail", code=household.code, _anchor="members")
    try:
        households.remove_member(households.member_of(household, member_id), current_user)
    except ValidationError as error:
        return refuse(error, back)
    flash(_("Member removed."), "ok")
    return redirect(back)


def card_url(household):
    """Return the absolute URL a household's printed card encodes."""
    from pwa_app.urls import absolute

    return absolute(cards.card_path(household))


def exported(code, form):
    """Gather everything held about a household for its owner, and audit the export."""
    household = get_household(code)
    data = privacy.household_record(household)
    audit.record("household.export", current_user, household, household, format=form)
    return household, data


@bp.route("/<code>/data")
@staff_required
def record(code):
    """Everything held about a household, printable (the PDPA right of access)."""
    household, data = exported(code, "page")
    return render_template("households/record.html", household=household, data=data)


@bp.route("/<code>/data.json")
@staff_required
def record_json(code):
    """Everything held about a household, as JSON to hand over."""
    household, data = exported(code, "json")
    response = jsonify(data)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="household_{household.code}.json"'
    )
    return response


@bp.route("/<code>/anonymise", methods=["POST"])
@staff_required
def anonymise(code):
    """Erase what identifies a household, keeping its visits in the counts."""
    household = get_household(code)
    if request.form.get("confirm", "").strip().upper() != household.code:
        flash(_("Type the household code to confirm the erasure."), "warning")
        return redirect(url_for("households.detail", code=household.code, _anchor="privacy"))
    privacy.anonymise(household, current_user)
    flash(
        _("The household's personal data was erased. Its visits still count in the figures."), "ok"
    )
    return redirect(url_for("households.detail", code=household.code))


@bp.route("/cards")
@staff_required
def cards_sheet():
    """A printable A4 sheet of QR cards, for one village or one household."""
    village = request.args.get("village", "").upper()[:10]
    code = request.args.get("household", "").upper()[:20]
    stmt = (
        scope_households(select(Household), current_user)
        .where(Household.archived.is_(False))
        .order_by(Household.code)
    )
    if code:
        stmt = stmt.where(Household.code == code)
    elif village:
        stmt = stmt.join(Area, Household.village_id == Area.id).where(
            (Area.code == village) | (Area.code.like(f"{village}-%"))
        )
    page = page_arg()
    selected = db.session.scalars(
        stmt.limit(CARDS_PER_SHEET).offset((page - 1) * CARDS_PER_SHEET)
    ).all()
    audit.record(
        "household.cards",
        current_user,
        village=village or None,
        household=code or None,
        count=len(selected),
    )
    return render_template(
        "households/cards.html",
        cards=[(h, cards.qr_svg(card_url(h), h.code)) for h in selected],
        villages=village_choices(current_user),
        village=village,
        page=page,
        more=len(selected) == CARDS_PER_SHEET,
    )


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_csv():
    """Import households from a CSV file and show which rows were left out and why."""
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not upload.filename:
            form.file.errors = [_("Choose a CSV file.")]
        else:
            try:
                # A long import commits chunk by chunk (the one exception to one commit per
                # request): a sync waits for one chunk at most, not for the whole file.
                report = imports.import_households(
                    upload.read(), current_user, after_chunk=db.session.commit
                )
            except ValidationError as error:
                form.file.errors = [str(error.message)]
    status = 400 if form.errors or (form.is_submitted() and report is None) else 200
    return render_template(
        "households/import.html", form=form, report=report, header=",".join(imports.HEADER)
    ), status
