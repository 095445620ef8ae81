"""Schemathesis explores /api/v1/ as a logged-in volunteer and as staff: no 5xx, as described.

Requests go in-process to the WSGI app. Each operation gets a bounded, seeded run, so the
file takes seconds and fails the same way twice.
"""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app, g
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.test import Client

from pwa_app.api.openapi import SPEC
from pwa_app.extensions import db
from pwa_app.models import Assistance, WelfareProgram
from pwa_app.vocab import ASSISTANCE_STATUSES, NEEDS
from tests.conftest import csrf_from

PUSH_SERVICES = (
    "https://fcm.googleapis.com/fcm/send/",
    "https://updates.push.services.mozilla.com/wpush/v2/",
    "https://web.push.apple.com/",
    "https://db5p.notify.windows.com/w/?token=",
)
RUN = settings(
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,
    # The caller's session and rows are meant to last across the examples of one operation.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def fresh_requests(environ, start_response):
    """Serve one request as production would: an empty `g`, no transaction left open.

    The tests hold the app context open, and Flask would share it, and `g`, between requests.
    """
    g._get_current_object().__dict__.clear()
    try:
        return current_app(environ, start_response)
    finally:
        db.session.rollback()


# A push subscription the description allows may still be refused: its endpoint must be at an
# allowed push service and its key a point on the curve, which no schema says. The aimed run
# below sends real ones, which must be accepted. A photo's file may be any bytes to a schema;
# the server takes only a real picture (tests/test_photos.py sends real ones).
CHECKED_BEYOND_THE_SCHEMA = [
    # (First: an operation takes the first entry that names it, and entries name operations by
    # path or by method.)
    {
        "include-path": "/api/v1/photos",
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": [
                    "2xx",
                    "400",
                    "401",
                    "403",
                    "404",
                    "409",
                    "413",
                    "415",
                    "429",
                    "5xx",
                ]  # fmt: skip
            }
        },
    },
    {
        "include-path": "/api/v1/push/subscriptions",
        "include-method": "POST",
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429", "5xx"]
            }
        },
    },
]


def load(mode, operations=()):
    """Load the description for a seeded run whose requests go to the app in-process."""
    loaded = schemathesis.openapi.from_dict(
        SPEC,
        config=schemathesis.Config.from_dict(
            {
                "operations": list(operations),
                "seed": 2569,
                # The session cookie is the caller's, sent on every request (checks drop it
                # to see a 401), never a generated one.
                "generation": {"mode": mode, "with-security-parameters": False},
                # The only example in a request is a programme code; the aimed run below
                # sends the real ones.
                "phases": {"examples": {"enabled": False}},
                # Leniency by design: a junk page number reads page 1, and a batch answers
                # 200 with each malformed item rejected in its own result.
                "checks": {"negative_data_rejection": {"enabled": False}},
            }
        ),
    )
    loaded.app = fresh_requests
    return loaded


schema = load("all", CHECKED_BEYOND_THE_SCHEMA)
# Valid requests only, with real households and cases, push services and keys swapped in.
aimed = load("positive").include(path_regex="^/api/v1/(visits|push/subscriptions)")
# The session cookie rides in the Cookie header of a jar-less client, so that the auth checks
# can send the same request without it.
CLIENT = Client(fresh_requests, use_cookies=False)


def visit_item(household, **assistance):
    """Build a sync item that the app accepts."""
    return {
        "client_uuid": str(uuid.uuid4()),
        "household": household,
        "visited_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "kind": "routine",
        "wellbeing": "green",
        "assistance": [{**assistance, "status": "identified"}] if assistance else [],
    }


