"""Know-how pages: Thai search, safe Markdown, every version kept, no lost update, who may
write, the offline copy, and the guides linked from each case."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text

from pwa_app.extensions import db
from pwa_app.models import (
    Agency,
    Assistance,
    KnowledgePage,
    KnowledgeSlug,
    KnowledgeVersion,
    WelfareProgram,
)
from pwa_app.services import knowledge, knowledge_search
from pwa_app.services.markdown import ALLOWED_TAGS, LINK_SCHEMES, render, sanitize

# ---------------------------------------------------------------------------------------
# Helpers


def page_form(**overrides):
    """A valid new page, as the form posts it."""
    form = {
        "title_th": "การช่วยผู้ป่วยติดเตียง",
        "body_th": "## ขั้นตอน\n\n1. แจ้ง รพ.สต.\n2. ขอรถเข็นจากกองทุน",
        "title_en": "Helping bedridden patients",
        "body_en": "## Steps\n\n1. Tell the health centre.\n2. Ask the fund for a wheelchair.",
        "slug": "bedridden-patients",
        "program": "",
        "save": "1",
    }
    return {**form, **overrides}


def make_page(slug, title_th="หน้าทดสอบ", body_th="ข้อความ", **fields):
    """Write a page through the service, committed; return it."""
    data = knowledge.PageInput(slug=slug, title_th=title_th, body_th=body_th, **fields)
    page, _changed = knowledge.save_page(None, data, None)
    db.session.commit()
    return page


def found_slugs(client, query):
    response = client.get("/knowledge", query_string={"q": query})
    assert response.status_code == 200
    listing = response.get_data(as_text=True).partition("data-knowledge-list")[2]
    return re.findall(r'href="/knowledge/([a-z0-9-]+)"', listing.partition("</ul>")[0])


def seeded(slug):
    return db.session.scalar(select(KnowledgePage).where(KnowledgePage.slug == slug))


def program(code):
    return db.session.scalar(select(WelfareProgram).where(WelfareProgram.code == code))


# ---------------------------------------------------------------------------------------
# The seeded library


def test_the_model_process_and_a_guide_per_programme_are_seeded_in_both_languages(app):
    pages = knowledge.all_pages()
    assert pages[0].slug == "model-work-process"
    guided = {page.program.code for page in pages if page.program}
    assert guided == set(db.session.scalars(select(WelfareProgram.code)))
    for page in pages:
        assert page.title_th and page.title_en and page.body_th and page.body_en, page.slug
        assert page.version == 1 and len(page.versions) == 1
    process = seeded("model-work-process")
    # The app's own statuses, in the words the visit form uses.
    for words in ("พบความต้องการ", "ยื่นคำร้องแล้ว", "ส่งต่อแล้ว", "ได้รับแล้ว", "ไม่มีสิทธิ์"):
        assert words in process.body_th
    assert "Safety" in process.body_en and "Sufficiency" in process.body_en


def test_a_guide_names_who_qualifies_documents_next_steps_and_time(client, login_as):
    login_as("volunteer")
    page = client.get("/knowledge/old-age-allowance").get_data(as_text=True)
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    for heading in ("ใครมีสิทธิ์", "เอกสารที่ต้องใช้", "ขั้นตอน", "จะเกิดอะไรต่อ ใช้เวลานานเท่าไร"):
        assert heading in headings
    assert "ทะเบียนบ้าน" in page and "60" in page


def test_a_guide_shows_the_agencies_phone_from_the_directory_as_it_is_now(client, login_as):
    login_as("volunteer", areas=["NI-01"])
    agency = db.session.scalar(
        select(Agency).where(Agency.name_th.like("%หนองเอี่ยน%"), Agency.kind == "subdistrict_admin")
    )
    page = client.get("/knowledge/old-age-allowance").get_data(as_text=True)
    contacts = page.partition("data-guide-contacts")[2].partition("</section>")[0]
    assert agency.name_th in contacts and f'href="tel:{agency.phone}"' in contacts
    assert "บ้านเหล่า" not in contacts  # the other subdistrict's office is not theirs

    agency.phone = "0426119999"
    db.session.commit()
    page = client.get("/knowledge/old-age-allowance").get_data(as_text=True)
    assert 'href="tel:0426119999"' in page
    assert "0426119999" not in seeded("old-age-allowance").body_th  # shown, never copied


# ---------------------------------------------------------------------------------------
# Search


def test_a_thai_word_finds_itself_inside_longer_words(client, login_as):
    login_as("volunteer")
    assert "old-age-allowance" in found_slugs(client, "เบี้ย")
    assert "old-age-allowance" in found_slugs(client, "ยังชีพ")  # the middle of a title
    # A word inside a sentence of the text, not in any title.
    assert "refer-health" in found_slugs(client, "แผลกดทับ")
    assert found_slugs(client, "ไม่มีคำนี้ในหน้าใดเลย") == []


def test_every_word_must_be_found_and_english_is_matched_in_any_case(client, login_as):
    login_as("volunteer")
    assert found_slugs(client, "เบี้ย ผู้สูงอายุ")[0] == "old-age-allowance"
    make_page("only-first", "หน้าหนึ่ง", "มีคำว่ามะพร้าวอยู่")
    make_page("only-second", "หน้าสอง", "มีคำว่าทุเรียนอยู่")
    assert found_slugs(client, "มะพร้าว") == ["only-first"]
    assert found_slugs(client, "มะพร้าว ทุเรียน") == []
    assert "old-age-allowance" in found_slugs(client, "OLD-AGE allowance")


def test_pages_with_the_words_in_their_title_come_first(client, login_as):
    login_as("staff")
    body_only = make_page("in-the-text", "เรื่องอื่น", "พูดถึงกล้วยน้ำว้าในเนื้อหา " * 5)
    in_title = make_page("in-the-title", "ปลูกกล้วยน้ำว้า", "เนื้อหาสั้น")
    assert found_slugs(client, "กล้วยน้ำว้า") == [in_title.slug, body_only.slug]


def test_a_query_shorter_than_a_trigram_matches_the_start_of_titles_and_says_so(client, login_as):
    login_as("volunteer")
    response = client.get("/knowledge", query_string={"q": "บั"})
    body = response.get_data(as_text=True)
    assert "data-search-short" in body and "3" in body
    slugs = found_slugs(client, "บั")
    assert set(slugs) == {"disability-card", "state-welfare-card"}  # titles starting บัตร…
    assert found_slugs(client, "Ol") == ["old-age-allowance"]  # the English title too
    assert found_slugs(client, "ต่") == []  # inside titles does not count


def test_a_short_word_beside_a_long_one_narrows_what_the_long_one_found(client, login_as):
    login_as("staff")
    make_page("short-and-long", "ตำบลทดสอบ", "ตำบลทดสอบ มีน้ำ")
    make_page("long-only", "ตำบลทดสอบสอง", "ไม่มีอะไร")
    assert found_slugs(client, "ตำบลทดสอบ น้ำ") == ["short-and-long"]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""" OR zzq',
        "title : zzqx",
        "zzq*",
        "NEAR(zzq yyq)",
        "%%%",
        "___",
        "a\\b",
        "(((",
        "' OR 1=1 --",
    ],  # fmt: skip
)
def test_search_syntax_in_a_query_is_plain_text(client, login_as, query):
    login_as("volunteer")
    response = client.get("/knowledge", query_string={"q": query})
    assert response.status_code == 200
    assert found_slugs(client, query) == []  # no wildcard matched everything


