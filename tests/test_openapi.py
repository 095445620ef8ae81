"""The OpenAPI 3.1 description covers every /api/v1/ route and matches real answers."""

import uuid
from datetime import UTC, datetime

import jsonschema
import pytest
from openapi_spec_validator import validate

from pwa_app.api.openapi import SPEC
from tests.conftest import csrf_from


def test_the_description_is_valid_openapi_3_1(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_api_route_is_described(app):
    described = {
        (method.upper(), path)
        for path, operations in SPEC["paths"].items()
        for method in operations
    }
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == described


def schema_for(path, method, status):
    """Return the response schema, with the components to resolve references."""
    content = SPEC["paths"][path][method]["responses"][str(status)]["content"]
    return {**content["application/json"]["schema"], "components": SPEC["components"]}


def check(response, path, method="get"):
    jsonschema.validate(
        response.json,
        schema_for(path, method, response.status_code),
        cls=jsonschema.Draft202012Validator,
        format_checker=jsonschema.FormatChecker(),
    )


@pytest.fixture
def volunteer_with_data(client, login_as, create_household, create_visit, auth):
    user = login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01", tags=["elderly"])
    create_visit(household, user)
    return user, household


def test_real_answers_match_the_description(client, volunteer_with_data):
    _user, household = volunteer_with_data
    check(client.get("/api/v1/me"), "/api/v1/me")
    check(client.get("/api/v1/households"), "/api/v1/households")
    check(client.get("/api/v1/knowledge"), "/api/v1/knowledge")
    check(client.get(f"/api/v1/visits?household={household.code}"), "/api/v1/visits")
    check(client.get("/api/v1/visits?household=NI-01-9999"), "/api/v1/visits")
    token = csrf_from(client.get("/"))
    body = {
        "visits": [
            {
                "client_uuid": str(uuid.uuid4()),
                "household": household.code,
                "visited_at": datetime.now(UTC).isoformat(),
                "kind": "routine",
                "wellbeing": "green",
                "assistance": [{"program": "home_repair", "status": "identified"}],
                "location": {"lat": 16.5, "lon": 104.4, "accuracy": 12},
            },
            {"client_uuid": "not-a-uuid"},
        ]
    }
    response = client.post("/api/v1/visits/sync", json=body, headers={"X-CSRFToken": token})
    check(response, "/api/v1/visits/sync", "post")
    too_many = client.post(
        "/api/v1/visits/sync", json={"visits": [{}] * 51}, headers={"X-CSRFToken": token}
    )
    check(too_many, "/api/v1/visits/sync", "post")
    report = {
        "client_uuid": str(uuid.uuid4()),
        "seen_at": datetime.now(UTC).isoformat(),
        "category": "begging",
        "place": "หน้าตลาด",
        "location": {"lat": 16.6, "lon": 104.4, "accuracy_m": 20},
        "person": {"name": None, "age": 9, "sex": "female"},
    }
    body = {"encounters": [report, {"client_uuid": "x"}]}
    response = client.post("/api/v1/encounters/sync", json=body, headers={"X-CSRFToken": token})
    check(response, "/api/v1/encounters/sync", "post")
    assert [r["status"] for r in response.json["results"]] == ["created", "rejected"]
    check(client.get("/api/v1/encounters"), "/api/v1/encounters")
    request_schema = SPEC["paths"]["/api/v1/encounters/sync"]["post"]["requestBody"]["content"]
    jsonschema.validate(
        {"encounters": [report]},
        {**request_schema["application/json"]["schema"], "components": SPEC["components"]},
        cls=jsonschema.Draft202012Validator,
    )


def test_error_answers_match_the_description(client):
    check(client.get("/api/v1/me"), "/api/v1/me")
    check(client.post("/api/v1/visits/sync", json={}), "/api/v1/visits/sync", "post")


def test_the_requests_the_client_sends_match_the_description():
    request_schema = SPEC["paths"]["/api/v1/visits/sync"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    example = {
        "visits": [
            {
                "client_uuid": str(uuid.uuid4()),
                "household": "NI-01-0001",
                "visited_at": "2026-11-25T14:30:00+07:00",
                "kind": "routine",
                "wellbeing": "yellow",
                "needs": ["food"],
                "notes": "",
                "location": None,
                "assistance": [
                    {"case_id": 3, "status": "received", "note": "", "next_follow_up": None}
                ],
            }
        ]
    }
    jsonschema.validate(
        example,
        {**request_schema, "components": SPEC["components"]},
        cls=jsonschema.Draft202012Validator,
    )
