"""Consistent copies of the SQLite database, taken while the app keeps serving."""

import os
import sqlite3
from pathlib import Path


class BackupError(Exception):
    """The backup could not be made."""


def sqlite_backup(source, target, pages_per_step=-1):
    """Copy a live SQLite database with SQLite's online backup API; return the row count.

    Writers go on during the copy; the copy is the database as of one moment. It is written
    beside the target and renamed into place only when complete and checked.

    The copy is taken in one step: in WAL mode a reader does not hold writers up, while a copy
    in several steps starts again whenever another connection commits between two of them,
    and under a steady stream of syncs on a large database would never end.
    """
    target = Path(target)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    source_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        source_db.backup(copy, pages=pages_per_step, sleep=0.005)
        status = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if status != "ok":
            raise BackupError(f"the copy failed its integrity check: {status}")
        visits = copy.execute("SELECT COUNT(*) FROM visits").fetchone()[0]
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        source_db.close()
    partial.replace(target)
    return visits
