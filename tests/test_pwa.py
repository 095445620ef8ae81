"""The installable app: manifest, service worker, offline page, caching and compression."""

import base64
import hashlib
import json

from pwa_app.web.pwa import PRECACHE_STATIC


def test_manifest_describes_an_installable_thai_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "อพม. เยี่ยมบ้าน"
    assert manifest["lang"] == "th"
    assert manifest["display"] == "standalone"
    assert manifest["scope"] == "/" and manifest["start_url"].startswith("/")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as image:
            assert image.status_code == 200 and image.mimetype == "image/png"


def test_service_worker_is_served_from_the_root_with_its_precache(client):
    response = client.get("/sw.js")
    source = response.get_data(as_text=True)
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    assert "__CACHE_VERSION__" not in source and "__PRECACHE__" not in source
    precache = json.loads(source.split("const PRECACHE = ")[1].split(";\n")[0])
    assert "/offline" in precache
    for url in precache:
        with client.get(url) as answer:
            assert answer.status_code == 200, url
    assert len(precache) == len(PRECACHE_STATIC) + 1


def test_the_cache_version_changes_with_the_shell(app, client, tmp_path):
    from pwa_app.web import pwa

    first = client.get("/sw.js").get_data(as_text=True)
    pwa._static_hash.cache_clear()
    original = pwa._static_hash
    pwa._static_hash = lambda folder, name: (
        "changed" if name == "js/app.js" else original(folder, name)
    )
    try:
        second = client.get("/sw.js").get_data(as_text=True)
    finally:
        pwa._static_hash = original
    version = lambda source: source.split('const VERSION = "')[1].split('"')[0]  # noqa: E731
    assert version(first) != version(second)


def test_versioned_static_files_are_cached_for_a_year(client):
    client.get("/login")  # the first page carries the styles inline
    page = client.get("/login").get_data(as_text=True)
    css = page.split('rel="stylesheet" href="')[1].split('"')[0]
    assert "?v=" in css
    with client.get(css) as response:
        assert "immutable" in response.headers["Cache-Control"]


def test_pages_are_never_cached_and_are_compressed(client, login_as):
    login_as("volunteer")
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "no-store"
    response = client.get("/", headers={"Accept-Encoding": "br, gzip"})
    assert response.headers["Content-Encoding"] == "br"


def test_the_offline_page_and_the_visit_shell_render(client, login_as):
    assert "ไม่มีสัญญาณ" in client.get("/offline").get_data(as_text=True)
    login_as("volunteer")
    shell = client.get("/visits/new?shell=1")
    page = shell.get_data(as_text=True)
    assert shell.status_code == 200
    assert "data-shell" in page and 'name="new_cases-0-program"' in page


def test_households_cache_answers_304_until_something_changes(
    client, login_as, create_household, create_visit
):
    volunteer = login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01")
    first = client.get("/api/v1/households")
    etag = first.headers["ETag"]
    assert client.get("/api/v1/households", headers={"If-None-Match": etag}).status_code == 304
    create_visit(household, volunteer)
    changed = client.get("/api/v1/households", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json["households"][0]["last_visit_at"] is not None


def test_the_household_shell_holds_no_household_and_only_reads(
    app, client, login_as, create_household
):
    login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01", head_name="บุญมี ศรีสุข")
    response = client.get("/households/shell")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "data-household-shell" in page and "household-shell.js" in page
    assert household.code not in page and "บุญมี ศรีสุข" not in page
    assert app.view_functions["households.shell"].read_only
    worker = client.get("/sw.js").get_data(as_text=True)
    assert '"/households/shell"' in worker and "js/finder.js" in worker


def test_a_first_visit_gets_the_styles_in_the_page_and_later_ones_link_the_file(client):
    first = client.get("/login")
    page = first.get_data(as_text=True)
    assert "<style>" in page and 'rel="stylesheet"' not in page
    styles = page.split("<style>")[1].split("</style>")[0]
    digest = base64.b64encode(hashlib.sha256(styles.encode()).digest()).decode()
    policy = first.headers["Content-Security-Policy"]
    assert f"style-src 'self' 'sha256-{digest}'" in policy  # that block and no other
    assert "unsafe-inline" not in policy

    later = client.get("/login").get_data(as_text=True)
    assert "<style>" not in later and 'rel="stylesheet"' in later


def test_a_stale_styles_cookie_gets_the_new_styles_inline(client):
    client.set_cookie("styles", "an-old-version")
    assert "<style>" in client.get("/login").get_data(as_text=True)