@pytest.fixture(params=["volunteer", "staff"])
def caller(request, client, login_as, create_household, create_visit):
    """Log in a caller whose area holds households, a visit and an open welfare case."""
    user = login_as(request.param, areas=["NI-01"])
    mine = [create_household("NI-01", tags=["elderly"]) for _ in range(3)]
    elsewhere = create_household("NI-02")
    create_visit(mine[0], user)
    token = csrf_from(client.get("/"))
    opened = client.post(
        "/api/v1/visits/sync",
        json={"visits": [visit_item(mine[0].code, program="home_repair")]},
        headers={"X-CSRFToken": token},
    )
    assert opened.json["results"][0]["status"] == "created"
    return {
        "headers": {
            "Cookie": f"session={client.get_cookie('session').value}",
            "X-CSRFToken": token,
            # The in-process transport hands over the body as sent, without decompressing it.
            "Accept-Encoding": "identity",
        },
        "households": [h.code for h in mine] + [mine[1].qr_token, elsewhere.code],
        "programs": db.session.scalars(
            select(WelfareProgram.code).where(WelfareProgram.active.is_(True))
        ).all(),
        "case_id": db.session.scalar(select(Assistance.id)),
    }


def test_the_fuzzed_description_is_the_served_one(client):
    assert client.get("/api/v1/openapi.json").json == json.loads(json.dumps(SPEC))


def test_a_page_past_any_real_one_is_empty(client, login_as):
    login_as("volunteer")
    response = client.get(f"/api/v1/households?page={10**22}")
    assert response.status_code == 200
    assert response.json == {"households": [], "next": None}


def test_a_wrong_method_is_told_which_ones_work(client):
    response = client.get("/api/v1/visits/sync")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert response.json["error"] == "method_not_allowed"


def call(case, caller):
    """Send the case as the caller; check the answer's status, media type and body."""
    return case.call_and_validate(session=CLIENT, headers=caller["headers"])


@schema.parametrize()
@RUN
def test_api_answers_as_described(case, caller):
    call(case, caller)


def browser_keys(data):
    """Draw a browser's subscription keys: a real P-256 public key and a 16-byte secret."""
    private = ec.derive_private_key(data.draw(st.integers(1, 2**255)), ec.SECP256R1())
    point = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return {
        "p256dh": base64.urlsafe_b64encode(point).rstrip(b"=").decode(),
        "auth": base64.urlsafe_b64encode(data.draw(st.binary(min_size=16, max_size=16)))
        .rstrip(b"=")
        .decode(),
    }


def aim_at_push_services(case, data):
    """Put an endpoint at an allowed push service and real keys into a valid subscription."""
    token = data.draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789-_:", min_size=1, max_size=80))
    service = data.draw(st.sampled_from(PUSH_SERVICES))
    case.body["endpoint"] = service + token
    if case.method == "POST":
        case.body["keys"] = browser_keys(data)


def aim_at_real_rows(case, data, caller):
    """Put values that only the database knows into a valid request: households, cases."""
    if case.path == "/api/v1/push/subscriptions":
        aim_at_push_services(case, data)
        return
    households = st.sampled_from(caller["households"])
    if case.path == "/api/v1/visits":
        case.query["household"] = data.draw(households)
        return
    targets = [{"case_id": caller["case_id"]}] + [{"program": p} for p in caller["programs"]]
    entries = st.builds(
        lambda target, status: {**target, "status": status},
        st.sampled_from(targets),
        st.sampled_from(sorted(ASSISTANCE_STATUSES)),
    )
    for item in case.body["visits"]:
        minutes = data.draw(st.integers(1, 60 * 24 * 29))
        item["household"] = data.draw(households)
        item["visited_at"] = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
        item["needs"] = data.draw(st.lists(st.sampled_from(sorted(NEEDS)), unique=True))
        item["assistance"] = data.draw(st.lists(entries, max_size=2))


@pytest.fixture
def reached():
    """Collect what the aimed requests achieved, and check that it went past the lookups."""
    outcomes = set()
    yield outcomes
    assert outcomes & {"found", "created"}, outcomes


@aimed.parametrize()
@aimed.given(data=st.data())
@RUN
def test_api_answers_as_described_for_real_rows(case, data, caller, reached):
    aim_at_real_rows(case, data, caller)
    response = call(case, caller)
    if response.status_code in (200, 201):
        results = response.json().get("results", [{"status": "found"}])
        reached.update(result["status"] for result in results)
