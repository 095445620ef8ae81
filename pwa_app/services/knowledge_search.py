"""Search the know-how pages in Thai, which has no spaces between words.

Words cannot be told apart, so the index is of trigrams (every three letters in a row): a
query of three letters or more finds itself inside longer words, `เบี้ย` inside
`เบี้ยยังชีพผู้สูงอายุ`. SQLite answers from an FTS5 table with the trigram tokenizer,
PostgreSQL from a pg_trgm GIN index (migration 0014 makes both). Pages whose title holds
every word come first. A shorter query cannot use trigrams: it matches the start of titles,
and the page says so.
"""

from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, or_, select, text

from pwa_app.extensions import db
from pwa_app.models import KnowledgePage
from pwa_app.models.knowledge import SEARCH_TABLE
from pwa_app.services.knowledge import all_pages, ordered
from pwa_app.services.markdown import plain_text

MIN_TERM = 3  # a trigram
MAX_TERMS = 8
MAX_QUERY = 200
RESULTS = 50
SNIPPET_AROUND = 60


@dataclass
class SearchResult:
    """What a search found: pages in rank order, and how the query was read."""

    query: str = ""
    pages: list = field(default_factory=list)
    # "all" (no query), "text" (trigram search) or "prefix" (too short: titles' starts)
    mode: str = "all"
    terms: list = field(default_factory=list)


def search(query):
    """Find the pages a query names; every word must appear (in a title or the text)."""
    query = " ".join((query or "").split())[:MAX_QUERY]
    terms = query.split()[:MAX_TERMS]
    if not terms:
        return SearchResult(pages=all_pages())
    long_terms = [term for term in terms if len(term) >= MIN_TERM]
    if not long_terms:
        return SearchResult(query, _title_prefix(query), "prefix", terms)
    ids = _ranked_ids(long_terms)
    pages = {page.id: page for page in _pages(ids)}
    found = [pages[i] for i in ids if i in pages]
    # Words too short for the index narrow the few pages found by the others.
    short = [term.casefold() for term in terms if len(term) < MIN_TERM]
    if short:
        found = [page for page in found if all(term in _haystack(page) for term in short)]
    return SearchResult(query, found, "text", terms)


def _haystack(page):
    return f"{page.title_th} {page.title_en} {page.body_text}".casefold()


def _pages(ids):
    if not ids:
        return []
    return db.session.scalars(select(KnowledgePage).where(KnowledgePage.id.in_(ids))).all()


def _title_prefix(query):
    """Pages whose title (in either language) starts with the query."""
    stmt = select(KnowledgePage).where(
        or_(
            KnowledgePage.title_th.istartswith(query, autoescape=True),
            KnowledgePage.title_en.istartswith(query, autoescape=True),
        )
    )
    return db.session.scalars(ordered(stmt).limit(RESULTS)).all()


def _ranked_ids(terms):
    if db.engine.dialect.name == "postgresql":
        return _ranked_ids_postgresql(terms)
    return _ranked_ids_sqlite(terms)


def _phrase(term):
    """Quote a term for FTS5: inside double quotes every character is plain text."""
    return '"' + term.replace('"', '""') + '"'


def _ranked_ids_sqlite(terms):
    """Ask the FTS5 trigram index; title hits first, then BM25 with the title weighing more."""
    every = " AND ".join(_phrase(term) for term in terms)
    rows = db.session.execute(
        text(
            f"SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :anywhere "
            f"ORDER BY rowid IN (SELECT rowid FROM {SEARCH_TABLE} "
            f"WHERE {SEARCH_TABLE} MATCH :in_title) DESC, "
            f"bm25({SEARCH_TABLE}, 10.0, 1.0), rowid LIMIT :limit"
        ),
        {"anywhere": every, "in_title": f"title : ({every})", "limit": RESULTS},
    )
    return [row[0] for row in rows]


def _like(term):
    """Return an ILIKE pattern for a term anywhere (PostgreSQL's escape is the backslash)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _ranked_ids_postgresql(terms):
    """Ask the pg_trgm GIN index; title hits first, then trigram similarity to the title."""
    patterns = [_like(term) for term in terms]
    titles = (KnowledgePage.title_th, KnowledgePage.title_en)
    columns = (*titles, KnowledgePage.body_text)
    anywhere = and_(*(or_(*(c.ilike(p) for c in columns)) for p in patterns))
    in_title = and_(*(or_(*(c.ilike(p) for c in titles)) for p in patterns))
    query = " ".join(terms)
    closeness = func.greatest(*(func.similarity(c, query) for c in titles))
    stmt = (
        select(KnowledgePage.id)
        .where(anywhere)
        .order_by(case((in_title, 0), else_=1), closeness.desc(), KnowledgePage.id)
        .limit(RESULTS)
    )
    return list(db.session.scalars(stmt))


def snippet(page, terms, language="th"):
    """Return [(text, is_match)] around the first word found in the page's text in the
    reader's language (else the other), or []."""
    other = "en" if language == "th" else "th"
    words = [term for term in terms if term]
    for body in (
        plain_text(getattr(page, f"body_{language}")),
        plain_text(getattr(page, f"body_{other}")),
    ):
        folded = body.lower()
        hits = [at for at in (folded.find(word.lower()) for word in words) if at >= 0]
        if hits and len(folded) == len(body):  # (lower() kept every letter's place)
            return _around(body, min(hits), words)
    return []


def _around(body, at, words):
    """Cut the text around a place, marking the words in it."""
    start = max(0, at - SNIPPET_AROUND)
    end = min(len(body), at + SNIPPET_AROUND * 2)
    parts = _marked(body[start:end], words)
    if start > 0:
        parts.insert(0, ("…", False))
    if end < len(body):
        parts.append(("…", False))
    return parts


def _marked(piece, words):
    """Split a text into (text, is_match) parts, each word found marked."""
    folded = piece.lower()
    parts, position = [], 0
    while position < len(piece):
        found = [
            (folded.find(word.lower(), position), word)
            for word in words
            if folded.find(word.lower(), position) >= 0
        ]
        if not found:
            break
        at, word = min(found, key=lambda item: (item[0], -len(item[1])))
        if at > position:
            parts.append((piece[position:at], False))
        parts.append((piece[at : at + len(word)], True))
        position = at + len(word)
    if position < len(piece):
        parts.append((piece[position:], False))
    return parts
