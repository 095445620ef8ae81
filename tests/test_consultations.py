"""Consultations: a volunteer asks about a household or case, staff answer, each message once."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pwa_app.extensions import db
from pwa_app.models import Message, Notification, Thread, WelfareProgram
from pwa_app.services import cases, consultations, dashboard
from tests.conftest import csrf_from


def new_uuid():
    return str(uuid.uuid4())


@pytest.fixture
def talk(client, auth, create_user):
    """Log a client in as a user and return a function that posts a batch of messages."""

    def as_user(user):
        auth.logout()
        auth.login(user.phone)
        token = csrf_from(client.get("/", follow_redirects=True))

        def post(*items, raw=None):
            return client.post(
                "/api/v1/messages/sync",
                data=raw if raw is not None else json.dumps({"messages": list(items)}),
                headers={"X-CSRFToken": token, "Content-Type": "application/json"},
            )

        return post

    return as_user


@pytest.fixture
def people(create_user, create_household):
    volunteer = create_user("volunteer", areas=["NI-01"])
    household = create_household("NI-01", volunteer=volunteer)
    return {
        "volunteer": volunteer,
        "household": household,
        "staff": create_user("staff"),
        "other_volunteer": create_user("volunteer", areas=["NI-01"]),
        "far_volunteer": create_user("volunteer", areas=["BL-01"]),
    }


def ask(post, household, body="ยายปวดเข่า ไม่มีรถไปโรงพยาบาล ควรส่งต่อที่ไหนคะ", **extra):
    item = {"client_uuid": new_uuid(), "household": household.code, "body": body, **extra}
    return post(item), item


def test_a_question_and_its_answer_make_one_thread_with_times(talk, people, client):
    post = talk(people["volunteer"])
    response, item = ask(post, people["household"])
    [result] = response.json["results"]
    assert result["status"] == "created" and result["thread"]
    thread = db.session.get(Thread, result["thread"])
    assert thread.waiting_since is not None and thread.first_answer_at is None
    assert consultations.unread_count(people["staff"]) == 1
    assert consultations.waiting_count(people["staff"]) == 1
    staff_post = talk(people["staff"])
    answer = staff_post(
        {"client_uuid": new_uuid(), "thread": thread.id, "body": "ติดต่อ รพ.สต. หนองเอี่ยน ได้เลยค่ะ"}
    ).json["results"][0]
    assert answer["status"] == "created" and answer["thread"] == thread.id
    db.session.refresh(thread)
    assert thread.waiting_since is None and thread.first_answer_seconds is not None
    # The volunteer is told, without the answer's words on a screen others may see.
    [told] = db.session.scalars(
        select(Notification).where(Notification.user_id == people["volunteer"].id)
    ).all()
    assert (told.kind, told.url) == ("answer", f"/messages/{thread.id}")
    assert "รพ.สต." not in json.dumps(told.params, ensure_ascii=False)
    assert (
        db.session.scalar(
            select(func.count(Notification.id)).where(Notification.user_id == people["staff"].id)
        )
        == 0
    )
    assert consultations.unread_count(people["volunteer"]) == 1
    assert consultations.waiting_count(people["staff"]) == 0
    talk(people["volunteer"])
    page = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert "ติดต่อ รพ.สต. หนองเอี่ยน" in page and people["staff"].display_name in page
    assert consultations.unread_count(people["volunteer"]) == 0
    listed = client.get("/api/v1/messages").json
    assert [m["body"][:6] for m in listed["messages"]] == ["ยายปวด", "ติดต่อ"]
    assert [m["mine"] for m in listed["messages"]] == [True, False]


def test_a_message_sent_twice_is_stored_once_and_a_reused_id_is_a_conflict(talk, people):
    post = talk(people["volunteer"])
    response, item = ask(post, people["household"])
    again = post(item).json["results"][0]
    assert (
        again["status"] == "duplicate" and again["thread"] == response.json["results"][0]["thread"]
    )
    assert db.session.scalar(select(func.count(Message.id))) == 1
    changed = post({**item, "body": "อีกเรื่อง"}).json["results"][0]
    assert changed["status"] == "rejected" and changed["error"] == "conflict"


def test_a_question_about_another_areas_household_is_not_found(talk, people, create_household):
    far = create_household("BL-01")
    post = talk(people["volunteer"])
    result = ask(post, far)[0].json["results"][0]
    assert result["status"] == "rejected" and result["error"] == "not_found"
    assert "household" in result["fields"]
    assert db.session.scalar(select(func.count(Thread.id))) == 0


def test_other_volunteers_and_other_centres_never_see_a_thread(
    talk, people, client, second_org, create_user
):
    thread_id = ask(talk(people["volunteer"]), people["household"])[0].json["results"][0]["thread"]
    outsiders = [
        people["other_volunteer"],
        people["far_volunteer"],
        create_user("staff", org="ZZC"),
    ]
    for outsider in outsiders:
        post = talk(outsider)
        assert client.get(f"/messages/{thread_id}").status_code == 404
        assert client.get("/api/v1/messages").json["messages"] == []
        result = post({"client_uuid": new_uuid(), "thread": thread_id, "body": "x"}).json
        assert result["results"][0]["error"] == "not_found"
    observer = create_user("observer", areas=["MDH"])
    talk(observer)
    for path in ("/messages", f"/messages/{thread_id}", "/api/v1/messages"):
        assert client.get(path).status_code == 403


def test_bad_messages_are_rejected_with_reasons_and_the_rest_saved(talk, people):
    post = talk(people["volunteer"])
    good = {"client_uuid": new_uuid(), "household": people["household"].code, "body": "ok"}
    items = [
        {"client_uuid": new_uuid(), "household": people["household"].code, "body": "x" * 100_000},
        {"client_uuid": new_uuid(), "household": people["household"].code, "body": "  "},
        {"client_uuid": new_uuid(), "household": people["household"].code, "body": "a\x00b"},
        {"client_uuid": "nope", "household": people["household"].code, "body": "a"},
        {"client_uuid": new_uuid(), "body": "no target"},
        {"client_uuid": new_uuid(), "household": people["household"].code, "thread": 1,
         "body": "a"},
        {"client_uuid": new_uuid(), "household": people["household"].code, "body": "a",
         "sent_at": "2099-01-01T00:00:00+07:00"},
        {"client_uuid": new_uuid(), "household": people["household"].code, "body": "a",
         "case": 999999},
        "not an object",
        good,
    ]  # fmt: skip
    results = post(*items).json["results"]
    assert [r["status"] for r in results] == ["rejected"] * 9 + ["created"]
    assert "2000" in results[0]["fields"]["body"]
    assert "body" in results[1]["fields"] and "body" in results[2]["fields"]
    assert "client_uuid" in results[3]["fields"] and "household" in results[4]["fields"]
    assert "thread" in results[5]["fields"] and "sent_at" in results[6]["fields"]
    assert "case" in results[7]["fields"]
    assert db.session.scalar(select(func.count(Message.id))) == 1


def test_a_batch_that_is_not_a_list_or_too_long_is_refused(talk, people):
    post = talk(people["volunteer"])
    assert post(raw="{").status_code == 400
    assert post(raw=json.dumps({"visits": []})).status_code == 400
    many = [{"client_uuid": new_uuid(), "body": "a"} for _ in range(51)]
    assert post(*many).status_code == 413


def test_staff_answer_but_do_not_start_threads_and_the_page_form_works(talk, people, client, auth):
    talk(people["staff"])
    result = talk(people["staff"])(
        {"client_uuid": new_uuid(), "household": people["household"].code, "body": "x"}
    ).json["results"][0]
    assert result["status"] == "rejected" and "household" in result["fields"]
    assert client.get(f"/messages/new?household={people['household'].code}").status_code == 403
    talk(people["volunteer"])
    page = client.get(f"/messages/new?household={people['household'].code}")
    assert page.status_code == 200
    client_uuid = new_uuid()
    form = {"body": "", "client_uuid": client_uuid, "case": ""}
    refused = auth.post(f"/messages/new?household={people['household'].code}", form)
    assert refused.status_code == 400 and "has-error" in refused.get_data(as_text=True)
    form["body"] = "ถามเรื่องเบี้ยยังชีพ"
    sent = auth.post(f"/messages/new?household={people['household'].code}", form)
    assert sent.status_code == 302
    twice = auth.post(f"/messages/new?household={people['household'].code}", form)
    assert twice.status_code == 302 and twice.headers["Location"] == sent.headers["Location"]
    assert db.session.scalar(select(func.count(Message.id))) == 1
    talk(people["staff"])
    thread_id = db.session.scalar(select(Thread.id))
    listing = client.get("/messages").get_data(as_text=True)
    assert people["household"].code in listing and "unread" in listing
    answered = auth.post(f"/messages/{thread_id}", {"body": "ได้ค่ะ", "client_uuid": new_uuid()})
    assert answered.status_code == 302
    assert db.session.get(Thread, thread_id).waiting_since is None


def test_a_question_about_a_case_names_it(talk, people, create_user):
    program = db.session.scalar(select(WelfareProgram).where(WelfareProgram.code == "home_repair"))
    case = cases.open_case(
        people["household"], program, cases.NewCase(program="home_repair", status="identified"),
        None, people["volunteer"],
    )  # fmt: skip
    db.session.commit()
    post = talk(people["volunteer"])
    result = ask(post, people["household"], case=case.id)[0].json["results"][0]
    assert db.session.get(Thread, result["thread"]).assistance_id == case.id


def test_since_lists_only_newer_messages(talk, people, client):
    post = talk(people["volunteer"])
    ask(post, people["household"], body="หนึ่ง")
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert (
        client.get("/api/v1/messages", query_string={"since": later.isoformat()}).json["messages"]
        == []
    )
    assert client.get("/api/v1/messages?since=yesterday").status_code == 400


def test_the_dashboard_counts_how_long_volunteers_wait(talk, people, login_as, client):
    post = talk(people["volunteer"])
    threads = []
    for body in ("หนึ่ง", "สอง", "สาม"):
        threads.append(ask(post, people["household"], body=body)[0].json["results"][0]["thread"])
    for thread_id, seconds in zip(threads[:2], (600, 3 * 3600), strict=True):
        thread = db.session.get(Thread, thread_id)
        thread.first_answer_seconds = seconds
        thread.first_answer_at = thread.created_at + timedelta(seconds=seconds)
        thread.waiting_since = None
    db.session.commit()
    period = dashboard.parse_period("month")
    start, end = period.bounds()
    waits = consultations.wait_times(start, end, lambda column: column.is_not(None))
    assert (waits.asked, waits.answered, waits.median_seconds, waits.slowest_seconds) == (
        3,
        2,
        600,
        3 * 3600,
    )
    assert waits.waiting_now == 1
    talk(people["staff"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'data-figure="first_answer_median"' in page
