"""Another writer holding the database, for the tests of a busy server."""

import sqlite3
from contextlib import contextmanager

import psycopg

from pwa_app import database
from pwa_app.extensions import db


@contextmanager
def write_lock_held_elsewhere(timeout_ms=200):
    """Keep visits from being written by another connection while the app waits only briefly.

    SQLite: another process holds the database's write lock. PostgreSQL: another session
    holds the visits table in EXCLUSIVE mode (reads go on, writes wait for lock_timeout).
    Yields a function that releases the lock, as the other writer finishing would.
    """
    usual = database.SQLITE_BUSY_TIMEOUT_MS, database.POSTGRES_LOCK_TIMEOUT_MS
    database.SQLITE_BUSY_TIMEOUT_MS = database.POSTGRES_LOCK_TIMEOUT_MS = timeout_ms
    db.session.close()
    db.engine.dispose()  # new connections take the short timeout
    if db.engine.dialect.name == "sqlite":
        blocker = sqlite3.connect(db.engine.url.database, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
    else:
        url = db.engine.url.set(drivername="postgresql")
        blocker = psycopg.connect(url.render_as_string(hide_password=False))
        blocker.execute("LOCK TABLE visits IN EXCLUSIVE MODE")
    try:
        yield blocker.rollback  # ends the other writer's transaction (again: does nothing)
    finally:
        blocker.rollback()
        blocker.close()
        database.SQLITE_BUSY_TIMEOUT_MS, database.POSTGRES_LOCK_TIMEOUT_MS = usual
        db.session.close()
        db.engine.dispose()