def test_the_search_index_follows_every_edit(client, auth, login_as):
    staff = login_as("staff")
    page = make_page("index-follows", "หน้าติดตาม", "คำเดิมมะละกอ")
    assert found_slugs(client, "มะละกอ") == [page.slug]
    data = knowledge.PageInput(
        slug=page.slug, title_th="หน้าติดตาม", body_th="คำใหม่สับปะรด", base_version="1"
    )
    knowledge.save_page(page, data, staff)
    db.session.commit()
    assert found_slugs(client, "มะละกอ") == []
    assert found_slugs(client, "สับปะรด") == [page.slug]
    db.session.delete(page)
    db.session.commit()
    assert found_slugs(client, "สับปะรด") == []


def test_search_reads_the_trigram_index(app):
    """Not a LIKE over every row: the query plan names the index."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            db.session.scalars(
                text(
                    "EXPLAIN SELECT id FROM knowledge_pages WHERE title_th ILIKE '%เบี้ย%' "
                    "OR title_en ILIKE '%เบี้ย%' OR body_text ILIKE '%เบี้ย%'"
                )
            )
        )
        assert "ix_knowledge_pages_search" in plan
    else:
        rows = db.session.execute(
            text("EXPLAIN QUERY PLAN SELECT rowid FROM knowledge_fts WHERE knowledge_fts MATCH 'x'")
        ).all()
        assert any("VIRTUAL TABLE INDEX" in str(row) for row in rows)
    db.session.rollback()
    assert knowledge_search.search("เบี้ยยังชีพ").pages[0].slug == "old-age-allowance"


def test_the_snippet_marks_the_words_found(client, login_as):
    login_as("volunteer")
    body = client.get("/knowledge", query_string={"q": "แผลกดทับ"}).get_data(as_text=True)
    assert "<mark>แผลกดทับ</mark>" in body


# ---------------------------------------------------------------------------------------
# The sanitiser

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=//evil.example/x.png>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "<object data=x></object><embed src=x>",
    "<svg onload=alert(1)><circle/></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>x</details>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<!--<img src=x onerror=alert(1)>-->",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/"><link rel=stylesheet href=//evil.example/x.css>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x][r]\n\n[r]: javascript:alert(1)",
    '[x](https://ok.example "t\\" onmouseover=\\"alert(1)")',
    "![a](//evil.example/x.png)",
    "![a](https://evil.example/x.png)",
    "![a](http:evil.example/x.png)",
    "![a](/\\evil.example/x.png)",
    "![a](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![a onerror=alert(1)](/static/icons/icon.svg)",
    "**<img src=x onerror=alert(1)>**",
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "> <iframe srcdoc='<script>alert(1)</script>'>",
]


class Tags(HTMLParser):
    """Collect every tag and its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_safe(html):
    parser = Tags()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (name, html)
            assert name not in ("style", "srcdoc", "action", "formaction"), (name, html)
            squeezed = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
            assert not squeezed.startswith(("javascript:", "vbscript:", "data:")), (value, html)
        if tag == "a" and "href" in attrs:
            href = attrs["href"]
            scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", href)
            assert scheme is None or scheme.group(1).lower() in LINK_SCHEMES, html
            assert attrs.get("rel") == "noopener noreferrer nofollow", html
        if tag == "img" and "src" in attrs:
            src = attrs["src"].strip()
            assert not src.startswith(("//", "/\\", "\\")), html  # another host
            assert not urlsplit(src).scheme and not urlsplit(src).netloc, html


