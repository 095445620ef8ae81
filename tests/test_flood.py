"""A flood on one household's card is refused cheaply, under gunicorn, and locks out nobody else.

The attacker sends from its own loopback address (127.0.0.66); the other household and the
volunteer send from 127.0.0.1, so each limit is keyed as it would be on the internet. A
neighbour behind the attacker's address (one mobile carrier's NAT) must still get through.
"""

import http.client
import itertools
import re
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import AuditEvent, HelpRequest, RateEvent, Visit
from pwa_app.services.help_requests import PER_CARD
from tests.test_crash import Phone, Server, free_port

ATTACKER_ADDRESS = "127.0.0.66"
FLOOD_THREADS = 6
FLOOD_REQUESTS = 300  # at least: the flood goes on until the other users are done
FLOOD_CAP = 3000
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
REFUSAL = {
    "th": "มีการส่งคำขอจากที่นี่หลายครั้งในชั่วโมงที่ผ่านมา กรุณาโทรหา อพม. ของคุณ",
    "en": "Many requests were sent from here in the last hour. Please call your volunteer.",
}


class Visitor:
    """A browser without a login, on a loopback address of its own; it follows no redirects."""

    def __init__(self, port, address):
        self.port, self.address = port, address
        self.cookies = SimpleCookie()
        self.lock = threading.Lock()

    def request(self, method, path, form=None, language="th"):
        """Send one request; return (status, headers, text)."""
        headers = {"Accept-Language": language}
        with self.lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(self.address, 0)
        )
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        with self.lock:
            for cookie in response.headers.get_all("Set-Cookie") or []:
                self.cookies.load(cookie)
        return response.status, response.headers, text

    def ask_for_help(self, token, message, language="th", csrf=None):
        """Post the card's help form (opening the card first for a form token)."""
        if csrf is None:
            csrf = CSRF.search(self.request("GET", f"/h/{token}")[2]).group(1)
        form = {"category": "visit", "message": message, "csrf_token": csrf}
        return self.request("POST", f"/h/{token}/help", form, language)


def count(model, *where):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_flood_on_one_card_is_refused_cheaply_and_locks_out_nobody_else(
    app, create_user, create_household
):
    volunteer = create_user("volunteer", areas=["NI-01", "NI-02"])
    flooded = create_household("NI-01", volunteer=volunteer)
    other = create_household("NI-01", volunteer=volunteer)
    neighbour = create_household("NI-02", volunteer=volunteer)
    phone_number, name, code = volunteer.phone, volunteer.display_name, flooded.code
    tokens = {h: h.qr_token for h in (flooded, other, neighbour)}
    ids = {h: h.id for h in (flooded, other, neighbour)}
    events_before = count(RateEvent)

    server = Server(db.engine.url.render_as_string(hide_password=False), free_port())
    server.env["GUNICORN_CMD_ARGS"] = "--threads 4"
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    attacker = Visitor(server.port, ATTACKER_ADDRESS)
    volunteer_phone, household_phone = Phone(base), Phone(base)
    volunteer_phone.log_in(phone_number)
    csrf = CSRF.search(attacker.request("GET", f"/h/{tokens[flooded]}")[2]).group(1)

    answers, failures = [], []
    numbering = itertools.count()
    refused, others_done = threading.Event(), threading.Event()

    def flood(thread):
        language = ("th", "en")[thread % 2]
        while True:
            n = next(numbering)
            if n >= FLOOD_CAP or (n >= FLOOD_REQUESTS and others_done.is_set()):
                return
            status = None
            try:
                if n % 2:
                    status, headers, text = attacker.request("GET", f"/h/{tokens[flooded]}")
                    answers.append(("GET", language, status, headers, text))
                else:
                    status, headers, text = attacker.ask_for_help(
                        tokens[flooded], f"flood {n}", language, csrf
                    )
                    answers.append(("POST", language, status, headers, text))
            except OSError as error:
                failures.append(repr(error))
            if status == 429:
                refused.set()

    threads = [threading.Thread(target=flood, args=(t,)) for t in range(FLOOD_THREADS)]
    try:
        for thread in threads:
            thread.start()
        assert refused.wait(timeout=60), "the flood was never refused"
        during = len(answers)

        # The other household, from its own address: one request, through the real page.
        page = household_phone.page(f"/h/{tokens[other]}")
        page = household_phone.page(
            f"/h/{tokens[other]}/help",
            {"category": "health", "message": "ยายไม่สบาย", "csrf_token": CSRF.search(page)[1]},
        )
        assert "ส่งคำขอแล้ว" in page
        # A neighbour behind the attacker's address: refused attempts do not count against it.
        neighbour_status = Visitor(server.port, ATTACKER_ADDRESS).ask_for_help(
            tokens[neighbour], "ขอให้ อพม. มาเยี่ยม"
        )[0]
        # The volunteer's home page and a visit sync.
        assert name in volunteer_phone.page("/")
        visit_uuid = str(uuid.uuid4())
        synced = volunteer_phone.sync(
            {
                "client_uuid": visit_uuid,
                "household": code,
                "visited_at": datetime.now(UTC).isoformat(),
                "kind": "routine",
                "wellbeing": "green",
                "notes": "during the flood",
            }
        )
        still_flooding = len(answers) > during
    finally:
        others_done.set()
        for thread in threads:
            thread.join(timeout=120)
        server.kill()

    assert not failures
    assert len(answers) >= FLOOD_REQUESTS
    assert still_flooding, "the others finished before the flood went on"
    assert [a for a in answers if a[2] >= 500] == []
    assert {a[2] for a in answers if a[0] == "GET"} == {200}
    posts = [a for a in answers if a[0] == "POST"]
    assert sum(1 for a in posts if a[2] == 302) == PER_CARD
    refusals = [a for a in posts if a[2] != 302]
    assert refusals and {a[2] for a in refusals} == {429}
    for _, language, _, headers, text in refusals:
        assert int(headers["Retry-After"]) > 0
        assert REFUSAL[language] in text
    assert {a[1] for a in refusals} == {"th", "en"}

    assert neighbour_status == 302
    assert synced == "created"
    assert count(Visit, Visit.client_uuid == visit_uuid) == 1
    assert count(HelpRequest, HelpRequest.household_id == ids[flooded]) == PER_CARD
    assert count(HelpRequest, HelpRequest.household_id == ids[other]) == 1
    assert count(HelpRequest, HelpRequest.household_id == ids[neighbour]) == 1
    # Refusals write nothing: only accepted requests are counted (one row per card, one per
    # address), and no answer to the attacker was audited.
    accepted = PER_CARD + 2
    assert count(RateEvent) == events_before + 2 * accepted
    assert count(AuditEvent, AuditEvent.ip == ATTACKER_ADDRESS) == 0


def test_the_card_page_does_not_wait_for_the_write_lock(client, create_household):
    """Card views only read: a flood of them never queues the volunteers' writes on SQLite."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    token = create_household("NI-01").qr_token
    db.session.rollback()
    writer = sqlite3.connect(db.engine.url.database, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    try:
        response = client.get(f"/h/{token}")
    finally:
        writer.rollback()
        writer.close()
    assert response.status_code == 200
