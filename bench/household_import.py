"""A large household import from the page while a phone syncs: how long does a sync wait?

The import runs in this process (Flask's test client, as staff); another process syncs one
visit after another (as a volunteer) on the same SQLite file, each timed from request to answer.
"""

import multiprocessing
import statistics
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from io import BytesIO

from bench.latency import CSRF, log_in

VILLAGES = ("NI-01", "NI-02", "NI-03", "NI-04", "NI-05", "NI-06", "NI-07")
STAFF = ("0800000002", "demo-2569")
VOLUNTEER = ("0810000001", "demo-2569")
SYNC_PAUSE = 0.02  # seconds between a volunteer's syncs, so the import gets the lock too


def csv_file(rows, first_number):
    """Return a CSV file of new households numbered from first_number (6 digits)."""
    lines = ["code,house_no,village,head_name,phone,tags,lat,lon"]
    for n in range(first_number, first_number + rows):
        village = VILLAGES[n % len(VILLAGES)]
        lines.append(f"{village}-{n:06d},{n % 300},{village},นำเข้า {n},,elderly,16.5,104.4")
    return ("\n".join(lines) + "\n").encode()


def sync_meanwhile(database_url, ready, stop, results):
    """Sync one visit after another until told to stop; put [(start, ms, status)] on results."""
    from sqlalchemy import select

    from pwa_app import create_app
    from pwa_app.extensions import db
    from pwa_app.models import Area, Household

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        codes = list(
            db.session.scalars(
                select(Household.code)
                .join(Area, Area.id == Household.village_id)
                .where(Area.code.in_(("NI-01", "NI-02")), Household.code.like("%-____"))
                .limit(50)
            )
        )
        db.session.remove()
    client = app.test_client()
    log_in(client, *VOLUNTEER)
    headers = {"X-CSRFToken": CSRF.search(client.get("/").get_data(as_text=True)).group(1)}
    ready.set()
    samples = []
    while not stop.is_set():
        item = {
            "client_uuid": str(uuid.uuid4()),
            "household": codes[len(samples) % len(codes)],
            "visited_at": datetime.now(UTC).isoformat(),
            "kind": "routine",
            "wellbeing": "green",
        }
        started = time.time()
        answer = client.post("/api/v1/visits/sync", json={"visits": [item]}, headers=headers)
        samples.append((started, (time.time() - started) * 1000, answer.status_code))
        time.sleep(SYNC_PAUSE)
    results.put(samples)


def measure(app, database_url, rows, chunk_rows, first_number):
    """Import rows households in chunks of chunk_rows while another process syncs.

    Return a dict: the import's seconds, and the syncs that overlapped it (count, p50 and
    longest milliseconds, answers by status).
    """
    from pwa_app.services import imports

    imports.CHUNK_ROWS = chunk_rows
    spawn = multiprocessing.get_context("spawn")
    ready, stop, results = spawn.Event(), spawn.Event(), spawn.Queue()
    syncer = spawn.Process(target=sync_meanwhile, args=(database_url, ready, stop, results))
    syncer.start()
    try:
        assert ready.wait(120), "the syncing process did not start"
        staff = app.test_client()
        log_in(staff, *STAFF)
        token = CSRF.search(staff.get("/households/import").get_data(as_text=True)).group(1)
        upload = {
            "file": (BytesIO(csv_file(rows, first_number)), "households.csv"),
            "csrf_token": token,
        }
        time.sleep(0.5)  # the syncs are under way before the import starts
        began = time.time()
        response = staff.post(
            "/households/import?lang=en", data=upload, content_type="multipart/form-data"
        )
        ended = time.time()
        page = response.get_data(as_text=True)
        assert f"{rows} households imported." in page, (response.status_code, page[-2000:])
        time.sleep(0.2)
    finally:
        stop.set()
        samples = results.get(timeout=120)
        syncer.join(timeout=60)
    during = [
        (ms, status) for start, ms, status in samples if start < ended and start + ms / 1000 > began
    ]
    times = sorted(ms for ms, _ in during)
    return {
        "seconds": ended - began,
        "syncs": len(during),
        "p50_ms": statistics.median(times) if times else 0.0,
        "max_ms": times[-1] if times else 0.0,
        "statuses": Counter(status for _, status in during),
    }