@pytest.mark.parametrize("payload", XSS)
def test_markdown_renders_no_script_handler_or_foreign_link(payload):
    html = render(payload)
    assert_safe(html)
    assert "<script" not in html.lower() and "<iframe" not in html.lower()


@pytest.mark.parametrize("payload", XSS)
def test_the_sanitiser_alone_stops_raw_html_too(payload):
    """The second lock: even HTML that never came through Markdown is made safe."""
    assert_safe(sanitize(payload))


def test_what_staff_need_survives_the_sanitiser():
    html = render(
        "# ขั้นตอน\n\n1. โทร [อบต.](tel:042691101)\n2. ดู [หน้านี้](/knowledge/how-to-refer)\n\n"
        "[เว็บ](https://www.m-society.go.th) **สำคัญ**\n\n"
        "| สถานะ | ทำอะไร |\n|---|---|\n| ก | ข |\n\n"
        "![บัตร](/static/icons/icon.svg)"
    )
    assert "<h2>ขั้นตอน</h2>" in html  # the page's own title is its only h1
    assert '<a href="tel:042691101" rel="noopener noreferrer nofollow">' in html
    assert '<a href="/knowledge/how-to-refer"' in html
    assert 'href="https://www.m-society.go.th"' in html and "<strong>สำคัญ</strong>" in html
    assert '<div class="table-scroll"><table>' in html and "<td>ข</td>" in html
    assert '<img src="/static/icons/icon.svg" alt="บัตร">' in html


def test_a_foreign_image_keeps_only_its_words():
    html = render("![ภาพบ้าน <b>x</b>](https://evil.example/track.png)")
    assert "<img" not in html and "ภาพบ้าน &lt;b&gt;x&lt;/b&gt;" in html


def test_a_page_and_the_offline_copy_carry_only_the_sanitised_html(client, auth, login_as):
    login_as("staff")
    payload = "ก่อน <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    response = auth.post("/knowledge/new", page_form(body_th=payload, slug="xss-page"))
    assert response.status_code == 302
    page = client.get("/knowledge/xss-page").get_data(as_text=True)
    body = page.partition("data-knowledge-body>")[2].partition("</div>")[0]
    assert_safe(body)
    assert "<script>alert" not in page and "<img" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body  # shown as the text it is
    offline = next(
        p for p in client.get("/api/v1/knowledge").json["pages"] if p["slug"] == "xss-page"
    )
    assert_safe(offline["html"]["th"])
    assert "<script" not in offline["html"]["th"]


