"""The JSON reads the offline cache needs: households and visits, scoped to the caller."""

import hashlib

from pwa_app.models.base import utcnow


def test_households_are_the_callers_own_with_cache_fields(
    client, login_as, create_user, create_household, create_visit
):
    volunteer = login_as("volunteer", areas=["NI-01"])
    mine = create_household("NI-01", tags=["elderly"], head_name="สมศรี ใจดี")
    create_household("BL-01")
    create_visit(mine, volunteer)
    body = client.get("/api/v1/households").json
    assert [h["code"] for h in body["households"]] == [mine.code]
    entry = body["households"][0]
    assert entry["qr_hash"] == hashlib.sha256(mine.qr_token.encode()).hexdigest()
    assert "qr_token" not in entry  # a volunteer's phone never holds a card's secret
    assert entry["village"] == "NI-01"
    assert entry["tags"] == ["elderly"]
    assert entry["head_name"] == "สมศรี ใจดี"
    assert entry["last_visit_at"].startswith(str(utcnow().year))
    assert body["next"] is None


def test_visits_volunteers_see_their_own_staff_see_all(
    client, auth, login_as, create_user, create_household, create_visit
):
    me = create_user("volunteer", areas=["NI-01"])
    other = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01")
    mine = create_visit(household, me, days_ago=1)
    create_visit(household, other, days_ago=0)
    auth.login(me.phone)
    body = client.get(f"/api/v1/visits?household={household.code}").json
    assert [v["id"] for v in body["visits"]] == [mine.id]
    auth.logout()
    login_as("staff")
    body = client.get(f"/api/v1/visits?household={household.code}").json
    assert len(body["visits"]) == 2
    assert body["visits"][0]["visited_at"] > body["visits"][1]["visited_at"]


def test_visits_without_a_household_is_a_json_field_error(client, login_as):
    login_as("volunteer")
    response = client.get("/api/v1/visits")
    assert response.status_code == 400
    assert response.json["error"] == "validation_failed"
    assert "household" in response.json["fields"]


def test_visits_of_an_unknown_household_is_json_404(client, login_as):
    login_as("volunteer")
    response = client.get("/api/v1/visits?household=NI-01-9999")
    assert response.status_code == 404
    assert response.is_json and response.json["error"] == "not_found"
