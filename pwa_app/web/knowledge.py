"""Know-how: the library of guides for everyone who works with households; staff write it."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from pwa_app.i18n import current_language
from pwa_app.models.knowledge import SLUG_MAX, TITLE_MAX
from pwa_app.services import knowledge, knowledge_search, programmes
from pwa_app.services.errors import StaleEdit, ValidationError
from pwa_app.services.markdown import render
from pwa_app.web.access import read_only, role_required, staff_required
from pwa_app.web.forms import AppForm, attach_errors
from pwa_app.web.templating import localized

bp = Blueprint("knowledge", __name__, url_prefix="/knowledge")
# Everyone who works with households; an observer sees figures only.
reader_required = role_required("volunteer", "staff", "admin")


class PageForm(AppForm):
    """A page in Thai and English, its address, and the programme it is the guide for."""

    title_th = StringField(_l("Title (Thai)"), render_kw={"maxlength": TITLE_MAX})
    body_th = TextAreaField(_l("Text (Thai)"), render_kw={"rows": 14})
    title_en = StringField(_l("Title (English)"), render_kw={"maxlength": TITLE_MAX})
    body_en = TextAreaField(_l("Text (English)"), render_kw={"rows": 14})
    slug = StringField(
        _l("Address"),
        render_kw={"maxlength": SLUG_MAX, "autocomplete": "off", "autocapitalize": "none"},
    )
    program = SelectField(_l("Referral guide for the programme"), validate_choice=False)
    base_version = HiddenField()


def program_choices():
    """Return the programmes a page may be the guide for, "none" first."""
    return [SelectChoice("", _("None: a general page"))] + [
        SelectChoice(program.code, localized(program)) for program in programmes.all_programs()
    ]


def reading(obj, language):
    """Return what to show of a page or version: its text in the reader's language, else the
    other language's, saying so."""
    shown = language if getattr(obj, f"body_{language}") else ("en" if language == "th" else "th")
    return {
        "language": shown,
        "fallback": shown != language,
        "title": getattr(obj, f"title_{shown}") or obj.title(language),
        "html": Markup(render(getattr(obj, f"body_{shown}"))),
    }


def guide_url(program):
    """Return the address of a programme's guide (for templates), or None."""
    if program is None:
        return None
    if "knowledge_guides" not in g:
        g.knowledge_guides = knowledge.guide_slugs()
    slug = g.knowledge_guides.get(program.id)
    return url_for("knowledge.page", slug=slug) if slug else None


def guide_urls_by_code():
    """Return {programme code: its guide's address}, for the offline visit form."""
    return {
        program.code: url
        for program in programmes.all_programs()
        if (url := guide_url(program)) is not None
    }


@bp.route("")
@reader_required
@read_only
def index():
    """Every page, or those a search finds (Thai included), titles first."""
    result = knowledge_search.search(request.args.get("q", ""))
    return render_template(
        "knowledge/index.html",
        result=result,
        snippet=knowledge_search.snippet,
        min_term=knowledge_search.MIN_TERM,
    )


@bp.route("/shell")
@reader_required
@read_only
def shell():
    """The library drawn from the phone's copy, for the service worker to show offline."""
    return render_template("knowledge/shell.html")


@bp.route("/<slug>")
@reader_required
@read_only
def page(slug):
    """One page in the reader's language, with whom to contact for its programme."""
    found, current = knowledge.find(slug)
    if slug != current:
        return redirect(url_for("knowledge.page", slug=current), 301)
    shown_agencies, more_agencies = knowledge.guide_agencies(current_user, found.program)
    return render_template(
        "knowledge/page.html",
        page=found,
        shown=reading(found, current_language()),
        agencies=shown_agencies,
        more_agencies=more_agencies,
    )


@bp.route("/<slug>/history")
@reader_required
@read_only
def history(slug):
    """Every version of a page: who saved it and when."""
    found, current = knowledge.find(slug)
    if slug != current:
        return redirect(url_for("knowledge.history", slug=current), 301)
    return render_template("knowledge/history.html", page=found, versions=knowledge.versions(found))


@bp.route("/<slug>/versions/<int:number>")
@reader_required
@read_only
def version(slug, number):
    """A page as one of its versions read."""
    found, current = knowledge.find(slug)
    if slug != current:
        return redirect(url_for("knowledge.version", slug=current, number=number), 301)
    old = knowledge.version_of(found, number)
    return render_template(
        "knowledge/version.html",
        page=found,
        version=old,
        shown=reading(old, current_language()),
    )


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    """Write a new page."""
    return edit_page(None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@staff_required
def edit(slug):
    """Write a new version of a page.

    A form sent to an address the page no longer has is still this page's (the stale-edit
    check then speaks); only a GET is sent on to the current address.
    """
    found, current = knowledge.find(slug)
    if request.method == "GET" and slug != current:
        return redirect(url_for("knowledge.edit", slug=current), 301)
    return edit_page(found)


def page_input(form):
    """Turn the submitted form into the service's input."""
    return knowledge.PageInput(
        slug=form.slug.data or "",
        title_th=form.title_th.data or "",
        title_en=form.title_en.data or "",
        body_th=form.body_th.data or "",
        body_en=form.body_en.data or "",
        program_code=form.program.data or "",
        base_version=form.base_version.data or "",
    )


def edit_page(page):
    """Show the form; preview, or save a new version and go to the page.

    A save begun on an older version is refused with the newer one shown beside what was
    typed, which stays in the form; saving again then replaces the newer version knowingly.
    """
    form = PageForm(obj=page if request.method == "GET" else None)
    form.program.choices = program_choices()
    if request.method == "GET" and page is not None:
        form.program.data = page.program.code if page.program else ""
        form.base_version.data = str(page.version)
    stale = preview = None
    if form.validate_on_submit():
        if "preview" in request.form:
            preview = {
                language: Markup(render(getattr(form, f"body_{language}").data or ""))
                for language in ("th", "en")
            }
        else:
            try:
                saved, changed = knowledge.save_page(page, page_input(form), current_user)
            except StaleEdit as error:
                stale = error.current
                form.base_version.data = str(stale.number)
            except ValidationError as error:
                attach_errors(form, error)
            else:
                message = (
                    _("Page saved as version %(n)d.", n=saved.version)
                    if changed
                    else _("Nothing changed: the page stays at version %(n)d.", n=saved.version)
                )
                flash(message, "ok")
                return redirect(url_for("knowledge.page", slug=saved.slug))
    failed = form.is_submitted() and preview is None
    status = 409 if stale is not None else 400 if failed else 200
    return render_template(
        "knowledge/edit.html", form=form, page=page, stale=stale, preview=preview
    ), status