# ---------------------------------------------------------------------------------------
# Writing, versions, and no lost update


def test_staff_write_a_page_and_read_it(client, auth, login_as):
    staff = login_as("staff", name="สมใจ เจ้าหน้าที่")
    response = auth.post("/knowledge/new", page_form())
    assert response.status_code == 302 and response.location == "/knowledge/bedridden-patients"
    page = client.get(response.location, follow_redirects=True).get_data(as_text=True)
    assert '<h1 lang="th">การช่วยผู้ป่วยติดเตียง</h1>' in page
    assert "<h2>ขั้นตอน</h2>" in page and "สมใจ เจ้าหน้าที่" in page
    version = db.session.scalar(
        select(KnowledgeVersion).where(KnowledgeVersion.slug == "bedridden-patients")
    )
    assert (version.number, version.by_user_id, version.title_en) == (
        1,
        staff.id,
        "Helping bedridden patients",
    )


def test_every_version_is_kept_listed_and_readable(client, auth, login_as):
    login_as("staff", name="คนแรก")
    auth.post("/knowledge/new", page_form(body_th="ข้อความรุ่นหนึ่ง"))
    auth.post(
        "/knowledge/bedridden-patients/edit",
        page_form(body_th="ข้อความรุ่นสอง", base_version="1"),
    )
    auth.logout()
    login_as("admin", name="คนที่สอง")
    response = auth.post(
        "/knowledge/bedridden-patients/edit",
        page_form(body_th="ข้อความรุ่นสาม", base_version="2"),
    )
    assert response.status_code == 302
    texts = db.session.execute(
        select(KnowledgeVersion.number, KnowledgeVersion.body_th)
        .join(KnowledgePage)
        .where(KnowledgePage.slug == "bedridden-patients")
        .order_by(KnowledgeVersion.number)
    ).all()
    assert [tuple(row) for row in texts] == [
        (1, "ข้อความรุ่นหนึ่ง"),
        (2, "ข้อความรุ่นสอง"),
        (3, "ข้อความรุ่นสาม"),
    ]
    history = client.get("/knowledge/bedridden-patients/history").get_data(as_text=True)
    assert history.count('href="/knowledge/bedridden-patients/versions/') == 3
    assert "คนแรก" in history and "คนที่สอง" in history
    old = client.get("/knowledge/bedridden-patients/versions/1").get_data(as_text=True)
    assert "ข้อความรุ่นหนึ่ง" in old and "data-old-version" in old
    assert "ข้อความรุ่นสาม" in client.get("/knowledge/bedridden-patients").get_data(as_text=True)
    assert client.get("/knowledge/bedridden-patients/versions/9").status_code == 404


def test_saving_the_same_text_adds_no_version(client, auth, login_as):
    login_as("staff")
    auth.post("/knowledge/new", page_form())
    response = auth.post(
        "/knowledge/bedridden-patients/edit", page_form(base_version="1"), follow_redirects=True
    )
    assert "ไม่มีอะไรเปลี่ยน" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(KnowledgeVersion.id)).join(KnowledgePage).where(
        KnowledgePage.slug == "bedridden-patients")) == 1  # fmt: skip


