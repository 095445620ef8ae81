"""The hostile-input sweep: every route, as every role, with hostile values everywhere; no 5xx.

The plan is generated from the URL map and from the pages themselves, so a new route, query
name or form is swept without an edit here:
- each path parameter in turn replaced by hostile values (the others naming real objects);
- each query name the view was seen to read, and a fixed list of common names, replaced;
- each form the pages render submitted with each field in turn replaced (the others left at
  the page's defaults, the CSRF token valid);
- each JSON endpoint posted with hostile values in every field of a valid body, and with
  bodies no parser should choke on (100,000 levels deep, lone surrogates, Infinity).

Each (parameter, value) pair goes to one role, the roles taking turns, and the larger
families are sampled with a seeded random.Random: a seed (SWEEP_SEED) always makes the same
requests in the same order. A time budget (SWEEP_SECONDS) stops a slow machine early. Every
failure of the run is reported at the end, grouped by the exception and the line that raised it.
"""

import base64
import os
import random
import re
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from pwa_app.extensions import db
from pwa_app.models import (
    Assistance,
    Award,
    Household,
    Member,
    User,
    Visit,
)
from tests import sweep
from tests.conftest import PASSWORD, TEST_TABLES, _wipe, csrf_from

SEED = int(os.environ.get("SWEEP_SEED", "2569"))
BUDGET_SECONDS = float(os.environ.get("SWEEP_SECONDS", "90"))
ROLES = ("anonymous", "volunteer", "staff", "admin")
# Applied to every GET route, whether or not the view was seen to read them.
QUERY_NAMES = (
    "page", "q", "from", "to", "area", "village", "tag", "stale", "household", "month",
    "period", "role", "action", "user", "lang", "next", "format", "archived", "shell", "case",
)  # fmt: skip
# How many hostile values each parameter meets, of len(sweep.HOSTILE), one of each kind first.
# A path value that the URL map routes elsewhere (a word for an <int:id>) says little.
VALUES_PER_PATH_PARAMETER = 8
OFF_ROUTE_VALUES_PER_PATH_PARAMETER = 2
VALUES_PER_QUERY_NAME = 8
VALUES_PER_QUERY_NAME_READ_EVERYWHERE = 2  # names a request hook reads (lang)
VALUES_IN_ALL_COMMON_NAMES = 4  # requests with every common name hostile at once
VALUES_PER_FORM_FIELD = 7
VALUES_PER_SHARED_FORM_FIELD = 2
VALUES_PER_JSON_FIELD = 12
# The last pass (every page, as every role, once) shows what the sweep stored; its own budget.
LAST_PASS_SECONDS = 30
# Placeholders that do not name the shared objects, and queries a page needs to do its work.
PLACEHOLDERS = {"badges.achievement": {"code": "smile"}}
NEEDED_QUERY = {"visits.new": {"household": "code"}, "api.list_visits": {"household": "code"}}
JSON_SHAPES = ("nested 100,000 deep", "lone surrogate", "raw Infinity", "raw NaN", "raw 1e400")


class OutOfTime(Exception):
    """The time budget is spent."""


def norm(name):
    """Name a field without the ids in it (case-12-status), so pages of other objects match."""
    return re.sub(r"\d+", "#", name)


def methods(rule):
    """Return the methods a rule answers, without the ones Flask adds."""
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def is_json_endpoint(rule):
    """Tell whether a rule takes JSON bodies: a POST of the API."""
    return rule.rule.startswith("/api/") and "POST" in rule.methods


