"""The database's side of a request: connection tuning, one transaction owner, busy checks.

A request's transaction has one owner: the view wrapper installed by `own_transactions()`.
It commits once, after a view answered with a success (2xx or 3xx), and rolls back when the
view answered with an error status, raised, or asked to discard what it did (`discard()`).
Services only flush. A commit that fails (a busy or lost database) raises inside the
request, so the one error path answers it like any other error.
"""

import sqlite3
from functools import wraps

import psycopg
from flask import current_app, g, has_app_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ColumnProperty, Session

from pwa_app.extensions import db
from pwa_app.services.errors import ValidationError
from pwa_app.services.validation import control_problem

SQLITE_BUSY_TIMEOUT_MS = 5000
POSTGRES_LOCK_TIMEOUT_MS = 5000

# PostgreSQL's codes for "try again soon": the server shutting down or starting, too many
# connections, a lock or statement timeout, a deadlock, a serialization failure.
POSTGRES_BUSY = {"57P01", "57P02", "57P03", "53300", "55P03", "57014", "40P01", "40001"}


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, _record):
    """Give every SQLite connection WAL, enforced foreign keys and a busy timeout."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, so that
    # SAVEPOINTs work (a badge check that fails must not undo the visits before it).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "connect")
def _tune_postgresql(dbapi_connection, _record):
    """Give up on a lock after POSTGRES_LOCK_TIMEOUT_MS, as SQLite does after its busy timeout,
    and plan each statement for its values.

    A table locked elsewhere (a long migration, a manual fix) then makes a request answer 503
    with Retry-After, so the phone tries again later, instead of hanging on the lock.
    """
    if dbapi_connection.__class__.__module__.split(".")[0] != "psycopg":
        return
    # Plan every statement for its own values: psycopg otherwise prepares a statement after five
    # runs, and PostgreSQL may then keep one generic plan for all values, made for this month's
    # dates and 1,000 villages and run for a quarter of 75,000 (measured: 0.3 s became 16 s).
    dbapi_connection.prepare_threshold = None
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {int(POSTGRES_LOCK_TIMEOUT_MS)}")
    dbapi_connection.commit()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection):
    """Start SQLite transactions explicitly (the sqlite3 module no longer does).

    In a request that may write, every transaction takes the write lock at once (BEGIN
    IMMEDIATE): a transaction that reads and later writes would otherwise fail outright
    ("database is locked") when another request wrote in between, instead of queueing on
    the busy timeout. Views marked read_only (web/access.py) read without the lock; CLI
    commands that write take it too (`writes_first`).
    """
    if connection.dialect.name != "sqlite":
        return
    immediate = has_app_context() and g.get("may_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _is_read_only():
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "read_only", False)


@event.listens_for(Session, "before_flush")
def _refuse_unstorable_text(session, _context, _instances):
    """The last guard: no text with a control character reaches the database.

    Every input is checked where it arrives, with a message next to its field; this catches
    a path that forgot, and refuses the write (a 400) instead of storing a NUL, which
    PostgreSQL rejects and which breaks Excel exports.
    """
    for instance in (*session.new, *session.dirty):
        state = inspect(instance)
        for prop in state.mapper.iterate_properties:
            if not isinstance(prop, ColumnProperty):
                continue
            for value in state.attrs[prop.key].history.added:
                if _holds_control(value):
                    raise ValidationError(
                        _l("Some text holds a hidden control character and was not saved."),
                        {prop.key: control_problem(_first_text(value))},
                    )


def _holds_control(value):
    if isinstance(value, str):
        return control_problem(value) is not None
    if isinstance(value, dict):
        return any(_holds_control(k) or _holds_control(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_control(v) for v in value)
    return False


def _first_text(value):
    """Return the first text inside a value that holds a control character."""
    if isinstance(value, str):
        return value
    items = value.items() if isinstance(value, dict) else ((v, None) for v in value)
    for key, item in items:
        for candidate in (key, item):
            if _holds_control(candidate):
                return _first_text(candidate)
    return ""


def mark_request_writes():
    """Note whether this request may write: its transactions then take SQLite's write lock,
    and it commits at the end. A read_only view writes only a change of language."""
    if request.endpoint in (None, "static"):
        return
    g.may_write = not _is_read_only() or "lang" in request.args


def writes_first(command):
    """Make a CLI command's transactions take SQLite's write lock when they begin.

    As in a request: a command that reads and then writes (an import checking codes, a badge
    evaluation) would otherwise fail outright when a sync wrote in between.
    """

    @wraps(command)
    def run(*args, **kwargs):
        before = g.get("may_write", False)
        g.may_write = True
        try:
            return command(*args, **kwargs)
        finally:
            g.may_write = before

    return run


def discard():
    """Roll back at the end of this request although it answers with a success (a refusal
    shown as a flash message and a redirect)."""
    g.discard_changes = True


def keep_on_error():
    """Commit at the end of this request although it answers with an error status.

    For what must count whatever the answer says: a failed login attempt.
    """
    g.keep_on_error = True


def transactional(view):
    """Wrap a view so that its request commits once on success and rolls back otherwise."""

    @wraps(view)
    def owner(*args, **kwargs):
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            db.session.rollback()
            raise
        succeeded = response.status_code < 400 or g.get("keep_on_error", False)
        if succeeded and not g.get("discard_changes", False) and g.get("may_write"):
            db.session.commit()
        else:
            db.session.rollback()
        # What runs after this (a streamed export reading its rows) only reads: on SQLite it
        # must not hold the write lock for the whole download.
        g.may_write = False
        return response

    return owner


def own_transactions(app):
    """Make every view of the app (registered so far) the owner of its request's transaction."""
    app.before_request(mark_request_writes)
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static" and not getattr(view, "owns_transaction", False):
            wrapped = transactional(view)
            wrapped.owns_transaction = True
            app.view_functions[endpoint] = wrapped


def database_lost(error):
    """Tell whether the connection is gone (PostgreSQL restarting or out of reach)."""
    if error.connection_invalidated:
        return True
    if not isinstance(error.orig, psycopg.OperationalError):
        return False
    code = error.orig.sqlstate
    return code is None or code.startswith("08") or code in POSTGRES_BUSY


def database_unavailable(error):
    """Tell whether a database error means "busy or out of reach for now" rather than a bug."""
    if database_lost(error):
        return True
    message = str(error).lower()
    sqlite_busy = "locked" in message or "busy" in message
    return isinstance(error.orig, sqlite3.OperationalError) and sqlite_busy
