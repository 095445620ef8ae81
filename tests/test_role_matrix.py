"""Every route, asked by every role: the expected answer, never a 500 or a leak."""

import pytest

ROLES = ("anonymous", "volunteer", "staff", "admin", "observer")
LOGIN = "login"  # a redirect to the login page

# (method, rule) -> expected status per role, in ROLES order. The volunteer works in NI-01,
# where the household of the placeholders lives; the observer is given the province MDH and
# sees the dashboard's figures and nothing at household level.
MATRIX = {
    ("GET", "/"): (LOGIN, 200, 200, 200, 302),
    ("GET", "/login"): (200, 302, 302, 302, 302),
    ("POST", "/login"): (400, 302, 302, 302, 302),
    ("POST", "/logout"): (LOGIN, 302, 302, 302, 302),
    ("GET", "/account/password"): (LOGIN, 200, 200, 200, 200),
    ("POST", "/account/password"): (LOGIN, 400, 400, 400, 400),
    ("GET", "/dashboard"): (LOGIN, 403, 200, 200, 200),
    ("GET", "/admin/users"): (LOGIN, 403, 403, 200, 403),
    ("GET", "/admin/users/new"): (LOGIN, 403, 403, 200, 403),
    ("POST", "/admin/users/new"): (LOGIN, 403, 403, 400, 403),
    ("GET", "/admin/users/<int:user_id>"): (LOGIN, 403, 403, 200, 403),
    ("POST", "/admin/users/<int:user_id>"): (LOGIN, 403, 403, 400, 403),
    ("POST", "/admin/users/<int:user_id>/password"): (LOGIN, 403, 403, 400, 403),
    ("POST", "/admin/users/<int:user_id>/active"): (LOGIN, 403, 403, 302, 403),
    ("GET", "/households"): (LOGIN, 200, 200, 200, 403),
    ("GET", "/households/shell"): (LOGIN, 200, 200, 200, 403),
    ("GET", "/households/new"): (LOGIN, 403, 200, 200, 403),
    ("POST", "/households/new"): (LOGIN, 403, 400, 400, 403),
    ("GET", "/households/<code>"): (LOGIN, 200, 200, 200, 403),
    ("GET", "/households/<code>/edit"): (LOGIN, 403, 200, 200, 403),
    ("POST", "/households/<code>/edit"): (LOGIN, 403, 400, 400, 403),
    ("POST", "/households/<code>/archive"): (LOGIN, 403, 302, 302, 403),
    ("POST", "/households/<code>/rotate"): (LOGIN, 403, 302, 302, 403),
    ("POST", "/households/<code>/members"): (LOGIN, 403, 400, 400, 403),
    ("GET", "/households/<code>/members/<int:member_id>"): (LOGIN, 403, 200, 200, 403),
    ("POST", "/households/<code>/members/<int:member_id>"): (LOGIN, 403, 400, 400, 403),
    ("POST", "/households/<code>/members/<int:member_id>/delete"): (LOGIN, 403, 302, 302, 403),
    ("GET", "/households/cards"): (LOGIN, 403, 200, 200, 403),
    ("GET", "/households/import"): (LOGIN, 403, 200, 200, 403),
    ("POST", "/households/import"): (LOGIN, 403, 400, 400, 403),
    ("GET", "/scan"): (LOGIN, 200, 200, 200, 403),
    ("GET", "/visits/new"): (LOGIN, 200, 200, 200, 403),
    ("POST", "/visits/new"): (LOGIN, 400, 400, 400, 403),
    ("GET", "/visits/<int:visit_id>/edit"): (LOGIN, 200, 200, 200, 403),
    ("POST", "/visits/<int:visit_id>/edit"): (LOGIN, 400, 400, 400, 403),
    ("POST", "/visits/<int:visit_id>/delete"): (LOGIN, 302, 302, 302, 403),
    ("GET", "/h/<token>"): (200, 302, 302, 302, 200),
    ("POST", "/h/<token>/help"): (400, 400, 400, 400, 400),
    # Only the household's own phone confirms a visit (docs/security.md).
    ("POST", "/h/<token>/confirm"): (302, 403, 403, 403, 403),
    ("GET", "/help-requests"): (LOGIN, 403, 200, 200, 403),
    ("POST", "/help-requests/<int:request_id>/status"): (LOGIN, 302, 302, 302, 403),
    ("GET", "/volunteers"): (LOGIN, 403, 200, 200, 403),
    ("GET", "/volunteers/<int:user_id>"): (LOGIN, 404, 200, 200, 403),
    ("POST", "/volunteers/<int:user_id>/thank"): (LOGIN, 403, 302, 302, 403),
    ("POST", "/volunteers/<int:user_id>/awards"): (LOGIN, 403, 400, 400, 403),
    ("POST", "/volunteers/<int:user_id>/awards/<int:award_id>/revoke"): (LOGIN, 403, 302, 302, 403),
    ("POST", "/visits/<int:visit_id>/thank"): (LOGIN, 403, 302, 302, 403),
    ("GET", "/notifications"): (LOGIN, 200, 200, 200, 403),
    # The placeholder's notification is the volunteer's own: anyone else's is not there.
    ("GET", "/notifications/<int:notification_id>"): (LOGIN, 302, 404, 404, 403),
    ("POST", "/notifications/read"): (LOGIN, 302, 302, 302, 403),
    ("GET", "/badges/verify/<public_id>"): (200, 200, 200, 200, 200),
    ("GET", "/badges/verify/<public_id>.json"): (200, 200, 200, 200, 200),
    ("GET", "/badges/verify/<public_id>/certificate"): (200, 200, 200, 200, 200),
    ("GET", "/badges/verify/<public_id>.jwt"): (200, 200, 200, 200, 200),
    ("GET", "/badges/issuer"): (200, 200, 200, 200, 200),
    ("GET", "/badges/issuers/<org>"): (200, 200, 200, 200, 200),
    ("GET", "/badges/issuers/<org>/jwks.json"): (200, 200, 200, 200, 200),
    ("GET", "/badges/issuers/<org>/keys/<thumbprint>"): (200, 200, 200, 200, 200),
    ("GET", "/badges/issuers/<org>/revocations"): (200, 200, 200, 200, 200),
    ("GET", "/badges/achievements/<code>"): (200, 200, 200, 200, 200),
    ("GET", "/reports/visits.csv"): (LOGIN, 403, 200, 200, 403),
    ("GET", "/reports/visits.xlsx"): (LOGIN, 403, 200, 200, 403),
    ("GET", "/reports/monthly"): (LOGIN, 403, 200, 200, 403),
    ("GET", "/admin/badges"): (LOGIN, 403, 403, 200, 403),
    ("GET", "/admin/badges/new"): (LOGIN, 403, 403, 200, 403),
    ("POST", "/admin/badges/new"): (LOGIN, 403, 403, 400, 403),
    ("GET", "/admin/badges/<int:badge_id>"): (LOGIN, 403, 403, 200, 403),
    ("POST", "/admin/badges/<int:badge_id>"): (LOGIN, 403, 403, 400, 403),
    ("GET", "/households/<code>/data"): (LOGIN, 403, 200, 200, 403),
    ("GET", "/households/<code>/data.json"): (LOGIN, 403, 200, 200, 403),
    ("POST", "/households/<code>/anonymise"): (LOGIN, 403, 302, 302, 403),
    ("GET", "/privacy"): (200, 200, 200, 200, 200),
    ("GET", "/admin/audit"): (LOGIN, 403, 403, 200, 403),
    ("GET", "/admin/areas"): (LOGIN, 403, 403, 200, 403),
    ("GET", "/admin/areas/new"): (LOGIN, 403, 403, 200, 403),
    ("POST", "/admin/areas/new"): (LOGIN, 403, 403, 400, 403),
    ("GET", "/admin/areas/<int:area_id>"): (LOGIN, 403, 403, 200, 403),
    ("POST", "/admin/areas/<int:area_id>"): (LOGIN, 403, 403, 400, 403),
    ("POST", "/admin/areas/<int:area_id>/move"): (LOGIN, 403, 403, 400, 403),
    # The village holds the placeholders' household: it cannot be retired.
    ("POST", "/admin/areas/<int:area_id>/retire"): (LOGIN, 403, 403, 400, 403),
    ("GET", "/admin/areas/import"): (LOGIN, 403, 403, 200, 403),
    ("POST", "/admin/areas/import"): (LOGIN, 403, 403, 400, 403),
    ("GET", "/admin/programmes"): (LOGIN, 403, 403, 200, 403),
    ("GET", "/admin/programmes/new"): (LOGIN, 403, 403, 200, 403),
    ("POST", "/admin/programmes/new"): (LOGIN, 403, 403, 400, 403),
    ("GET", "/admin/programmes/<int:program_id>"): (LOGIN, 403, 403, 200, 403),
    ("POST", "/admin/programmes/<int:program_id>"): (LOGIN, 403, 403, 400, 403),
    ("POST", "/admin/programmes/<int:program_id>/active"): (LOGIN, 403, 403, 302, 403),
    ("GET", "/agencies"): (LOGIN, 200, 200, 200, 403),
    ("GET", "/admin/agencies"): (LOGIN, 403, 403, 200, 403),
    ("GET", "/admin/agencies/new"): (LOGIN, 403, 403, 200, 403),
    ("POST", "/admin/agencies/new"): (LOGIN, 403, 403, 400, 403),
    ("GET", "/admin/agencies/<int:agency_id>"): (LOGIN, 403, 403, 200, 403),
    ("POST", "/admin/agencies/<int:agency_id>"): (LOGIN, 403, 403, 400, 403),
    ("POST", "/admin/agencies/<int:agency_id>/delete"): (LOGIN, 403, 403, 302, 403),
    ("GET", "/knowledge"): (LOGIN, 200, 200, 200, 403),
    ("GET", "/knowledge/shell"): (LOGIN, 200, 200, 200, 403),
    ("GET", "/knowledge/new"): (LOGIN, 403, 200, 200, 403),
    ("POST", "/knowledge/new"): (LOGIN, 403, 400, 400, 403),
    ("GET", "/knowledge/<slug>"): (LOGIN, 200, 200, 200, 403),
    ("GET", "/knowledge/<slug>/history"): (LOGIN, 200, 200, 200, 403),
    ("GET", "/knowledge/<slug>/versions/<int:number>"): (LOGIN, 200, 200, 200, 403),
    ("GET", "/knowledge/<slug>/edit"): (LOGIN, 403, 200, 200, 403),
    ("POST", "/knowledge/<slug>/edit"): (LOGIN, 403, 400, 400, 403),
    ("GET", "/healthz"): (200, 200, 200, 200, 200),
    ("GET", "/manifest.webmanifest"): (200, 200, 200, 200, 200),
    ("GET", "/sw.js"): (200, 200, 200, 200, 200),
    ("GET", "/offline"): (200, 200, 200, 200, 200),
    ("GET", "/outbox"): (LOGIN, 200, 200, 200, 403),
    ("POST", "/api/v1/visits/sync"): (401, 400, 400, 400, 403),
    ("GET", "/api/v1/openapi.json"): (200, 200, 200, 200, 200),
    ("GET", "/api/v1/me"): (401, 200, 200, 200, 200),
    ("GET", "/api/v1/households"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/visits"): (401, 200, 200, 200, 403),
    # A form without a file is no photo: 400 to each role that may upload.
    ("POST", "/api/v1/photos"): (401, 400, 400, 400, 403),
    ("GET", "/photos/<int:photo_id>"): (LOGIN, 200, 200, 200, 403),
    # Consultations: a volunteer asks about their households, staff of the centre answer.
    ("GET", "/messages"): (LOGIN, 200, 200, 200, 403),
    ("GET", "/messages/new"): (LOGIN, 200, 403, 403, 403),
    ("POST", "/messages/new"): (LOGIN, 400, 403, 403, 403),
    ("GET", "/messages/<int:thread_id>"): (LOGIN, 200, 200, 200, 403),
    ("POST", "/messages/<int:thread_id>"): (LOGIN, 400, 400, 400, 403),
    ("GET", "/api/v1/messages"): (401, 200, 200, 200, 403),
    ("POST", "/api/v1/messages/sync"): (401, 400, 400, 400, 403),
    # Encounters: volunteers (and staff) report people in hardship; staff take them on. The
    # placeholder's report is the volunteer's own: they read it, and only staff act on it.
    ("GET", "/encounters"): (LOGIN, 200, 200, 200, 403),
    ("GET", "/encounters/new"): (LOGIN, 200, 200, 200, 403),
    ("POST", "/encounters/new"): (LOGIN, 400, 400, 400, 403),
    ("GET", "/encounters/<int:encounter_id>"): (LOGIN, 200, 200, 200, 403),
    ("POST", "/encounters/<int:encounter_id>"): (LOGIN, 403, 400, 400, 403),
    ("GET", "/api/v1/encounters"): (401, 200, 200, 200, 403),
    ("POST", "/api/v1/encounters/sync"): (401, 400, 400, 400, 403),
    # Announcements: staff write them for areas; the volunteers there read them.
    ("GET", "/announcements"): (LOGIN, 200, 200, 200, 403),
    ("GET", "/announcements/new"): (LOGIN, 403, 200, 200, 403),
    ("POST", "/announcements/new"): (LOGIN, 403, 400, 400, 403),
    ("GET", "/announcements/<int:announcement_id>"): (LOGIN, 200, 200, 200, 403),
    ("POST", "/announcements/<int:announcement_id>/withdraw"): (LOGIN, 403, 302, 302, 403),
    ("GET", "/api/v1/knowledge"): (401, 200, 200, 200, 403),
    ("GET", "/api/v1/push/key"): (401, 200, 200, 200, 403),
    # A form body is no push subscription: 400 to each role that may subscribe.
    ("POST", "/api/v1/push/subscriptions"): (401, 400, 400, 400, 403),
    ("DELETE", "/api/v1/push/subscriptions"): (401, 400, 400, 400, 403),
}
# Routes whose placeholder is not one of the objects below.
FIXED_PATHS = {"/badges/achievements/<code>": "/badges/achievements/smile"}
# Query strings some routes need to do their work.
QUERIES = {
    "/visits/new": "?household={code}",
    "/api/v1/visits": "?household={code}",
    "/messages/new": "?household={code}",
}
ROLE_AREAS = {"volunteer": ["NI-01"], "observer": ["MDH"]}
CASES = [
    (method, rule, role, expected[index])
    for (method, rule), expected in MATRIX.items()
    for index, role in enumerate(ROLES)
]


def test_the_matrix_covers_every_route(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == set(MATRIX), "add new routes to MATRIX with the answer each role should get"


@pytest.fixture
def objects(route_objects):
    """The objects the placeholders stand for (conftest's factory, shared with the sweep)."""
    return route_objects


def fill(rule, values):
    path = FIXED_PATHS.get(rule, rule)
    for name, value in values.items():
        path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    return path + QUERIES.get(rule, "").format(**values)


@pytest.mark.parametrize(("method", "rule", "role", "expected"), CASES)
def test_route_answers_each_role_as_designed(
    client, auth, create_user, objects, method, rule, role, expected
):
    user = None
    if role != "anonymous":
        user = create_user(role, areas=ROLE_AREAS.get(role, []))
        assert auth.login(user.phone).status_code == 302
    owner = user if role == "volunteer" else create_user("volunteer", areas=["NI-01"])
    path = fill(rule, objects(owner))
    response = auth.send(method, path)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if path.startswith("/api/"):
        assert response.is_json


OTHER_AREA_ROUTES = [
    ("GET", "/households/<code>"),
    ("GET", "/visits/new"),
    ("POST", "/visits/new"),
    ("GET", "/visits/<int:visit_id>/edit"),
    ("POST", "/visits/<int:visit_id>/edit"),
    ("POST", "/visits/<int:visit_id>/delete"),
    ("POST", "/help-requests/<int:request_id>/status"),
    ("GET", "/api/v1/visits"),
    ("GET", "/messages/new"),
    ("POST", "/messages/new"),
    ("GET", "/messages/<int:thread_id>"),
    ("POST", "/messages/<int:thread_id>"),
    ("GET", "/notifications/<int:notification_id>"),
    ("GET", "/photos/<int:photo_id>"),
    ("GET", "/encounters/<int:encounter_id>"),
    ("POST", "/encounters/<int:encounter_id>"),
]


@pytest.mark.parametrize(("method", "rule"), OTHER_AREA_ROUTES)
def test_a_volunteer_of_another_area_gets_404(client, auth, create_user, objects, method, rule):
    """Volunteer B asks for volunteer A's objects by id or code: they do not exist for B."""
    owner = create_user("volunteer", areas=["NI-01"])
    values = objects(owner)
    intruder = create_user("volunteer", areas=["BL-01"])
    auth.login(intruder.phone)
    path = fill(rule, values)
    response = auth.send(method, path)
    assert response.status_code == 404


def test_a_volunteer_of_another_area_sees_only_the_public_card(client, auth, create_user, objects):
    values = objects(create_user("volunteer", areas=["NI-01"]))
    intruder = create_user("volunteer", areas=["BL-01"])
    auth.login(intruder.phone)
    response = client.get(f"/h/{values['token']}")
    assert response.status_code == 200
    assert "ทองดี" not in response.get_data(as_text=True)


def test_admin_asking_for_a_user_that_does_not_exist_gets_404(client, login_as):
    login_as("admin")
    assert client.get("/admin/users/999999").status_code == 404
    assert client.get("/admin/users/not-a-number").status_code == 404


def test_api_answers_json_even_for_unknown_routes(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json
    assert response.json["error"] == "not_found"


def test_api_401_is_json_not_a_redirect(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json == {
        "error": "login_required",
        "message": response.json["message"],
        "fields": {},
    }
    assert response.json["message"]


# Routes naming an object of an organisation's own (households and what hangs from them,
# visits, help requests, volunteers, areas). Catalogues (badges, programmes, agencies) are
# shared by every organisation; public pages (cards, badges) are for everyone.
ORG_PLACEHOLDERS = (
    "<code>",
    "<int:visit_id>",
    "<int:request_id>",
    "<int:user_id>",
    "<int:area_id>",
    "<int:thread_id>",
    "<int:announcement_id>",
    "<int:photo_id>",
    "<int:encounter_id>",
)
ORG_ROUTES = [
    (method, rule)
    for method, rule in MATRIX
    if any(p in rule for p in ORG_PLACEHOLDERS)
    and not rule.startswith(("/h/", "/badges/"))
    or (method, rule)
    in (("GET", "/visits/new"), ("GET", "/api/v1/visits"), ("GET", "/messages/new"))
]
ORG_CASES = [
    (method, rule, role, direction)
    for method, rule in ORG_ROUTES
    for role in ("staff", "admin")
    for direction in ("a_asks_b", "b_asks_a")
]


def other_centre_answer(method, rule, role):
    """What A's staff or admin get for B's object: what they would get for their own, as 404."""
    own = MATRIX[(method, rule)][ROLES.index(role)]
    return 403 if own == 403 else 404


@pytest.mark.parametrize(("method", "rule", "role", "direction"), ORG_CASES)
def test_staff_and_admins_of_one_centre_get_404_for_the_others_objects(
    client, auth, create_user, objects, second_org, method, rule, role, direction
):
    """Centre A's staff and admins ask for centre B's objects by id or code, and back."""
    if direction == "a_asks_b":
        owner = create_user("volunteer", areas=["ZZ-01"], org="ZZC")
        values = objects(owner, village="ZZ-01", target_area="ZZ-02")
        asker = create_user(role)
    else:
        values = objects(create_user("volunteer", areas=["NI-01"]))
        asker = create_user(role, org="ZZC")
    assert auth.login(asker.phone).status_code == 302
    path = fill(rule, values)
    response = auth.send(method, path)
    assert response.status_code == other_centre_answer(method, rule, role), path


@pytest.mark.parametrize(("method", "rule"), ORG_ROUTES)
def test_an_observer_gets_403_on_every_household_level_route(
    client, auth, create_user, objects, method, rule
):
    values = objects(create_user("volunteer", areas=["NI-01"]))
    observer = create_user("observer", areas=["MDH"])
    assert auth.login(observer.phone).status_code == 302
    path = fill(rule, values)
    response = auth.send(method, path)
    assert response.status_code == 403
