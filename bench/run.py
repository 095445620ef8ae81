"""Run the benchmarks and write docs/benchmarks.md.

    make bench                      # everything
    python -m bench.run weight      # one section

Each section measures on this machine, with the app and its data built from scratch.
"""

import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.weight import BUDGET_BYTES, Meter, measure_volunteer_load, serve, total

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "benchmarks.md"


def machine():
    """Describe the machine the figures come from."""
    memory_kb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory_kb = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
    return (
        f"{os.cpu_count()} cores, {memory_kb / 1024 / 1024:.1f} GiB memory, "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    )


def demo_app(folder, **seed):
    """Create the app on a fresh SQLite database with the demo data."""
    from flask_migrate import upgrade

    from pwa_app import create_app
    from pwa_app.extensions import db
    from pwa_app.services import demo

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "SECRET_KEY": "bench"}
    )
    with app.app_context():
        upgrade()
        demo.seed(**seed)
        db.session.commit()
    return app


def section_weight(folder):
    """Bytes of a volunteer's first load and of a repeat load, from Chromium."""
    app = demo_app(folder)
    meter = Meter(app)
    url, server = serve(meter)
    with sync_playwright() as playwright:
        first, repeat = measure_volunteer_load(playwright, url, meter, "0810000001", "demo-2569")
    server.shutdown()
    rows = "\n".join(
        f"| `{r['path']}` | {r['bytes']:,} |" for r in sorted(first, key=lambda r: -r["bytes"])
    )
    verdict = "within" if total(first) <= BUDGET_BYTES else "OVER"
    return f"""## Page weight (volunteer, phone-sized Chromium)

Counted at the server after compression (Brotli), headers included, so the service worker's
own downloads count too. The first load logs a volunteer in on an empty phone and waits until
the app shell, the offline visit form and the household list are stored; the repeat load opens
the home page again.

| load | requests | bytes | budget |
|---|---|---|---|
| first load | {len(first)} | {total(first):,} | {BUDGET_BYTES:,} ({verdict}) |
| repeat load | {len(repeat)} | {total(repeat):,} | only the page itself from the network |

First load, by request:

| request | bytes |
|---|---|
{rows}
"""


SECTIONS = {"weight": section_weight}


def main(names):
    """Run the named sections (default: all) and write the report."""
    names = names or list(SECTIONS)
    started = time.perf_counter()
    parts = []
    for name in names:
        with tempfile.TemporaryDirectory() as folder:
            print(f"bench: {name} …", flush=True)
            parts.append(SECTIONS[name](folder))
    header = f"""# Benchmarks

Written by `make bench` ({" ".join(["python -m bench.run", *names])}) on
{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, in {time.perf_counter() - started:.0f} s.

Machine: {machine()}.
"""
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(header + "\n" + "\n".join(parts), "utf-8")
    print(f"bench: wrote {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