def test_an_edit_begun_on_an_older_version_is_refused_and_keeps_what_was_typed(
    client, auth, login_as, create_user
):
    writer = login_as("staff")
    auth.post("/knowledge/new", page_form())
    # Someone else saves version 2 while this editor still has version 1 open.
    other = create_user("staff", name="พิมพ์ใจ อีกคน")
    page = seeded("bedridden-patients")
    knowledge.save_page(
        page,
        knowledge.PageInput(slug=page.slug, title_th=page.title_th, body_th="ข้อความของอีกคน",
                            base_version="1"),
        other,
    )  # fmt: skip
    db.session.commit()

    typed = "ข้อความที่ฉันพิมพ์อยู่ ห้ามหาย"
    response = auth.post(
        "/knowledge/bedridden-patients/edit", page_form(body_th=typed, base_version="1")
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "data-stale-edit" in body and "พิมพ์ใจ อีกคน" in body
    assert typed in body  # in the form, ready to save again
    assert "ข้อความของอีกคน" in body  # the newer text beside it, to compare
    db.session.rollback()
    assert seeded("bedridden-patients").body_th == "ข้อความของอีกคน"  # theirs stands
    assert re.search(r'name="base_version" type="hidden" value="2"', body)

    # Saving again is now a knowing choice: it becomes version 3.
    response = auth.post(
        "/knowledge/bedridden-patients/edit", page_form(body_th=typed, base_version="2")
    )
    assert response.status_code == 302
    db.session.rollback()
    page = seeded("bedridden-patients")
    assert (page.version, page.body_th, page.updated_by_id) == (3, typed, writer.id)


def test_a_form_without_its_version_is_refused_with_the_text_kept(client, auth, login_as):
    login_as("staff")
    auth.post("/knowledge/new", page_form())
    response = auth.post("/knowledge/bedridden-patients/edit", page_form(body_th="ใหม่ล่าสุด"))
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "ใหม่ล่าสุด" in body
    assert "แบบฟอร์มส่งมาไม่ครบ" in body


def test_preview_renders_without_saving(client, auth, login_as):
    login_as("staff")
    form = page_form(body_th="**ตัวหนา** ในตัวอย่าง", preview="1")
    del form["save"]
    response = auth.post("/knowledge/new", form)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<strong>ตัวหนา</strong>" in body
    assert seeded("bedridden-patients") is None


def test_a_page_in_one_language_is_shown_in_it_to_readers_of_the_other(client, auth, login_as):
    login_as("staff")
    auth.post(
        "/knowledge/new",
        page_form(title_en="", body_en="", slug="thai-only", title_th="ภาษาไทยเท่านั้น"),
    )
    page = client.get("/knowledge/thai-only?lang=en").get_data(as_text=True)
    assert "not written in your language yet; it is shown in Thai" in page
    assert 'lang="th" data-knowledge-body' in page and "ภาษาไทยเท่านั้น" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title_th": "", "body_th": "", "title_en": "", "body_en": ""}, "title_th", "เขียนหน้านี้"),
        ({"body_th": ""}, "body_th", "เขียนเนื้อหา"),
        ({"title_en": ""}, "title_en", "ตั้งชื่อ"),
        ({"body_th": "มีอักขระ\x00ซ่อน"}, "body_th", "U+0000"),
        ({"program": "no_such_programme"}, "program", "เลือกจากรายการ"),
    ],
)
def test_a_wrong_page_is_refused_next_to_the_field_with_what_was_typed(
    client, auth, login_as, overrides, field, message
):
    login_as("staff")
    response = auth.post("/knowledge/new", page_form(**overrides))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in body, body[body.find("has-error") - 200 : body.find("has-error") + 800]
    assert "bedridden-patients" in body  # the address typed is kept
    assert seeded("bedridden-patients") is None


def test_one_guide_per_programme(client, auth, login_as):
    login_as("staff")
    response = auth.post("/knowledge/new", page_form(program="old_age_allowance"))
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "เบี้ยยังชีพผู้สูงอายุ: ใครมีสิทธิ์" in body


# ---------------------------------------------------------------------------------------
# Addresses


@pytest.mark.parametrize(
    "slug",
    [
        "old_age",
        "ab",
        "-abc",
        "abc-",
        "a--b",
        "9lives",
        "เบี้ย",
        "a b",
        "a_b",
        "x" * 61,
        "new",
        "shell",
    ],
)
def test_a_bad_address_is_refused(client, auth, login_as, slug):
    login_as("staff")
    response = auth.post("/knowledge/new", page_form(slug=slug))
    assert response.status_code == 400
    assert seeded(slug.lower()) is None


def test_an_empty_address_is_made_from_the_english_title(client, auth, login_as):
    login_as("staff")
    response = auth.post("/knowledge/new", page_form(slug="", title_en="Wheelchairs & 2 ramps!"))
    assert response.location == "/knowledge/wheelchairs-2-ramps"
    response = auth.post(
        "/knowledge/new", page_form(slug="", title_en="", body_en="", title_th="ไม่มีชื่ออังกฤษ")
    )
    assert response.status_code == 400 and "ภาษาอังกฤษ" in response.get_data(as_text=True)


