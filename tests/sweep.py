"""Parts of the hostile-input sweep: the values, request encoding, a form reader, a failure log.

The sweep itself (tests/test_hostile_sweep.py) plans its requests from the URL map; this
module knows nothing about the routes.
"""

import json
import logging
import re
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, quote_plus, urljoin, urlsplit

from werkzeug.datastructures import ImmutableMultiDict

# (label, value, kind): what a phone, a script or a careless paste can send in any text slot.
# "\ud800" is a lone surrogate: in URLs and forms it travels as the UTF-8 bytes %ED%A0%80
# (which the app decodes to U+FFFD); only JSON can carry it into the app as itself.
HOSTILE = (
    ("huge integer", "99999999999999999999", "overflow"),
    ("-1", "-1", "number"),
    ("0", "0", "number"),
    ("2**63", str(2**63), "overflow"),
    ("1e400", "1e400", "number"),
    ("inf", "inf", "number"),
    ("nan", "nan", "number"),
    ("NUL", "\x00", "NUL"),
    ("a NUL b", "a\x00b", "NUL"),
    ("vertical tab", "\x0b", "control"),
    ("SOH", "\x01", "control"),
    ("ANSI escape", "\x1b[31m", "control"),
    ("lone surrogate", "\ud800", "surrogate"),
    ("stacked Thai marks", "ก" + "\u0e49" * 50, "unicode"),
    ("right-to-left override", "\u202e", "unicode"),
    ("10 KB string", "ก" + "a" * 10_239, "text"),
    ("path traversal", "../../etc/passwd", "text"),
    ("literal %00", "%00", "text"),
    ("SQL", "' OR 1=1 --", "text"),
    ("script tag", "<script>alert(1)</script>", "text"),
    ("empty", "", "text"),
    ("whitespace", " \t  ", "text"),
)
HOSTILE_VALUES = {label: value for label, value, _ in HOSTILE}


class RawJSON(str):
    """Text to be put into a JSON body as written, so that the app's parser meets it."""


# JSON-only values: numbers and literals that no string stands for.
JSON_EXTRAS = (
    ("huge number", 99999999999999999999),
    ("-1 number", -1),
    ("0 number", 0),
    ("2**63 number", 2**63),
    ("float", 1.5),
    ("true", True),
    ("false", False),
    ("null", None),
    ("empty list", []),
    ("empty object", {}),
    ("raw 1e400", RawJSON("1e400")),
    ("raw -1e400", RawJSON("-1e400")),
    ("raw Infinity", RawJSON("Infinity")),
    ("raw -Infinity", RawJSON("-Infinity")),
    ("raw NaN", RawJSON("NaN")),
    ("nested 100,000 deep", RawJSON("[" * 100_000 + "]" * 100_000)),
)
JSON_VALUES = HOSTILE_VALUES | dict(JSON_EXTRAS)
KINDS = {label: kind for label, _, kind in HOSTILE} | {label: "json" for label, _ in JSON_EXTRAS}


def sample(rng, k, labels):
    """Pick k labels, one of each kind first (see HOSTILE), the rest at random."""
    labels = sorted(labels)
    rng.shuffle(labels)
    firsts = list({KINDS[label]: label for label in reversed(labels)}.values())
    rest = [label for label in labels if label not in firsts]
    return (firsts + rest)[:k]


def utf8(value):
    """Encode text as UTF-8, letting a lone surrogate through as its three bytes."""
    return str(value).encode("utf-8", "surrogatepass")


def url_value(value):
    """Percent-encode one path segment or query value, '/' included."""
    return quote(utf8(value), safe="")


def query_string(pairs):
    """Encode (name, value) pairs as a query string."""
    return "&".join(f"{url_value(name)}={url_value(value)}" for name, value in pairs)


def urlencoded(pairs):
    """Encode (name, value) pairs as an application/x-www-form-urlencoded body."""
    return "&".join(f"{quote_plus(utf8(n))}={quote_plus(utf8(v))}" for n, v in pairs)


def multipart(pairs, files):
    """Encode text pairs and (name, content) files as a multipart/form-data body."""
    boundary = "sweep-7d3c1a9e5b"  # fixed, so that a seed always sends the same bytes
    parts = []
    for name, value in pairs:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + utf8(value)
            + b"\r\n"
        )
    for name, content in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="sweep.csv"\r\nContent-Type: text/csv\r\n\r\n'.encode()
            + utf8(content)
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def json_body(document):
    """Serialise a document whose RawJSON leaves go into the text as written."""
    raws = {}

    def mark(value):
        if isinstance(value, RawJSON):
            key = f"\x00raw{len(raws)}\x00"
            raws[json.dumps(key)] = str(value)
            return key
        if isinstance(value, dict):
            return {name: mark(item) for name, item in value.items()}
        if isinstance(value, list):
            return [mark(item) for item in value]
        return value

    # ensure_ascii (the default) writes a lone surrogate as the escape "\ud800".
    text = json.dumps(mark(document))
    for key, raw in raws.items():
        text = text.replace(key, raw)
    return text


