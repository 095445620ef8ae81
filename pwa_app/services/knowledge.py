"""Know-how pages: written and edited by staff, read by everyone who works with households.

Pages are one library shared by every organisation (like the programme catalogue). Every
save is a new numbered version; an edit begun on an older version is refused, so that two
people editing at once never lose each other's words.
"""

import hashlib
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pwa_app.extensions import db
from pwa_app.models import KnowledgePage, KnowledgeSlug, KnowledgeVersion, WelfareProgram
from pwa_app.models.base import utcnow
from pwa_app.models.knowledge import SLUG_MAX, TITLE_MAX
from pwa_app.services import agencies, audit
from pwa_app.services.errors import NotFound, StaleEdit, ValidationError
from pwa_app.services.markdown import RENDER_VERSION, plain_text, render
from pwa_app.services.validation import text_problem

SLUG_MIN = 3
SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# Addresses of the pages around a page, never a page's own.
RESERVED_SLUGS = {"new", "shell", "search", "edit", "history", "versions", "api"}
BODY_MAX = 50_000
# How many agencies a guide lists before "all agencies for this programme".
GUIDE_AGENCIES = 6
LANGUAGES = ("th", "en")


@dataclass
class PageInput:
    """A page's editable fields, as typed; base_version is the version the editor began on."""

    slug: str = ""
    title_th: str = ""
    title_en: str = ""
    body_th: str = ""
    body_en: str = ""
    program_code: str = ""
    base_version: str = ""


def suggest_slug(title):
    """Return an address made of a title's Latin letters and digits, or ""."""
    words = re.findall(r"[a-z0-9]+", (title or "").lower())
    slug = ""
    for word in words:
        joined = f"{slug}-{word}" if slug else word
        if len(joined) > SLUG_MAX:
            break
        slug = joined
    slug = slug.lstrip("0123456789-")
    return slug if len(slug) >= SLUG_MIN else ""


def slug_problem(slug, page=None):
    """Return why an address cannot be this page's, or None."""
    if len(slug) < SLUG_MIN or len(slug) > SLUG_MAX or not SLUG_RE.match(slug):
        return _l(
            "Use %(low)d to %(high)d lowercase English letters, digits and single hyphens, "
            "starting with a letter, e.g. old-age-allowance.",
            low=SLUG_MIN,
            high=SLUG_MAX,
        )
    if slug in RESERVED_SLUGS:
        return _l("This address is kept for the app's own pages. Choose another.")
    taken = db.session.get(KnowledgeSlug, slug)
    if taken is not None and (page is None or taken.page_id != page.id):
        return _l(
            "Another page has (or once had) this address; addresses are never reused. "
            "Choose another."
        )
    return None


def _check_texts(data, errors):
    """Check titles and bodies: each language has both or neither, one language at least."""
    for language in LANGUAGES:
        title, body = f"title_{language}", f"body_{language}"
        if problem := text_problem(getattr(data, title), TITLE_MAX, required=False):
            errors[title] = problem
        if problem := text_problem(getattr(data, body), BODY_MAX, required=False):
            errors[body] = problem
        has_title = bool((getattr(data, title) or "").strip())
        has_body = bool((getattr(data, body) or "").strip())
        if has_title and not has_body:
            errors.setdefault(body, _l("Write the text for this title, or leave both empty."))
        elif has_body and not has_title:
            errors.setdefault(title, _l("Give this text a title, or leave both empty."))
    if not any((getattr(data, f"title_{language}") or "").strip() for language in LANGUAGES):
        errors.setdefault(
            "title_th", _l("Write the page in Thai, in English or in both: a title and its text.")
        )


def _chosen_program(data, page, errors):
    """Return the programme the page is the guide for (or None); note why it cannot be."""
    code = (data.program_code or "").strip()
    if not code:
        return None
    program = db.session.scalar(select(WelfareProgram).where(WelfareProgram.code == code))
    if program is None:
        errors["program"] = _l("Choose from the list.")
        return None
    others = select(KnowledgePage).where(KnowledgePage.program_id == program.id)
    if page is not None:
        others = others.where(KnowledgePage.id != page.id)
    other = db.session.scalar(others)
    if other is not None:
        errors["program"] = _l(
            "“%(page)s” is already the guide for this programme. Link this page to another "
            "programme, or take the link off that page first.",
            page=other.title_th or other.title_en,
        )
    return program