def test_an_address_in_use_or_once_used_is_never_given_to_another_page(client, auth, login_as):
    login_as("staff")
    assert auth.post("/knowledge/new", page_form(slug="old-age-allowance")).status_code == 400
    auth.post("/knowledge/new", page_form(slug="first-name"))
    renamed = auth.post(
        "/knowledge/first-name/edit", page_form(slug="second-name", base_version="1")
    )
    assert renamed.location == "/knowledge/second-name"
    refused = auth.post("/knowledge/new", page_form(slug="first-name", title_th="อีกหน้า"))
    assert refused.status_code == 400 and "ไม่ใช้ซ้ำ" in refused.get_data(as_text=True)
    assert db.session.get(KnowledgeSlug, "first-name").page_id == seeded("second-name").id


def test_an_old_address_leads_to_the_page(client, auth, login_as):
    login_as("volunteer")
    page = make_page("before-rename")
    knowledge.save_page(
        page, knowledge.PageInput(slug="after-rename", title_th=page.title_th,
                                  body_th=page.body_th, base_version="1"), None,
    )  # fmt: skip
    db.session.commit()
    response = client.get("/knowledge/before-rename")
    assert (response.status_code, response.location) == (301, "/knowledge/after-rename")
    assert client.get("/knowledge/BEFORE-RENAME").location == "/knowledge/after-rename"
    history = client.get("/knowledge/before-rename/history")
    assert history.location == "/knowledge/after-rename/history"
    assert client.get("/knowledge/no-such-page").status_code == 404
    assert client.get("/knowledge/%E0%B8%81").status_code == 404


# ---------------------------------------------------------------------------------------
# Who may read and write (from the wrong side)


def test_a_volunteer_reads_but_cannot_write_or_edit(client, auth, login_as):
    login_as("volunteer")
    assert client.get("/knowledge").status_code == 200
    assert client.get("/knowledge/new").status_code == 403
    assert auth.post("/knowledge/new", page_form()).status_code == 403
    assert client.get("/knowledge/old-age-allowance/edit").status_code == 403
    response = auth.post(
        "/knowledge/old-age-allowance/edit", page_form(slug="old-age-allowance", base_version="1")
    )
    assert response.status_code == 403
    db.session.rollback()
    assert seeded("old-age-allowance").version == 1 and seeded("bedridden-patients") is None
    page = client.get("/knowledge/old-age-allowance").get_data(as_text=True)
    assert "/knowledge/old-age-allowance/edit" not in page
    assert "/knowledge/new" not in client.get("/knowledge").get_data(as_text=True)


def test_an_observer_gets_403_on_pages_and_the_api(client, login_as):
    login_as("observer", areas=["MDH"])
    for path in ("/knowledge", "/knowledge/old-age-allowance", "/knowledge/shell",
                 "/knowledge/old-age-allowance/history"):  # fmt: skip
        assert client.get(path).status_code == 403, path
    response = client.get("/api/v1/knowledge")
    assert response.status_code == 403 and response.json["error"] == "forbidden"


def test_anyone_not_logged_in_is_sent_to_log_in(client):
    response = client.get("/knowledge/old-age-allowance")
    assert response.status_code == 302 and response.location.startswith("/login")
    response = client.get("/api/v1/knowledge")
    assert response.status_code == 401 and response.json["error"] == "login_required"


def test_staff_of_any_organisation_edit_the_shared_pages(client, auth, login_as, second_org):
    login_as("staff", org="ZZC")
    response = auth.post("/knowledge/new", page_form())
    assert response.status_code == 302


def test_the_menu_offers_the_know_how_to_volunteers_and_staff(client, login_as, auth):
    login_as("volunteer")
    assert 'href="/knowledge"' in client.get("/").get_data(as_text=True)
    auth.logout()
    login_as("staff")
    assert 'href="/knowledge"' in client.get("/").get_data(as_text=True)


# ---------------------------------------------------------------------------------------
# The offline copy


def test_the_api_gives_every_page_rendered_in_both_languages(client, login_as):
    login_as("volunteer", areas=["NI-01"])
    response = client.get("/api/v1/knowledge")
    pages = {page["slug"]: page for page in response.json["pages"]}
    assert len(pages) == db.session.scalar(select(func.count(KnowledgePage.id)))
    guide = pages["old-age-allowance"]
    assert guide["program"] == "old_age_allowance" and pages["how-to-refer"]["program"] is None
    assert guide["title"]["th"].startswith("เบี้ยยังชีพผู้สูงอายุ")
    assert "<h2>ใครมีสิทธิ์</h2>" in guide["html"]["th"]
    assert "<h2>Who qualifies</h2>" in guide["html"]["en"]
    assert any("หนองเอี่ยน" in a["name"]["th"] for a in guide["agencies"])
    assert guide["updated_at"] and guide["version"] == 1