def leaf_paths(document, prefix=()):
    """Yield the path of every value in a JSON document, containers included, root last."""
    if isinstance(document, dict):
        for name, value in document.items():
            yield from leaf_paths(value, (*prefix, name))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from leaf_paths(value, (*prefix, index))
    yield prefix


def replaced(document, path, value):
    """Return a copy of the document with the value at path replaced."""
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


# -- Forms ------------------------------------------------------------------------------------


@dataclass
class Form:
    """One <form> of a page: where it goes, how, and what it sends untouched."""

    action: str
    method: str
    multipart: bool
    fields: list = field(default_factory=list)  # (name, default value), in page order
    files: list = field(default_factory=list)  # names of file inputs
    buttons: list = field(default_factory=list)  # (name, value) of named submit buttons

    def names(self):
        """Return every name the form can send."""
        names = [name for name, _ in self.fields] + self.files + [n for n, _ in self.buttons]
        return list(dict.fromkeys(names))


class FormReader(HTMLParser):
    """Collect a page's forms with their default values, as a browser would submit them."""

    def __init__(self, page_url):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms = []
        self._form = None
        self._select = None  # [name, multiple, options, selected options]
        self._option = None  # [value attribute or None, text, selected]
        self._textarea = None  # [name, text]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url).split("#")[0]
            self._form = Form(
                action=action,
                method=(a.get("method") or "get").upper(),
                multipart="multipart" in (a.get("enctype") or ""),
            )
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            self._end_option()
            self._option = [a.get("value"), "", "selected" in a]
        elif self._form is None or not a.get("name") or "disabled" in a:
            return
        elif tag == "input":
            self._input(a["name"], (a.get("type") or "text").lower(), a)
        elif tag == "button" and (a.get("type") or "submit") == "submit":
            self._form.buttons.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = [a["name"], "multiple" in a, [], []]
        elif tag == "textarea":
            self._textarea = [a["name"], ""]

    def _input(self, name, kind, a):
        value = a.get("value") or ""
        if kind == "file":
            self._form.files.append(name)
        elif kind in ("submit", "image"):
            self._form.buttons.append((name, value))
        elif kind in ("button", "reset"):
            return
        elif kind in ("checkbox", "radio"):
            taken = any(known == name for known, _ in self._form.fields)
            if "checked" in a and not (kind == "radio" and taken):
                self._form.fields.append((name, a.get("value") or "on"))
        else:
            self._form.fields.append((name, value))

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # As in a browser: a newline right after <textarea> is not part of the value.
            text = text.removeprefix("\r").removeprefix("\n")
            self._form.fields.append((name, text))
            self._textarea = None
        elif tag == "option":
            self._end_option()
        elif tag == "select" and self._select is not None:
            self._end_option()
            name, multiple, options, selected = self._select
            chosen = selected if multiple else (selected[-1:] or options[:1])
            self._form.fields.extend((name, value) for value in chosen)
            self._select = None

    def _end_option(self):
        if self._option is None:
            return
        value, text, selected = self._option
        value = value if value is not None else text.strip()
        self._select[2].append(value)
        if selected:
            self._select[3].append(value)
        self._option = None


def read_forms(page_url, html):
    """Return the forms of a page."""
    reader = FormReader(page_url)
    reader.feed(html)
    reader.close()
    return reader.forms


def form_request(form, overrides):
    """Return (method, path, kwargs) that submit the form with some names' values replaced.

    A replaced name stands for every value it had; a name the form would not send (an
    unticked box, a button, a file) is added.
    """
    pairs = [(name, value) for name, value in form.fields if name not in overrides]
    pairs += [(n, v) for n, v in overrides.items() if n not in form.files]
    files = [(name, overrides.get(name, "")) for name in form.files]
    split = urlsplit(form.action)
    if form.method == "GET":
        query = query_string(pairs)
        return "GET", f"{split.path}?{query}", {}
    path = split.path + (f"?{split.query}" if split.query else "")
    if form.multipart:
        body, content_type = multipart(pairs, files)
        return "POST", path, {"data": body, "content_type": content_type}
    return (
        "POST",
        path,
        {
            "data": urlencoded(pairs),
            "content_type": "application/x-www-form-urlencoded",
        },
    )


