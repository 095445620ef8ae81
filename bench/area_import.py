"""A country's tree of areas from one CSV file: how long the admin's import takes.

The file has a province, 26 districts, 529 subdistricts (every two of 23 letters) with 99
villages each, and the last row repeated until it has 75,000 rows (as a file with a row pasted
many times would), so the checks of rows that cannot go in are exercised at size too. The
tests import the same file and check what it makes; the time is measured here, not there.
"""

import time

LETTERS = "ABCDEFGHJKLMPQRSTUVWXYZ"  # two of them make a subdistrict's code

HEADER = "code,level,parent,name_th,name_en,official_code"
ROWS = 75_000


def country_rows(total=ROWS):
    """Return the file's data rows (without the header)."""
    rows = ["BIG,province,,ก,A,"] + [f"BIG-{i},district,BIG,ก,A," for i in range(26)]
    for a in LETTERS:
        for b in LETTERS:
            rows.append(f"{a}{b},subdistrict,BIG-{LETTERS.index(a)},ก,A,")
            rows += [f"{a}{b}-{n:02d},village,{a}{b},ก,A," for n in range(1, 100)]
    return (rows + rows[-1:] * (total - len(rows)))[:total]


def country_file(total=ROWS):
    """Return the whole CSV file as bytes."""
    return ("\n".join([HEADER, *country_rows(total)]) + "\n").encode()


def measure(app, total=ROWS):
    """Import the file as the command line does (a commit per chunk); return a dict of figures."""
    from pwa_app.extensions import db
    from pwa_app.services import area_imports

    raw = country_file(total)
    with app.app_context():
        started = time.perf_counter()
        report = area_imports.import_areas(raw, by=None, after_chunk=db.session.commit)
        db.session.commit()
        seconds = time.perf_counter() - started
    return {
        "rows": total,
        "imported": len(report.imported),
        "already": len(report.already),
        "rejected": len(report.rejected),
        "seconds": seconds,
    }
