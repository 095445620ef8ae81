"""Every route, asked by every role: the expected answer, never a 500 or a leak."""

import pytest

ROLES = ("anonymous", "volunteer", "staff", "admin")
LOGIN = "login"  # a redirect to the login page

# (method, rule) -> expected status per role, in ROLES order.
MATRIX = {
    ("GET", "/"): (LOGIN, 200, 200, 200),
    ("GET", "/login"): (200, 302, 302, 302),
    ("POST", "/login"): (400, 302, 302, 302),
    ("POST", "/logout"): (LOGIN, 302, 302, 302),
    ("GET", "/account/password"): (LOGIN, 200, 200, 200),
    ("POST", "/account/password"): (LOGIN, 400, 400, 400),
    ("GET", "/dashboard"): (LOGIN, 403, 200, 200),
    ("GET", "/admin/users"): (LOGIN, 403, 403, 200),
    ("GET", "/admin/users/new"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/users/new"): (LOGIN, 403, 403, 400),
    ("GET", "/admin/users/<int:user_id>"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/users/<int:user_id>"): (LOGIN, 403, 403, 400),
    ("POST", "/admin/users/<int:user_id>/password"): (LOGIN, 403, 403, 400),
    ("POST", "/admin/users/<int:user_id>/active"): (LOGIN, 403, 403, 302),
    ("GET", "/healthz"): (200, 200, 200, 200),
    ("GET", "/api/v1/me"): (401, 200, 200, 200),
}
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


@pytest.mark.parametrize(("method", "rule", "role", "expected"), CASES)
def test_route_answers_each_role_as_designed(
    client, auth, create_user, method, rule, role, expected
):
    target = create_user("volunteer", areas=["BL-01"])
    if role != "anonymous":
        user = create_user(role)
        assert auth.login(user.phone).status_code == 302
    path = rule.replace("<int:user_id>", str(target.id))
    if method == "GET":
        response = client.get(path)
    else:
        response = auth.post(path, {})
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == expected
    if path.startswith("/api/"):
        assert response.is_json


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