# -- Reads of query and form names ------------------------------------------------------------

READS = set()


class RecordingArgs(ImmutableMultiDict):
    """Query and form values that note which names the app asked for."""

    def __getitem__(self, key):
        READS.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        READS.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        READS.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        READS.add(key)
        return super().__contains__(key)


# -- Failures ---------------------------------------------------------------------------------

PROJECT = Path(__file__).resolve().parent.parent


class ExceptionLog(logging.Handler):
    """Keep the exceptions the app logs while a request is served."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.errors = []

    def emit(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            self.errors.append(record.exc_info[1])


def frame_name(frame):
    """Name a traceback frame as file:line in function, the file relative to where it lives."""
    text = str(frame.filename)
    if text.startswith(str(PROJECT)):
        text = str(Path(text).relative_to(PROJECT))
    for marker in ("site-packages/", "lib/python"):
        text = text.split(marker, 1)[-1]
    return f"{text}:{frame.lineno} in {frame.name}"


def project_frames(error):
    """Return the frames of an exception's traceback that are the app's own code."""
    frames = traceback.extract_tb(error.__traceback__)
    return [f for f in frames if f.filename.startswith(str(PROJECT / "pwa_app"))]


def where(error):
    """Return (the app's innermost frame, the innermost frame) that raised an exception."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = project_frames(error)
    return (frame_name(ours[-1]) if ours else "-"), (frame_name(frames[-1]) if frames else "-")


def short(value, limit=60):
    """Show a value briefly and printably."""
    text = value if isinstance(value, str) else json.dumps(value)
    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text)} chars)"
    return text.encode("unicode_escape", "backslashreplace").decode("ascii")


@dataclass
class Failure:
    """One request answered 5xx, or one exception the app logged or let escape."""

    method: str
    path: str
    role: str
    parameter: str = "-"
    label: str = "valid"
    status: object = "ok"  # the answer's status code once it failed, or "raised"
    error: BaseException | None = None
    note: str = ""

    def cause(self):
        """Group failures by what raised them, not by the request that found them."""
        if self.error is None:
            return (f"HTTP {self.status} without a logged exception", self.route(), "")
        ours, innermost = where(self.error)
        return (described(self.error), ours, innermost)

    def route(self):
        return f"{self.method} {self.path.split('?')[0]}"

    def example(self):
        message = ""
        if self.error is not None:
            # A database error's own words, not SQLAlchemy's advice about autoflush.
            text = str(getattr(self.error, "orig", None) or self.error)
            message = f": {described(self.error)}: {short(text.splitlines()[0], 200)}"
        what = self.label if self.parameter == "-" else f"{self.parameter}={self.label!r}"
        return (
            f"{self.method} {short(self.path, 160)} as {self.role}, "
            f"{what} -> {self.status}{message}" + (f" [{self.note}]" if self.note else "")
        )


def described(error):
    """Name an exception, and the driver's exception inside a SQLAlchemy one."""
    orig = getattr(error, "orig", None)
    if orig is None:
        return type(error).__name__
    return f"{type(error).__name__} ({type(orig).__module__}.{type(orig).__name__})"


class FailureLog:
    """Every failure of a run, reported together and grouped by cause."""

    def __init__(self):
        self.failures = []

    def add(self, failure):
        self.failures.append(failure)

    def report(self):
        """Describe each distinct cause once: where, how often, on which routes, one example."""
        groups = defaultdict(list)
        for failure in self.failures:
            groups[failure.cause()].append(failure)
        lines = [f"{len(self.failures)} failing requests, {len(groups)} distinct causes:"]
        for (kind, ours, innermost), items in sorted(groups.items(), key=lambda g: g[0]):
            routes = sorted({f.route() for f in items})
            lines.append(
                f"\n* {kind} at {ours}" + (f" (raised in {innermost})" if innermost else "")
            )
            lines.append(f"  {len(items)} requests on {len(routes)} routes: {', '.join(routes)}")
            lines.append(f"  e.g. {items[0].example()}")
            if items[0].error is not None:
                calls = [frame_name(f) for f in project_frames(items[0].error)[-4:]]
                lines.append(f"  called from {' < '.join(reversed(calls))}")
        return "\n".join(lines)


PLACEHOLDER = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def fill_rule(rule, values):
    """Put values (already URL-encoded) into a rule's placeholders."""
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], rule)
