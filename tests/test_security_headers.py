"""Headers and cookies that keep pages from being framed, sniffed or scripted."""

import pytest

from pwa_app import create_app, instance_secret_key


@pytest.mark.parametrize("path", ["/login", "/healthz", "/no-such-page", "/api/v1/me", "/sw.js"])
def test_every_answer_carries_the_security_headers(client, path):
    with client.get(path) as response:
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_static_files_are_not_sniffed_and_carry_no_cookie_vary(client, login_as):
    login_as("volunteer")
    with client.get("/static/css/app.css?v=1") as response:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Cookie" not in response.headers.get("Vary", "")
        assert "Set-Cookie" not in response.headers


def test_pages_have_no_inline_script(client, login_as):
    login_as("admin")
    for path in ("/login", "/", "/dashboard", "/admin/users", "/admin/users/new"):
        page = client.get(path).get_data(as_text=True)
        for chunk in page.split("<script")[1:]:
            tag = chunk.split(">")[0]
            assert ' src="' in tag or 'type="application/json"' in tag, f"inline script on {path}"
        assert " onclick=" not in page and " onload=" not in page


def test_session_cookie_is_httponly_and_samesite_lax(auth, create_user):
    user = create_user("staff")
    response = auth.login(user.phone)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie


def test_cookies_are_secure_when_https_is_preferred(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "PREFER_HTTPS": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_a_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    key = instance_secret_key(tmp_path)
    assert len(key) >= 64
    assert instance_secret_key(tmp_path) == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_behind_a_proxy_the_phone_address_counts(monkeypatch):
    monkeypatch.setenv("PROXY_FIX", "true")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    seen = {}

    @app.route("/whoami-test")
    def whoami():
        from flask import request

        seen["addr"] = request.remote_addr
        return "ok"

    app.test_client().get(
        "/whoami-test",
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert seen["addr"] == "203.0.113.9"