def _base_version(raw, errors):
    """Return the version number the editor began on."""
    raw = str(raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        errors["base_version"] = _l("Open the page again and redo the change: the form was cut.")
        return None
    return int(raw)


def save_page(page, data, by):
    """Write a new page (page None) or a new version of one; return (page, changed).

    Raise ValidationError for bad input and StaleEdit when the page has a newer version
    than the one the editor began on.
    """
    errors = {}
    slug = (data.slug or "").strip().lower() or suggest_slug(data.title_en)
    if not slug:
        errors["slug"] = _l("Give the page an address in English letters, e.g. old-age-allowance.")
    elif problem := slug_problem(slug, page):
        errors["slug"] = problem
    _check_texts(data, errors)
    program = _chosen_program(data, page, errors)
    base = _base_version(data.base_version, errors) if page is not None else None
    if errors:
        raise ValidationError(_l("Please correct the highlighted fields."), errors)

    texts = {
        name: (getattr(data, name) or "").strip()
        for name in ("title_th", "title_en", "body_th", "body_en")
    }
    if page is None:
        page = KnowledgePage(version=0, created_at=utcnow())
        db.session.add(page)
    else:
        # Read the version under a row lock (PostgreSQL; SQLite's writer already holds its
        # lock): two saves begun on the same version cannot both pass.
        current = db.session.scalar(
            select(KnowledgePage.version).where(KnowledgePage.id == page.id).with_for_update()
        )
        if current != base:
            raise StaleEdit(_l("Someone saved a newer version of this page."), latest(page))
        unchanged = (
            page.slug == slug
            and page.program_id == (program.id if program else None)
            and all(getattr(page, name) == value for name, value in texts.items())
        )
        if unchanged:
            return page, False

    for name, value in texts.items():
        setattr(page, name, value)
    page.body_text = " ".join(plain_text(texts[f"body_{language}"]) for language in LANGUAGES)
    page.program = program
    page.slug = slug
    page.version += 1
    page.updated_at, page.updated_by = utcnow(), by
    db.session.flush()
    if db.session.get(KnowledgeSlug, slug) is None:
        db.session.add(KnowledgeSlug(slug=slug, page_id=page.id))
    db.session.add(
        KnowledgeVersion(
            page_id=page.id, number=page.version, slug=slug, program_id=page.program_id,
            by_user_id=by.id if by else None, at=page.updated_at, **texts,
        )
    )  # fmt: skip
    db.session.flush()
    audit.record("knowledge.save", by, page, slug=slug, version=page.version)
    return page, True


def latest(page):
    """Return a page's newest version."""
    return db.session.scalar(
        select(KnowledgeVersion)
        .options(selectinload(KnowledgeVersion.by_user))
        .where(KnowledgeVersion.page_id == page.id)
        .order_by(KnowledgeVersion.number.desc())
        .limit(1)
    )


def find(slug):
    """Return (page, current slug) for an address the page has or once had; else NotFound."""
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or len(slug) > SLUG_MAX:
        raise NotFound(_l("There is no such page."))
    page = db.session.scalar(
        select(KnowledgePage)
        .join(KnowledgeSlug, KnowledgeSlug.page_id == KnowledgePage.id)
        .options(selectinload(KnowledgePage.program), selectinload(KnowledgePage.updated_by))
        .where(KnowledgeSlug.slug == slug)
    )
    if page is None:
        raise NotFound(_l("There is no such page."))
    return page, page.slug


def version_of(page, number):
    """Return one version of a page, or NotFound."""
    found = db.session.scalar(
        select(KnowledgeVersion)
        .options(selectinload(KnowledgeVersion.by_user))
        .where(KnowledgeVersion.page_id == page.id, KnowledgeVersion.number == number)
    )
    if found is None:
        raise NotFound(_l("This page has no such version."))
    return found


def versions(page):
    """Return a page's versions, newest first, with who saved each."""
    return db.session.scalars(
        select(KnowledgeVersion)
        .options(selectinload(KnowledgeVersion.by_user))
        .where(KnowledgeVersion.page_id == page.id)
        .order_by(KnowledgeVersion.number.desc())
    ).all()


def ordered(statement):
    """Order pages as the library lists them: pinned first, then guides in programme order."""
    return statement.outerjoin(
        WelfareProgram, WelfareProgram.id == KnowledgePage.program_id
    ).order_by(
        KnowledgePage.sort_order,
        WelfareProgram.sort_order,
        KnowledgePage.title_th,
        KnowledgePage.id,
    )


def all_pages():
    """Return every page in library order, with its programme."""
    return db.session.scalars(
        ordered(select(KnowledgePage)).options(selectinload(KnowledgePage.program))
    ).all()


def guide_slugs():
    """Return {programme id: slug of its guide}."""
    rows = db.session.execute(
        select(KnowledgePage.program_id, KnowledgePage.slug).where(
            KnowledgePage.program_id.is_not(None)
        )
    )
    return dict(rows.all())


def guide_agencies(user, program):
    """Return (agencies to show, whether there are more): those serving the user's areas first."""
    if program is None:
        return [], False
    found = agencies.near(user, agencies.directory(user, program_code=program.code))
    return found[:GUIDE_AGENCIES], len(found) > GUIDE_AGENCIES


def cache_version(user):
    """Return an ETag that changes with any page, the agencies, the user's areas or the
    rendering (the offline copy lists the agencies nearest the user)."""
    count, changed = db.session.execute(
        select(func.count(KnowledgePage.id), func.max(KnowledgePage.updated_at))
    ).one()
    areas = ",".join(str(area.id) for area in sorted(user.areas, key=lambda a: a.id))
    key = f"{user.id}:{count}:{changed}:{agencies.version()}:{areas}:{RENDER_VERSION}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def offline_copy(user):
    """Describe every page for the phone: both languages rendered, and who to call."""
    pages = all_pages()
    aliases = {}
    for slug, page_id in db.session.execute(select(KnowledgeSlug.slug, KnowledgeSlug.page_id)):
        aliases.setdefault(page_id, []).append(slug)
    directory = agencies.directory(user)
    handling = {}
    for page in pages:
        if page.program is not None:
            serving = [agency for agency in directory if page.program in agency.programs]
            handling[page.id] = agencies.near(user, serving)[:GUIDE_AGENCIES]
    return [
        {
            "slug": page.slug,
            "title": {"th": page.title_th, "en": page.title_en},
            "html": {"th": render(page.body_th), "en": render(page.body_en)},
            "program": page.program.code if page.program else None,
            "version": page.version,
            "updated_at": page.updated_at.isoformat(),
            "aliases": sorted(slug for slug in aliases.get(page.id, []) if slug != page.slug),
            "agencies": [agencies.describe(agency) for agency in handling.get(page.id, [])],
        }
        for page in pages
    ]