def test_the_api_answers_304_until_a_page_or_an_agency_changes(client, login_as):
    login_as("volunteer", areas=["NI-01"])
    first = client.get("/api/v1/knowledge")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/knowledge", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    make_page("a-new-page")
    changed = client.get("/api/v1/knowledge", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    etag = changed.headers["ETag"]
    agency = db.session.scalar(
        select(Agency).where(Agency.kind == "subdistrict_admin", Agency.name_th.like("%หนองเอี่ยน%"))
    )
    agency.phone = "0426110000"
    from pwa_app.models.base import utcnow

    agency.updated_at = utcnow()
    db.session.commit()
    moved = client.get("/api/v1/knowledge", headers={"If-None-Match": etag})
    assert moved.status_code == 200 and "0426110000" in moved.get_data(as_text=True)


def test_an_old_address_is_listed_with_its_page(client, login_as):
    login_as("volunteer")
    page = make_page("old-name")
    knowledge.save_page(
        page, knowledge.PageInput(slug="new-name", title_th="ก", body_th="ข", base_version="1"),
        None,
    )  # fmt: skip
    db.session.commit()
    listed = next(
        p for p in client.get("/api/v1/knowledge").json["pages"] if p["slug"] == "new-name"
    )
    assert listed["aliases"] == ["old-name"]


# ---------------------------------------------------------------------------------------
# Guides linked from where volunteers work


def open_case(household, code, status="identified"):
    case = Assistance(
        household=household, village_id=household.village_id, program=program(code),
        status=status, note="",
    )  # fmt: skip
    db.session.add(case)
    db.session.commit()
    return case


def test_the_visit_form_links_each_case_to_its_programmes_guide(client, login_as, create_household):
    volunteer = login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    case = open_case(household, "state_welfare_card")
    page = client.get(f"/visits/new?household={household.code}").get_data(as_text=True)
    fieldset = page.partition(f'name="case-{case.id}-status"')[0].rpartition("<fieldset")[2]
    assert 'href="/knowledge/state-welfare-card" data-guide-link' in fieldset
    assert "ดูวิธีส่งต่อ" in fieldset


def test_the_offline_visit_form_carries_the_guides_for_its_cases(client, login_as):
    login_as("volunteer")
    page = client.get("/visits/new?shell=1").get_data(as_text=True)
    template = page.partition("<template data-case-template>")[2].partition("</template>")[0]
    assert "data-case-guide" in template and "data-guide-link" in template
    guides = re.search(r'<script type="application/json" id="program-guides">(.*?)</script>', page)
    import json

    mapping = json.loads(guides.group(1))
    assert mapping["old_age_allowance"] == "/knowledge/old-age-allowance"
    assert set(mapping) == set(db.session.scalars(select(WelfareProgram.code)))


def test_a_programme_without_a_guide_shows_no_link(client, login_as, create_household):
    volunteer = login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    case = open_case(household, "home_repair")
    guide = seeded("home-repair")
    guide.program_id = None
    db.session.commit()
    page = client.get(f"/visits/new?household={household.code}").get_data(as_text=True)
    fieldset = page.partition(f'name="case-{case.id}-status"')[0].rpartition("<fieldset")[2]
    assert "data-case-guide hidden" in fieldset


def test_the_household_page_and_the_directory_link_to_the_guides(
    client, login_as, create_household
):
    volunteer = login_as("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    open_case(household, "refer_health", status="referred")
    page = client.get(f"/households/{household.code}").get_data(as_text=True)
    cases = page.partition('id="cases"')[2].partition("</section>")[0]
    assert 'href="/knowledge/refer-health"' in cases
    directory = client.get("/agencies?program=refer_health").get_data(as_text=True)
    assert 'href="/knowledge/refer-health"' in directory
    assert 'href="/knowledge"' in client.get("/agencies").get_data(as_text=True)


def test_the_shell_holds_no_page(client, login_as):
    login_as("volunteer")
    shell = client.get("/knowledge/shell").get_data(as_text=True)
    assert "data-knowledge-shell" in shell and "ใครมีสิทธิ์" not in shell
    assert "js/knowledge-shell.js" in shell
