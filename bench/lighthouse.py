"""Lighthouse (mobile) on the phone pages: the volunteer's home, the visit form, a household card.

Lighthouse comes from npm at the version pinned in bench/package.json (installed into
bench/node_modules by `npm ci --prefix bench`) and drives Debian's Chromium. Each page is loaded
cold, as Lighthouse always does: it clears the origin's storage first, so no service worker and
no cache help. The volunteer's pages carry the session cookie of a demo volunteer.

    python -m bench.lighthouse      # print the figures as JSON
"""

import json
import os
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import load
from bench.weight import CHROMIUM

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "bench" / "node_modules" / ".bin" / "lighthouse"
RUNS = int(os.environ.get("BENCH_LIGHTHOUSE_RUNS", "3"))
PHONE, PASSWORD = "0810000001", "demo-2569"
# Volunteers' phones ask for Thai; the pages are measured in the language they read.
LANGUAGE = "th-TH,th;q=0.9"
LCP_TARGET_MS = 2500
PROFILES = {
    "default mobile": [],
    "harsh": [
        "--throttling-method=simulate",
        "--throttling.rttMs=700",
        "--throttling.throughputKbps=200",
        "--throttling.cpuSlowdownMultiplier=6",
    ],
}
# A run ends when Lighthouse has its trace; this ceiling only ends a hang.
HANG_SECONDS = 180
RETRIES = 2


def ensure_installed():
    """Install the pinned Lighthouse into bench/node_modules if it is not there."""
    if not LIGHTHOUSE.exists():
        subprocess.run(
            ["npm", "ci", "--prefix", str(ROOT / "bench"), "--no-audit", "--no-fund"], check=True
        )


def pages(code, token):
    """Return [(name, path, logged in)] for the pages measured."""
    return [
        ("volunteer home", "/", True),
        ("visit form", f"/visits/new?household={code}", True),
        ("household card (public)", f"/h/{token}", False),
    ]


def run_once(url, headers, profile):
    """Run Lighthouse on url; return its JSON report.

    A run that fails on Lighthouse's side (a trace it could not record, say NO_NAVSTART on a
    busy machine) is run again, up to RETRIES times.
    """
    for attempt in range(RETRIES + 1):
        with tempfile.TemporaryDirectory() as folder:
            report = Path(folder) / "report.json"
            header_file = Path(folder) / "headers.json"
            header_file.write_text(json.dumps(headers))
            finished = subprocess.run(
                [
                    str(LIGHTHOUSE),
                    url,
                    "--quiet",
                    "--output=json",
                    f"--output-path={report}",
                    "--only-categories=performance,accessibility",
                    "--form-factor=mobile",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                    f"--extra-headers={header_file}",
                    *PROFILES[profile],
                ],
                env={**os.environ, "CHROME_PATH": CHROMIUM},
                timeout=HANG_SECONDS,
            )
            result = json.loads(report.read_text()) if report.exists() else {}
        error = result.get("runtimeError", {}).get("code") or (
            finished.returncode and f"exit status {finished.returncode}"
        )
        if not error:
            break
        print(f"bench: Lighthouse on {url} failed ({error}), attempt {attempt + 1}", flush=True)
    else:
        raise RuntimeError(f"Lighthouse on {url}: {error}")
    if "/login" in result["finalDisplayedUrl"]:
        raise RuntimeError(f"Lighthouse on {url} was sent to the login page")
    return result


def figures(result):
    """Pick the figures reported from one Lighthouse report."""
    audits = result["audits"]
    lcp_element = audits["largest-contentful-paint-element"].get("details", {}).get("items", [])
    element, phases = "", {}
    if lcp_element:
        element = lcp_element[0]["items"][0]["node"].get("selector", "")
        if len(lcp_element) > 1:
            phases = {row["phase"]: row["timing"] for row in lcp_element[1]["items"]}
    failing = sorted(
        ref["id"]
        for ref in result["categories"]["accessibility"]["auditRefs"]
        if ref["weight"] and audits[ref["id"]].get("score") not in (None, 1)
    )
    return {
        "performance": round(result["categories"]["performance"]["score"] * 100),
        "accessibility": round(result["categories"]["accessibility"]["score"] * 100),
        "fcp_ms": audits["first-contentful-paint"]["numericValue"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "bytes": audits["total-byte-weight"]["numericValue"],
        "lcp_element": element,
        "lcp_phases": phases,
        "accessibility_failing": failing,
        "lighthouse": result["lighthouseVersion"],
        "chromium": result["environment"]["hostUserAgent"],
    }


def median_run(runs):
    """Return the run with the median performance score (its own metrics, not mixed)."""
    ranked = sorted(runs, key=lambda run: (run["performance"], -run["lcp_ms"]))
    chosen = dict(ranked[(len(ranked) - 1) // 2])
    chosen["performance_all"] = [run["performance"] for run in runs]
    chosen["lcp_spread_ms"] = (min(r["lcp_ms"] for r in runs), max(r["lcp_ms"] for r in runs))
    chosen["lcp_median_ms"] = statistics.median(r["lcp_ms"] for r in runs)
    return chosen


def measure(base, code, token, runs=RUNS):
    """Return [(page, path, profile, figures)] for each page on each profile."""
    ensure_installed()
    cookie, _csrf = load.session_for(base, PHONE, PASSWORD)
    rows = []
    for name, path, logged_in in pages(code, token):
        headers = {"Accept-Language": LANGUAGE}
        if logged_in:
            headers["Cookie"] = cookie
        for profile in PROFILES:
            print(f"bench: Lighthouse {profile}, {name} ×{runs} …", flush=True)
            results = [figures(run_once(base + path, headers, profile)) for _ in range(runs)]
            rows.append((name, path, profile, median_run(results)))
    return rows


@dataclass
class Demo:
    """A gunicorn server of the app on fresh demo data, and what the phone benchmarks need."""

    process: object
    base: str
    codes: list  # households in the demo volunteer's areas, in the order of their codes
    without_cases: list  # those of them with no open welfare case
    token: str  # a household card's token, for /h/<token>
    villages: dict  # area code -> {"id", "names"} for the villages of those households


def demo_server(folder):
    """Start gunicorn with two workers on a fresh demo database; return a Demo."""
    from sqlalchemy import select

    from bench.run import card_token, demo_app, sync_households
    from pwa_app.extensions import db
    from pwa_app.models import Area, Assistance, Household
    from pwa_app.vocab import OPEN_ASSISTANCE_STATUSES

    app, _ = demo_app(folder)
    codes, token = sorted(sync_households(app)), card_token(app)
    with app.app_context():
        with_cases = set(
            db.session.scalars(
                select(Household.code)
                .join(Assistance, Assistance.household_id == Household.id)
                .where(Assistance.status.in_(OPEN_ASSISTANCE_STATUSES))
            )
        )
        areas = db.session.scalars(
            select(Area).where(Area.code.in_({code.rsplit("-", 1)[0] for code in codes}))
        )
        villages = {a.code: {"id": a.id, "names": [a.name_th, a.name_en]} for a in areas}
        db.engine.dispose()
    process, base = load.start(f"sqlite:///{folder}/bench.db", 2)
    without_cases = [code for code in codes if code not in with_cases]
    return Demo(process, base, codes, without_cases, token, villages)


def main():
    """Measure against a demo server of our own and print the figures."""
    with tempfile.TemporaryDirectory() as folder:
        demo = demo_server(folder)
        try:
            rows = measure(demo.base, demo.codes[0], demo.token)
            print(json.dumps(rows, indent=2, ensure_ascii=False))
        finally:
            load.stop(demo.process)


if __name__ == "__main__":
    main()