class Session:
    """A client logged in as a user of one role, with objects for the placeholders."""

    def __init__(self, run, role):
        self.run, self.role = run, role
        self.client = run.app.test_client()
        self.user, self.token = None, None
        self.move()
        if role != "anonymous":
            self.user = run.create_user(role, areas=["NI-01"] if role == "volunteer" else [])
            self.login()
        self.renew()

    def check(self):
        """Make fresh objects if a request of the last group archived, deleted or rotated one."""
        if self.changed and not intact(self.objects):
            self.renew()
        self.changed = False

    def move(self):
        """Come from a new address: the sweep's failed logins and help requests are throttled."""
        n = next(self.run.addresses)
        self.client.environ_base["REMOTE_ADDR"] = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"

    def login(self):
        token = csrf_from(self.client.get("/login"))
        response = self.client.post(
            "/login", data={"phone": self.user.phone, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302, f"the sweep could not log in as {self.role}"
        self.token = None

    def renew(self):
        """Make the objects the placeholders stand for, owned by this role if a volunteer."""
        owner = self.user if self.role == "volunteer" else self.run.create_user("volunteer")
        self.objects = self.run.make_objects(owner)
        self.changed = False

    def csrf(self):
        """Return this session's CSRF token, from a page's meta tag."""
        if self.token is None:
            self.token = csrf_from(self.client.get("/privacy"))
        return self.token

    def values(self, endpoint):
        """Return the placeholder values of this session's objects, as text."""
        values = {name: str(value) for name, value in self.objects.items()}
        return values | PLACEHOLDERS.get(endpoint, {})

    def path(self, rule, hostile=None):
        """Fill a rule with this session's objects, one placeholder maybe replaced."""
        values = {n: sweep.url_value(v) for n, v in self.values(rule.endpoint).items()}
        for name in sweep.PLACEHOLDER.findall(rule.rule):
            values.setdefault(name, "1")
        if hostile:
            values[hostile[0]] = sweep.url_value(hostile[1])
        return sweep.fill_rule(rule.rule, values)

    def page(self, rule):
        """Return the URL of a rule with real objects and the query the page needs."""
        query = self.needed_query(rule.endpoint)
        return self.path(rule) + (f"?{sweep.query_string(query)}" if query else "")

    def needed_query(self, endpoint):
        """Return the (name, value) pairs a page needs to do its real work."""
        values = self.values(endpoint)
        return [(name, values[key]) for name, key in NEEDED_QUERY.get(endpoint, {}).items()]

    def send(self, method, path, parameter="-", label="valid", plain=None, **kwargs):
        """Make one request; log a 5xx or an exception as a failure. Return the response.

        `plain` is the same page without the hostile value: asked again after a failure, it
        tells a bad parameter from bad data that an earlier request stored.
        """
        failure = sweep.Failure(method, path, self.role, parameter, label)
        response = self.open(failure, method, path, **kwargs)
        if failure.status != "ok":
            self.run.failures.add(failure)
            if plain:
                replay = sweep.Failure("GET", plain, self.role)
                self.open(replay, "GET", plain)
                if replay.status != "ok":
                    failure.note = "the page fails without the hostile value too: stored data"
        if response is None:
            return None
        if method != "GET" and response.status_code < 400:
            self.changed = True
        if self.user and response.status_code == 302 and response.location.startswith("/login"):
            self.login()  # the request logged us out (POST /logout): carry on as the role
        return response

    def open(self, failure, method, path, **kwargs):
        """Make a request and fill in the failure it may be; return the response, if any."""
        run = self.run
        if time.monotonic() > run.deadline:
            raise OutOfTime
        run.requests[run.phase] += 1
        run.exceptions.errors.clear()
        began = time.monotonic()
        try:
            response = self.client.open(path, method=method, **kwargs)
        except Exception as error:  # noqa: BLE001 - every escape is a finding
            failure.status, failure.error = "raised", error
            return None
        finally:
            run.seconds[run.phase] += time.monotonic() - began
        if response.status_code >= 500 or run.exceptions.errors:
            failure.status = response.status_code
            failure.error = (run.exceptions.errors or [None])[0]
        return response


class Run:
    """One sweep: its seeded random source, its sessions, its counters and its failures."""

    def __init__(self, app, create_user, make_objects):
        self.app, self.create_user, self.make_objects = app, create_user, make_objects
        self.rng = random.Random(SEED)
        self.failures = sweep.FailureLog()
        self.exceptions = sweep.ExceptionLog()
        self.requests = Counter()  # by phase
        self.seconds = Counter()
        self.phase = "discovery"
        self.deadline = time.monotonic() + BUDGET_SECONDS
        self.adapter = app.url_map.bind("localhost")
        self.rules = sorted(
            (r for r in app.url_map.iter_rules() if r.endpoint != "static"),
            key=lambda r: (r.rule, r.endpoint),
        )
        self.by_text = {rule.rule: rule for rule in self.rules}
        self.sessions = {}
        self.addresses = count(1)

    def session(self, role):
        """Return the run's session of a role, made on first use."""
        if role not in self.sessions:
            self.sessions[role] = Session(self, role)
        return self.sessions[role]

    def endpoint_of(self, path, method):
        """Return the endpoint a (decoded) path reaches, or None."""
        try:
            return self.adapter.match(path.split("?")[0], method=method)[0]
        except (HTTPException, RequestRedirect):
            return None

    def spread(self, labels, roles):
        """Deal the labels out to the roles in turn, in a seeded order."""
        labels = sorted(labels)
        self.rng.shuffle(labels)
        start = self.rng.randrange(len(roles))
        return [(roles[(start + i) % len(roles)], label) for i, label in enumerate(labels)]

    def sample(self, k, labels=sweep.HOSTILE_VALUES):
        """Pick k labels, of hostile values unless told, one of each kind first."""
        return sweep.sample(self.rng, k, labels)


@dataclass
class Discovery:
    """What the pages showed when asked with valid placeholders, as each role."""

    reads: dict = field(default_factory=lambda: defaultdict(set))  # (endpoint, role): names
    forms: dict = field(default_factory=lambda: defaultdict(dict))  # form key: {role: page}
    users: dict = field(default_factory=lambda: defaultdict(set))  # (endpoint, method): roles

    def users_of(self, rule, method):
        """Return the roles a route serves: their hostile values reach its code."""
        roles = self.users[rule.endpoint, method] or self.users[rule.endpoint, "GET"]
        fallback = ROLES if method == "GET" else ROLES[1:]
        return [role for role in ROLES if role in (roles or fallback)]


def discover(run):
    """GET every page as every role: who may use it, which query names it reads, its forms."""
    found = Discovery()
    request_class = run.app.request_class

    class Recording(request_class):
        parameter_storage_class = sweep.RecordingArgs

    run.app.request_class = Recording
    try:
        for role in ROLES:
            session = run.session(role)
            for rule in run.rules:
                if "GET" in rule.methods:
                    discover_page(run, session, rule, found)
    finally:
        run.app.request_class = request_class
    return found


def discover_page(run, session, rule, found):
    """Ask for one page as the session's role and note what it showed."""
    url = session.page(rule)
    sweep.READS.clear()
    response = session.send("GET", url)
    if response is None:
        return
    found.reads[rule.endpoint, session.role] = {n for n in sweep.READS if not re.search(r"\d", n)}
    refused = response.status_code in (401, 403) or (
        response.status_code == 302 and response.location.startswith("/login")
    )
    if not refused:
        found.users[rule.endpoint, "GET"].add(session.role)
    if response.mimetype == "text/html":
        for form in sweep.read_forms(url, response.get_data(as_text=True)):
            key = form_key(run, form)
            found.forms[key].setdefault(session.role, rule.rule)
            found.users[key[1], key[0]].add(session.role)


def form_key(run, form):
    """Identify a form across pages and sessions: its method, target and field names."""
    path = urlsplit(form.action).path
    target = run.endpoint_of(path, form.method) or path
    return (form.method, target, tuple(sorted({norm(n) for n in form.names()})))


def plan(run, found):
    """Return {(rule, role): [case, ...]}: every request to make, grouped by page and role."""
    groups = defaultdict(list)
    for rule in run.rules:
        for method in methods(rule):
            users = found.users_of(rule, method)
            for argument in sweep.PLACEHOLDER.findall(rule.rule):
                for role, label in run.spread(path_labels(run, rule, method, argument), users):
                    groups[rule.rule, role].append(("path", method, argument, label))
            if method != "GET":
                for role in ROLES:
                    groups[rule.rule, role].append(("valid", method))
        if "GET" in rule.methods:
            plan_queries(run, rule, found.reads, groups)
        if is_json_endpoint(rule):
            users = found.users_of(rule, "POST")
            for path in sweep.leaf_paths(valid_json(rule.endpoint)):
                labels = run.sample(VALUES_PER_JSON_FIELD, sweep.JSON_VALUES)
                for role, label in run.spread(labels, users):
                    groups[rule.rule, role].append(("json", path, label))
            for role in ROLES:
                groups[rule.rule, role] += [("json", (), label) for label in JSON_SHAPES]
    in_forms = Counter(name for key in found.forms for name in key[2])
    for key in sorted(found.forms, key=repr):
        pages = found.forms[key]
        roles = [role for role in ROLES if role in pages]
        for name in key[2]:
            # A field of most forms (csrf_token) is checked by one piece of code for all.
            shared = in_forms[name] > len(found.forms) / 2
            k = VALUES_PER_SHARED_FORM_FIELD if shared else VALUES_PER_FORM_FIELD
            for role, label in run.spread(run.sample(k), roles):
                groups[pages[role], role].append(("form", key, name, label))
    for cases in groups.values():
        run.rng.shuffle(cases)
        cases.sort(key=lambda case: case[0] == "valid")  # last: they may archive or log out
    order = sorted(groups)
    run.rng.shuffle(order)
    return {group: groups[group] for group in order}


def path_labels(run, rule, method, argument):
    """Hostile values that reach the rule's view, and a few that the URL map turns away."""
    values = {name: "1" for name in sweep.PLACEHOLDER.findall(rule.rule)}
    values |= PLACEHOLDERS.get(rule.endpoint, {})
    reaching, elsewhere = [], []
    for label, value, _ in sweep.HOSTILE:
        path = sweep.fill_rule(rule.rule, values | {argument: value})
        routed = run.endpoint_of(path, method) == rule.endpoint
        (reaching if routed else elsewhere).append(label)
    return run.sample(VALUES_PER_PATH_PARAMETER, reaching) + run.sample(
        OFF_ROUTE_VALUES_PER_PATH_PARAMETER, elsewhere
    )


def plan_queries(run, rule, reads, groups):
    """Query cases of a GET rule: the names its view reads, then all common names at once."""
    read_by = defaultdict(list)
    for role in ROLES:
        for name in reads.get((rule.endpoint, role), ()):
            read_by[name].append(role)
    everywhere = set.intersection(*(set(names) for names in reads.values())) if reads else set()
    for name in sorted(read_by):
        k = VALUES_PER_QUERY_NAME_READ_EVERYWHERE if name in everywhere else VALUES_PER_QUERY_NAME
        for role, label in run.spread(run.sample(k), read_by[name]):
            groups[rule.rule, role].append(("query", name, label))
    for role, label in run.spread(run.sample(VALUES_IN_ALL_COMMON_NAMES), ROLES):
        groups[rule.rule, role].append(("query", "*", label))


# A browser's subscription keys, made once: a point on P-256 and a 16-byte secret.
BROWSER_POINT = (
    ec.derive_private_key(2569, ec.SECP256R1())
    .public_key()
    .public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
)


def push_subscription():
    """Return a push subscription the server accepts."""
    return {
        "endpoint": "https://fcm.googleapis.com/fcm/send/sweep:APA91b",
        "expirationTime": None,
        "keys": {
            "p256dh": base64.urlsafe_b64encode(BROWSER_POINT).rstrip(b"=").decode(),
            "auth": base64.urlsafe_b64encode(b"0123456789abcdef").rstrip(b"=").decode(),
        },
    }


def valid_json(endpoint, objects=None, client_uuid=None):
    """Return a body the endpoint accepts, or an empty object for an endpoint we do not know."""
    if endpoint in ("api.subscribe", "api.unsubscribe"):  # one path: POST and DELETE
        return push_subscription()
    if endpoint != "api.sync_visits":
        return {}
    objects = objects or {"code": "NI-01-0001", "case_id": 1}
    follow_up = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    item = {
        "client_uuid": client_uuid or str(uuid.UUID(int=1)),
        "household": objects["code"],
        "visited_at": datetime.now(UTC).astimezone().isoformat(),
        "kind": "routine",
        "wellbeing": "green",
        "needs": ["food"],
        "notes": "สบายดี",
        "location": {"lat": 16.5, "lon": 104.6, "accuracy": 12.5},
        "assistance": [
            {"program": "state_welfare_card", "status": "applied", "note": "ยื่นแล้ว",
             "next_follow_up": follow_up},
            # The case stays open, so that every item of the sweep can note progress on it.
            {"case_id": objects["case_id"], "status": "applied", "note": "โทรตามแล้ว"},
        ],
    }  # fmt: skip
    return {"visits": [item]}


def execute(run, group, cases):
    """Make one group's requests as its role, on objects no earlier request has changed."""
    rule, role = run.by_text[group[0]], group[1]
    session = run.session(role)
    session.check()
    session.move()
    forms = {}
    if any(case[0] == "form" for case in cases):
        run.phase, url = "form", session.page(rule)
        response = session.send("GET", url)
        if response is not None and response.mimetype == "text/html":
            for form in sweep.read_forms(url, response.get_data(as_text=True)):
                forms.setdefault(form_key(run, form), form)
    for case in cases:
        send_case(run, session, rule, case, forms)


def send_case(run, session, rule, case, forms):
    """Make the request one case stands for."""
    kind, *details = case
    run.phase = kind
    if kind == "valid":
        (method,) = details
        session.send(method, session.path(rule), data={"csrf_token": session.csrf()})
    elif kind == "path":
        method, argument, label = details
        path = session.path(rule, (argument, sweep.HOSTILE_VALUES[label]))
        data = {"csrf_token": session.csrf()} if method != "GET" else None
        session.send(method, path, f"<{argument}>", label, data=data)
    elif kind == "query":
        name, label = details
        names = QUERY_NAMES if name == "*" else (name,)
        pairs = [(n, v) for n, v in session.needed_query(rule.endpoint) if n not in names]
        pairs += [(n, sweep.HOSTILE_VALUES[label]) for n in names]
        path = f"{session.path(rule)}?{sweep.query_string(pairs)}"
        session.send("GET", path, f"?{name}", label, plain=session.page(rule))
    elif kind == "form":
        key, name, label = details
        form = forms.get(key)
        if form is None:
            return  # this page, for these objects, does not show the form
        replaced = {n: sweep.HOSTILE_VALUES[label] for n in form.names() if norm(n) == name}
        method, path, kwargs = sweep.form_request(form, replaced)
        plain = form.action if method == "GET" else None
        session.send(method, path, f"form {name}", label, plain=plain, **kwargs)
    elif kind == "json":
        field_path, label = details
        client_uuid = str(uuid.UUID(int=run.rng.getrandbits(128)))
        template = valid_json(rule.endpoint, session.objects, client_uuid)
        body = sweep.replaced(template, field_path, sweep.JSON_VALUES[label])
        session.send(
            "POST", session.path(rule), "json " + (".".join(map(str, field_path)) or "body"),
            label, data=sweep.json_body(body),
            headers={"X-CSRFToken": session.csrf(), "Content-Type": "application/json"},
        )  # fmt: skip


@pytest.fixture
def make_objects(route_objects):
    """The objects the placeholders stand for (conftest's factory, shared with the matrix)."""
    return route_objects


def intact(objects):
    """Tell whether the objects still stand as made: not archived, deleted, revoked or rotated.

    Hostile text stored in them is kept: the next pages should show it.
    """
    household = db.session.scalar(select(Household).where(Household.code == objects["code"]))
    visit = db.session.get(Visit, objects["visit_id"])
    award = db.session.get(Award, objects["award_id"])
    target = db.session.get(User, objects["user_id"])
    return bool(
        household
        and not household.archived
        and household.qr_token == objects["token"]
        and db.session.get(Member, objects["member_id"])
        and db.session.get(Assistance, objects["case_id"])
        and visit
        and visit.deleted_at is None
        and award
        and award.revoked_at is None
        and target
        and target.active
        and target.role == "volunteer"
    )


@pytest.fixture
def quiet_app_log(app):
    """Route the app's log to the sweep alone: its report says what thousands of tracebacks
    would."""
    handlers, propagate = app.logger.handlers[:], app.logger.propagate
    yield
    app.logger.handlers[:], app.logger.propagate = handlers, propagate


@pytest.fixture
def reference_data_restored(app):
    """Put back the rows the fixtures keep between tests (badges, areas, programmes).

    The sweep edits the badge catalogue as an admin would; the tests after it expect the
    catalogue of the migration.
    """
    kept = reference_rows()
    yield
    db.session.rollback()
    _wipe()  # the test rows first: awards refer to the badges the sweep added
    for table in reversed(db.metadata.sorted_tables):
        if table.name in kept:
            keys = {primary_key(table, row) for row in kept[table.name]}
            for row in db.session.execute(select(table)).mappings():
                if primary_key(table, row) not in keys:
                    db.session.execute(table.delete().where(*match(table, row)))
    for table in db.metadata.sorted_tables:
        for row in kept.get(table.name, ()):
            if not db.session.execute(
                table.update().where(*match(table, row)).values(row)
            ).rowcount:
                db.session.execute(table.insert().values(row))
    db.session.commit()


def reference_rows():
    """Return the rows of every table that the app fixture does not empty, by table name."""
    emptied = {model.__table__.name for model in TEST_TABLES} | {"users", "user_areas"}
    return {
        table.name: [dict(row) for row in db.session.execute(select(table)).mappings()]
        for table in db.metadata.sorted_tables
        if table.name not in emptied
    }


def primary_key(table, row):
    """Return a row's primary key as a tuple."""
    return tuple(row[column.name] for column in table.primary_key.columns)


def match(table, row):
    """Return the conditions that select a row by its primary key."""
    return [column == row[column.name] for column in table.primary_key.columns]


def last_pass(run):
    """GET every page as every role once more: what the sweep stored must still show."""
    run.phase, run.deadline = "last pass", time.monotonic() + LAST_PASS_SECONDS
    for role in ROLES:
        session = run.session(role)
        for rule in run.rules:
            if "GET" in rule.methods:
                session.send("GET", session.page(rule), label="valid, after the sweep")


def test_no_hostile_input_gets_a_server_error(
    app, create_user, make_objects, quiet_app_log, reference_data_restored
):
    run = Run(app, create_user, make_objects)
    app.logger.handlers[:], app.logger.propagate = [run.exceptions], False
    started, cpu, planned, finished = time.monotonic(), time.process_time(), 0, False
    try:
        groups = plan(run, discover(run))
        planned = sum(len(cases) for cases in groups.values())
        for group, cases in groups.items():
            execute(run, group, cases)
        finished = True
    except OutOfTime:
        pass
    try:
        last_pass(run)
    except OutOfTime:
        finished = False
    phases = ", ".join(
        f"{phase} {n} in {run.seconds[phase]:.0f} s" for phase, n in run.requests.items()
    )
    summary = (
        f"hostile-input sweep, seed {SEED}: {run.requests.total()} requests in "
        f"{time.monotonic() - started:.0f} s, {time.process_time() - cpu:.0f} s of CPU "
        f"({phases}; {planned} planned" + (")" if finished else "; stopped by the time budget)")
    )
    print(summary)
    if run.failures.failures:
        pytest.fail(f"{summary}\n{run.failures.report()}", pytrace=False)


def test_the_sweep_plans_every_route_for_every_role(app, create_user, make_objects):
    run = Run(app, create_user, make_objects)
    found = Discovery()
    for rule in run.rules:
        for role in ROLES:
            found.reads[rule.endpoint, role] = {"page"}
    groups = plan(run, found)
    assert set(groups) == {(rule.rule, role) for rule in run.rules for role in ROLES}
    again = plan(Run(app, create_user, make_objects), found)
    assert list(again.items()) == list(groups.items()), "the plan depends on the seed alone"
