"""A server killed outright (SIGKILL, three times) during 300 syncs loses and doubles nothing."""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Visit
from tests.conftest import PASSWORD

GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn in its own process group, so a kill takes the master and its workers."""

    def __init__(self, database_url, port):
        self.port = port
        self.env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "crash-test"}
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "pwa_app:create_app()",
            ],
            env=self.env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


class Phone:
    """A volunteer's phone: a cookie jar, a CSRF token, and patience."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.token = None

    def page(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        with self.opener.open(self.base + path, body, timeout=10) as response:
            return response.read().decode()

    def log_in(self, phone):
        token = re.search(r'name="csrf-token" content="([^"]+)"', self.page("/login")).group(1)
        home = self.page("/login", {"phone": phone, "password": PASSWORD, "csrf_token": token})
        self.token = re.search(r'name="csrf-token" content="([^"]+)"', home).group(1)

    def sync(self, item):
        request = urllib.request.Request(
            self.base + "/api/v1/visits/sync",
            data=json.dumps({"visits": [item]}).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": self.token},
        )
        with self.opener.open(request, timeout=10) as response:
            return json.loads(response.read())["results"][0]["status"]


def test_three_sigkills_during_300_syncs_leave_exactly_300_visits(
    app, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    phone_number, code = volunteer.phone, household.code
    db.session.commit()
    server = Server(db.engine.url.render_as_string(hide_password=False), free_port())
    server.start()
    phone = Phone(f"http://127.0.0.1:{server.port}")
    phone.log_in(phone_number)

    items = [
        {
            "client_uuid": str(uuid.uuid4()),
            "household": code,
            "visited_at": datetime.now(UTC).isoformat(),
            "kind": "routine",
            "wellbeing": "green",
            "notes": f"visit {n}",
        }
        for n in range(300)
    ]
    acknowledged, kills, failures = [], [], []
    kill_at = [50, 150, 250]

    def restarter():
        server.kill()
        kills.append(time.monotonic())
        time.sleep(0.3)
        server.start()

    try:
        for item in items:
            while True:  # the outbox: send until the server acknowledges
                restarting = any(t.name == "restarter" for t in threading.enumerate())
                if kill_at and len(acknowledged) >= kill_at[0] and not restarting:
                    kill_at.pop(0)
                    threading.Thread(target=restarter, name="restarter").start()
                try:
                    status = phone.sync(item)
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
                    failures.append(type(error).__name__)
                    time.sleep(0.1)
                    continue
                assert status in ("created", "duplicate"), status
                acknowledged.append(item["client_uuid"])
                break
    finally:
        for thread in threading.enumerate():
            if thread.name == "restarter":
                thread.join(timeout=60)
        server.kill()

    db.session.rollback()
    stored = set(db.session.scalars(select(Visit.client_uuid)))
    assert len(kills) == 3
    assert failures  # the kills were felt
    assert len(acknowledged) == 300
    assert db.session.scalar(select(func.count(Visit.id))) == 300
    assert {str(uuid.UUID(u)) for u in stored} == {i["client_uuid"] for i in items}
