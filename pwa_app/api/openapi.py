"""GET /api/v1/openapi.json: the API described in OpenAPI 3.1, kept true by the tests."""

from flask import jsonify

from pwa_app.api import bp
from pwa_app.web.access import read_only
from pwa_app.web.args import MAX_PAGE

NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
# Text with something in it and no control character (services/validation.py refuses those
# with a 400; lone surrogates cannot travel in a URL at all).
NO_CONTROL = "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"
TEXT_PATTERN = f"^{NO_CONTROL}*\\S{NO_CONTROL}*$"


def ref(name):
    """Point at a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(description, schema):
    """Describe a JSON response."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR_RESPONSES = {
    "401": json_response("Not logged in", ref("Error")),
    "400": json_response("Bad request or missing CSRF token", ref("Error")),
}

SCHEMAS = {
    "PhotoStored": {
        "type": "object",
        "required": ["status", "id", "url", "linked"],
        "properties": {
            "status": {"type": "string", "enum": ["created", "duplicate"]},
            "id": {"type": "integer"},
            "url": {"type": "string", "description": "Where the photo is shown: /photos/<id>."},
            "linked": {
                "type": "boolean",
                "description": "False while the photo waits for its visit or encounter.",
            },
        },
    },
    "Error": {
        "type": "object",
        "required": ["error", "message", "fields"],
        "properties": {
            "error": {"type": "string", "examples": ["validation_failed", "login_required"]},
            "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "Location": {
        "type": ["object", "null"],
        "properties": {
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "accuracy": {"type": ["number", "null"], "minimum": 0},
        },
    },
    "AssistanceEntry": {
        "description": (
            "A new welfare case (with `program`) or progress on an open one (with `case_id`). "
            "A household has one open case per programme: a new one of a programme already "
            "open (or entered twice in one visit) is rejected with a field error naming it."
        ),
        "type": "object",
        "required": ["status"],
        "properties": {
            "program": {"type": "string", "examples": ["old_age_allowance"]},
            "case_id": {"type": "integer"},
            "status": {
                "enum": [
                    "identified",
                    "applied",
                    "referred",
                    "received",
                    "not_eligible",
                    "withdrawn",
                ]
            },
            "note": {"type": "string", "maxLength": 2000},
            "next_follow_up": {"type": ["string", "null"], "format": "date"},
        },
    },
    "VisitItem": {
        "type": "object",
        "required": ["client_uuid", "household", "visited_at", "kind", "wellbeing"],
        "properties": {
            "client_uuid": {"type": "string", "format": "uuid"},
            "household": {
                "type": "string",
                "description": "Household code (typed loosely too: `ni 1 1`) or card token",
            },
            "visited_at": {"type": "string", "format": "date-time"},
            "kind": {"enum": ["first_contact", "routine", "follow_up", "urgent"]},
            "wellbeing": {"enum": ["green", "yellow", "red"]},
            "needs": {"type": "array", "items": {"type": "string"}},
            "notes": {"type": "string", "maxLength": 4000},
            "location": ref("Location"),
            "assistance": {"type": "array", "items": ref("AssistanceEntry")},
        },
    },
    "SyncResult": {
        "type": "object",
        "required": ["client_uuid", "status"],
        "properties": {
            "client_uuid": {"type": ["string", "null"]},
            "status": {"enum": ["created", "duplicate", "rejected"]},
            "id": {"type": "integer"},
            "error": {"type": "string"},
            "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "EncounterItem": {
        "description": (
            "A person found in hardship (no household card): where, when, what was seen. "
            "village is the code of one of the reporter's villages, the one nearest the "
            "place; a volunteer with one village may leave it out. A location must lie in "
            "Thailand and within 50 km of the village."
        ),
        "type": "object",
        "required": ["client_uuid", "seen_at", "category", "place"],
        "properties": {
            "client_uuid": {"type": "string", "format": "uuid"},
            "seen_at": {"type": "string", "format": "date-time"},
            "category": {
                "enum": [
                    "homeless",
                    "begging",
                    "abandoned_elder",
                    "child_at_risk",
                    "violence",
                    "mental_health",
                    "other",
                ]
            },
            "urgency": {"enum": ["normal", "urgent"]},
            "place": {"type": "string", "minLength": 1, "maxLength": 300},
            "description": {"type": "string", "maxLength": 4000},
            "village": {"type": ["string", "null"], "examples": ["NI-01"]},
            "location": {
                "type": ["object", "null"],
                "properties": {
                    "lat": {"type": "number", "minimum": 5.5, "maximum": 20.5},
                    "lon": {"type": "number", "minimum": 97.3, "maximum": 105.7},
                    "accuracy_m": {"type": ["number", "null"], "minimum": 0},
                },
            },
            "person": {
                "type": ["object", "null"],
                "properties": {
                    "name": {"type": ["string", "null"], "maxLength": 120},
                    "age": {"type": ["integer", "null"], "minimum": 0, "maximum": 120},
                    "sex": {"enum": ["female", "male", "other", None]},
                },
            },
        },
    },
    "Encounter": {
        "description": "One of the caller's own reports and what became of it.",
        "type": "object",
        "required": ["id", "client_uuid", "seen_at", "category", "status", "village"],
        "properties": {
            "id": {"type": "integer"},
            "client_uuid": {"type": "string"},
            "seen_at": {"type": "string", "format": "date-time"},
            "received_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "category": {"type": "string"},
            "urgency": {"enum": ["normal", "urgent"]},
            "place": {"type": "string"},
            "village": {"type": "string"},
            "status": {"enum": ["new", "assigned", "contacted", "referred", "closed"]},
            "agency": {"type": ["string", "null"]},
            "outcome": {"type": ["string", "null"]},
        },
    },
    "MessageItem": {
        "description": (
            "A consultation message: a volunteer's question about a household (and one of its "
            "cases), or a message in a thread (a staff answer, a volunteer's follow-up)."
        ),
        "type": "object",
        "required": ["client_uuid", "body"],
        "properties": {
            "client_uuid": {"type": "string", "format": "uuid"},
            "household": {"type": "string", "examples": ["NI-01-0001"]},
            "case": {"type": "integer"},
            "thread": {"type": "integer"},
            "body": {"type": "string", "maxLength": 2000},
            "sent_at": {"type": "string", "format": "date-time"},
        },
    },
    "MessageResult": {
        "type": "object",
        "required": ["client_uuid", "status"],
        "properties": {
            "client_uuid": {"type": ["string", "null"]},
            "status": {"enum": ["created", "duplicate", "rejected"]},
            "id": {"type": "integer"},
            "thread": {"type": "integer"},
            "error": {"type": "string"},
            "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "Message": {
        "type": "object",
        "required": [
            "id",
            "client_uuid",
            "thread",
            "household",
            "case",
            "author",
            "mine",
            "body",
            "sent_at",
            "received_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "client_uuid": {"type": "string"},
            "thread": {"type": "integer"},
            "household": {"type": "string"},
            "case": {"type": ["integer", "null"]},
            "author": {
                "type": "object",
                "required": ["id", "name", "role"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "role": {"type": "string"},
                },
            },
            "mine": {"type": "boolean"},
            "body": {"type": "string"},
            "sent_at": {"type": "string", "format": "date-time"},
            "received_at": {"type": "string", "format": "date-time"},
        },
    },
    "InBothLanguages": {
        "type": "object",
        "required": ["th", "en"],
        "properties": {"th": {"type": "string"}, "en": {"type": "string"}},
    },
    "OpenCase": {
        "description": "A welfare case still open: what the offline visit form updates.",
        "type": "object",
        "required": [
            "id",
            "program",
            "program_name",
            "member",
            "status",
            "next_follow_up",
            "next_step",
            "opened_at",
            "agency",
        ],
        "properties": {
            "id": {"type": "integer", "description": "Send it as `case_id` to update the case."},
            "program": {"type": "string", "examples": ["old_age_allowance"]},
            "program_name": ref("InBothLanguages"),
            "member": {
                "type": ["string", "null"],
                "description": "The member the case is for; null for the whole household.",
            },
            "status": {"enum": ["identified", "applied", "referred"]},
            "next_follow_up": {"type": ["string", "null"], "format": "date"},
            "next_step": ref("InBothLanguages"),
            "opened_at": {"type": "string", "format": "date-time"},
            "agency": {
                "description": "Who handles the programme for the household's village (the "
                "agency serving the nearest area above it), or null when none is known.",
                "oneOf": [ref("Agency"), {"type": "null"}],
            },
        },
    },
    "Agency": {
        "type": "object",
        "required": ["name", "phone"],
        "additionalProperties": False,
        "properties": {
            "name": ref("InBothLanguages"),
            "phone": {"type": "string", "pattern": "^0[0-9]{8,9}$", "examples": ["042611001"]},
        },
    },
    "KnowledgePage": {
        "description": "A page of know-how for reading offline. `html` is rendered from the "
        "page's Markdown and sanitised (an allowlist of tags; links to http, https, mailto, "
        'tel or our own paths; images from our own origin only); an empty language is "".',
        "type": "object",
        "required": [
            "slug",
            "title",
            "html",
            "program",
            "version",
            "updated_at",
            "aliases",
            "agencies",
        ],
        "additionalProperties": False,
        "properties": {
            "slug": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
            "title": ref("InBothLanguages"),
            "html": ref("InBothLanguages"),
            "program": {
                "type": ["string", "null"],
                "description": "The programme the page is the referral guide for.",
                "examples": ["old_age_allowance"],
            },
            "version": {"type": "integer", "minimum": 1},
            "updated_at": {"type": "string", "format": "date-time"},
            "aliases": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Addresses the page had before: old links lead to it.",
            },
            "agencies": {
                "type": "array",
                "items": ref("Agency"),
                "description": "Who handles the programme, those serving the caller's areas "
                "first (from the agencies directory).",
            },
        },
    },
    "Household": {
        "type": "object",
        "required": [
            "code",
            "qr_hash",
            "head_name",
            "village",
            "tags",
            "consent_photos",
            "last_visit_at",
            "open_cases",
        ],
        "properties": {
            "code": {"type": "string"},
            "qr_hash": {
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
                "description": "SHA-256 (hex) of the card's token: recognises a scanned card.",
            },
            "qr_token": {"type": "string", "description": "The card's token: staff only."},
            "head_name": {"type": "string"},
            "village": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "consent_photos": {
                "type": "boolean",
                "description": "Whether the household agreed to be photographed: without it "
                "an upload for its visits answers 409 photo_consent.",
            },
            "last_visit_at": NULLABLE_TIME,
            "open_cases": {
                "type": "array",
                "items": ref("OpenCase"),
                "description": "Oldest first. One per programme and member at most.",
            },
        },
    },
    "Visit": {
        "type": "object",
        "required": [
            "id",
            "client_uuid",
            "household",
            "volunteer",
            "visited_at",
            "received_at",
            "kind",
            "wellbeing",
            "needs",
            "notes",
            "location",
            "confirmed_by_household_at",
            "assistance",
        ],
        "properties": {
            "id": {"type": "integer"},
            "client_uuid": {"type": "string"},
            "household": {"type": "string"},
            "volunteer": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            },
            "visited_at": {"type": "string", "format": "date-time"},
            "received_at": {"type": "string", "format": "date-time"},
            "kind": {"type": "string"},
            "wellbeing": {"type": "string"},
            "needs": {"type": "array", "items": {"type": "string"}},
            "notes": {"type": "string"},
            "location": ref("Location"),
            "confirmed_by_household_at": NULLABLE_TIME,
            "assistance": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "program", "from_status", "status", "note"],
                    "properties": {
                        "id": {"type": "integer"},
                        "program": {"type": "string"},
                        "from_status": {"type": ["string", "null"]},
                        "status": {"type": "string"},
                        "note": {"type": "string"},
                    },
                },
            },
        },
    },
    "Me": {
        "type": "object",
        "required": [
            "id",
            "display_name",
            "role",
            "language",
            "areas",
            "csrf_token",
            "counts",
            "badges",
        ],
        "properties": {
            "id": {"type": "integer"},
            "display_name": {"type": "string"},
            "role": {"enum": ["volunteer", "staff", "admin"]},
            "language": {"enum": ["th", "en"]},
            "areas": {"type": "array", "items": {"type": "string"}},
            "csrf_token": {"type": "string"},
            "counts": {
                "type": "object",
                "required": ["visits", "visits_this_month"],
                "properties": {
                    "visits": {"type": "integer"},
                    "visits_this_month": {"type": "integer"},
                },
            },
            "badges": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "name", "awarded_at", "verify_url"],
                    "properties": {
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "awarded_at": {"type": "string", "format": "date-time"},
                        "verify_url": {"type": "string", "format": "uri"},
                    },
                },
            },
        },
    },
    "Subscribed": {
        "type": "object",
        "required": ["endpoint", "created"],
        "properties": {"endpoint": {"type": "string"}, "created": {"type": "boolean"}},
    },
    "PushSubscription": {
        "description": (
            "The browser's PushSubscription as its toJSON() gives it. The endpoint must lie at "
            "one of the push services the server allows (PUSH_ENDPOINTS: by default Google, "
            "Mozilla, Apple and Microsoft's), matched by scheme, host and port; p256dh is the "
            "browser's P-256 public key and auth its 16-byte secret, both base64url."
        ),
        "type": "object",
        "required": ["endpoint", "keys"],
        "additionalProperties": False,
        "properties": {
            "endpoint": {
                "type": "string",
                "maxLength": 1000,
                "examples": ["https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91bE"],
            },
            "expirationTime": {"type": ["number", "null"], "minimum": 0},
            "keys": {
                "type": "object",
                "required": ["p256dh", "auth"],
                "additionalProperties": False,
                "properties": {
                    "p256dh": {"type": "string", "pattern": "^[A-Za-z0-9_-]{86,87}={0,2}$"},
                    "auth": {"type": "string", "pattern": "^[A-Za-z0-9_-]{22}={0,2}$"},
                },
            },
        },
    },
}

CSRF_HEADER = {
    "name": "X-CSRFToken",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
}


def json_body(schema):
    """Describe a required JSON request body."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


PATHS = {
    "/api/v1/me": {
        "get": {
            "summary": "The logged-in user, their counts and badges, and a CSRF token",
            "responses": {"200": json_response("The caller", ref("Me")), **ERROR_RESPONSES},
        }
    },
    "/api/v1/households": {
        "get": {
            "summary": "The caller's households, for the offline cache (ETag aware)",
            "parameters": [
                {
                    "name": "page",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                }
            ],
            "responses": {
                "200": json_response(
                    "One page of households",
                    {
                        "type": "object",
                        "required": ["households", "next"],
                        "properties": {
                            "households": {"type": "array", "items": ref("Household")},
                            "next": {"type": ["string", "null"]},
                        },
                    },
                ),
                "304": {"description": "Unchanged since the If-None-Match ETag"},
                **ERROR_RESPONSES,
            },
        }
    },
    "/api/v1/knowledge": {
        "get": {
            "summary": "Every know-how page, rendered in both languages, for offline reading "
            "(ETag aware)",
            "responses": {
                "200": json_response(
                    "The pages, pinned first, then the guides in programme order",
                    {
                        "type": "object",
                        "required": ["pages"],
                        "properties": {"pages": {"type": "array", "items": ref("KnowledgePage")}},
                    },
                ),
                "304": {"description": "Unchanged since the If-None-Match ETag"},
                "403": json_response("An observer: figures only", ref("Error")),
                **ERROR_RESPONSES,
            },
        }
    },
    "/api/v1/visits": {
        "get": {
            "summary": "A household's visits that the caller may see, newest first",
            "parameters": [
                {
                    "name": "household",
                    "in": "query",
                    "required": True,
                    "description": "Household code or card token",
                    # Some non-blank text, and no control character (those answer 400).
                    "schema": {"type": "string", "pattern": TEXT_PATTERN},
                }
            ],
            "responses": {
                "200": json_response(
                    "Visits",
                    {
                        "type": "object",
                        "required": ["household", "visits"],
                        "properties": {
                            "household": {"type": "string"},
                            "visits": {"type": "array", "items": ref("Visit")},
                        },
                    },
                ),
                "404": json_response("No such household in the caller's areas", ref("Error")),
                **ERROR_RESPONSES,
            },
        }
    },
    "/api/v1/visits/sync": {
        "post": {
            "summary": "Deliver queued visits; one result per item, in order",
            "description": (
                "Send the X-CSRFToken header. client_uuid is the idempotency key: a replay "
                "answers duplicate with the first id; the same id with other content is "
                "rejected with error conflict."
            ),
            "parameters": [CSRF_HEADER],
            "requestBody": json_body(
                {
                    "type": "object",
                    "required": ["visits"],
                    "properties": {
                        "visits": {"type": "array", "maxItems": 50, "items": ref("VisitItem")}
                    },
                }
            ),
            "responses": {
                "200": json_response(
                    "Results",
                    {
                        "type": "object",
                        "required": ["results"],
                        "properties": {"results": {"type": "array", "items": ref("SyncResult")}},
                    },
                ),
                "413": json_response("Too many items or too large", ref("Error")),
                "503": json_response(
                    "Database busy; retry after Retry-After seconds", ref("Error")
                ),
                **ERROR_RESPONSES,
            },
        }
    },
    "/api/v1/messages/sync": {
        "post": {
            "summary": "Deliver queued consultation messages; one result per item, in order",
            "description": (
                "Send the X-CSRFToken header. Each item names a thread, or the household (and "
                "case) a volunteer asks about, which starts a thread. client_uuid is the "
                "idempotency key, as for visits; each result names its thread."
            ),
            "parameters": [
                {
                    "name": "X-CSRFToken",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["messages"],
                            "properties": {
                                "messages": {
                                    "type": "array",
                                    "maxItems": 50,
                                    "items": ref("MessageItem"),
                                }
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": json_response(
                    "Results",
                    {
                        "type": "object",
                        "required": ["results"],
                        "properties": {"results": {"type": "array", "items": ref("MessageResult")}},
                    },
                ),
                "413": json_response("Too many items or too large", ref("Error")),
                "503": json_response(
                    "Database busy; retry after Retry-After seconds", ref("Error")
                ),
                **ERROR_RESPONSES,
            },
        }
    },
    "/api/v1/messages": {
        "get": {
            "summary": "The caller's consultation messages, newest last",
            "parameters": [
                {
                    "name": "since",
                    "in": "query",
                    "required": False,
                    "description": "Only messages received after this time (ISO 8601, offset).",
                    "schema": {"type": "string", "format": "date-time"},
                }
            ],
            "responses": {
                "200": json_response(
                    "Messages",
                    {
                        "type": "object",
                        "required": ["messages", "unread", "more"],
                        "properties": {
                            "messages": {"type": "array", "items": ref("Message")},
                            "unread": {"type": "integer"},
                            "more": {"type": "boolean"},
                        },
                    },
                ),
                **ERROR_RESPONSES,
            },
        }
    },
    "/api/v1/encounters/sync": {
        "post": {
            "summary": "Deliver queued reports of people in hardship; one result per item",
            "description": (
                "Send the X-CSRFToken header. client_uuid is the idempotency key, as for "
                "visits. A reporter over the hourly limit gets 429 with Retry-After for the "
                "whole request: nothing of it is kept, and the phone sends it later."
            ),
            "parameters": [CSRF_HEADER],
            "requestBody": json_body(
                {
                    "type": "object",
                    "required": ["encounters"],
                    "properties": {
                        "encounters": {
                            "type": "array",
                            "maxItems": 50,
                            "items": ref("EncounterItem"),
                        }
                    },
                }
            ),
            "responses": {
                "200": json_response(
                    "Results",
                    {
                        "type": "object",
                        "required": ["results"],
                        "properties": {"results": {"type": "array", "items": ref("SyncResult")}},
                    },
                ),
                "403": json_response("An observer does not report", ref("Error")),
                "413": json_response("Too many items or too large", ref("Error")),
                "429": json_response("Too many reports this hour", ref("Error")),
                "503": json_response(
                    "Database busy; retry after Retry-After seconds", ref("Error")
                ),
                **ERROR_RESPONSES,
            },
        }
    },
    "/api/v1/encounters": {
        "get": {
            "summary": "The caller's own reports with their status, oldest change first",
            "parameters": [
                {
                    "name": "since",
                    "in": "query",
                    "required": False,
                    "description": "Only reports changed after this time (ISO 8601, offset).",
                    "schema": {"type": "string", "format": "date-time"},
                }
            ],
            "responses": {
                "200": json_response(
                    "Reports",
                    {
                        "type": "object",
                        "required": ["encounters", "more"],
                        "properties": {
                            "encounters": {"type": "array", "items": ref("Encounter")},
                            "more": {"type": "boolean"},
                        },
                    },
                ),
                "403": json_response("An observer has no reports", ref("Error")),
                **ERROR_RESPONSES,
            },
        }
    },
    "/api/v1/push/key": {
        "get": {
            "summary": "The server's VAPID public key, for PushManager.subscribe()",
            "responses": {
                "200": json_response(
                    "The key: an uncompressed P-256 point, base64url",
                    {
                        "type": "object",
                        "required": ["key"],
                        "properties": {"key": {"type": "string", "pattern": "^[A-Za-z0-9_-]{87}$"}},
                    },
                ),
                **ERROR_RESPONSES,
            },
        }
    },
    "/api/v1/push/subscriptions": {
        "post": {
            "summary": "Let this browser take the caller's notifications",
            "description": (
                "Send the X-CSRFToken header. An endpoint already known moves to the caller "
                "(one browser, the user logged in on it last). Any other address than an "
                "allowed push service's is refused with 400 and a field error on endpoint."
            ),
            "parameters": [CSRF_HEADER],
            "requestBody": json_body(ref("PushSubscription")),
            "responses": {
                "201": json_response("Subscribed", ref("Subscribed")),
                "200": json_response("Already subscribed; keys updated", ref("Subscribed")),
                **ERROR_RESPONSES,
            },
        },
        "delete": {
            "summary": "Stop pushes to one of the caller's browsers, named by its endpoint",
            "description": (
                'Send the X-CSRFToken header and {"endpoint": ...} (or the whole '
                "subscription). Another user's endpoint is as unknown as one never seen."
            ),
            "parameters": [CSRF_HEADER],
            "requestBody": json_body(
                {
                    "type": "object",
                    "required": ["endpoint"],
                    "properties": {
                        "endpoint": {"type": "string", "minLength": 1, "maxLength": 1000}
                    },
                }
            ),
            "responses": {
                "200": json_response(
                    "Whether the caller had that subscription",
                    {
                        "type": "object",
                        "required": ["deleted"],
                        "properties": {"deleted": {"type": "boolean"}},
                    },
                ),
                **ERROR_RESPONSES,
            },
        },
    },
    "/api/v1/photos": {
        "post": {
            "summary": "Upload one photo of a visit or an encounter (from the outbox)",
            "description": (
                "Send the X-CSRFToken header and a multipart body: client_uuid (the photo's "
                "idempotency key), file (JPEG, PNG or WebP, judged by its content; at most "
                "10 MB and 40 megapixels), and exactly one of visit or encounter naming the "
                "item's client_uuid. The photo is stored as a JPEG of at most 1280 pixels "
                "with no metadata. It may arrive before its item: it then waits (linked "
                "false), seen only by its uploader, and is linked when the item arrives, or "
                "removed if the item's rules refuse it or it never comes (after 24 hours). "
                "Sent again by its uploader it answers 200 duplicate. 409 errors: conflict "
                "(client_uuid used for another photo), photo_consent (the household has not "
                "agreed to be photographed), photo_limit (the item has 3 photos). 404: the "
                "item is not one the caller may see. 413: too large (bytes or pixels); 415: "
                "not a photo; 429: more than 60 uploads in an hour (see Retry-After)."
            ),
            "parameters": [CSRF_HEADER],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["client_uuid", "file"],
                            "properties": {
                                "client_uuid": {"type": "string", "format": "uuid"},
                                "visit": {"type": "string", "format": "uuid"},
                                "encounter": {"type": "string", "format": "uuid"},
                                "file": {"type": "string", "format": "binary"},
                            },
                        },
                        "encoding": {"file": {"contentType": "image/jpeg, image/png, image/webp"}},
                    }
                },
            },
            "responses": {
                "201": json_response("Stored", ref("PhotoStored")),
                "200": json_response(
                    "Sent before by the caller: nothing stored again", ref("PhotoStored")
                ),
                "403": json_response("An observer: figures only", ref("Error")),
                "404": json_response("No such item among those the caller may see", ref("Error")),
                "409": json_response(
                    "conflict, photo_consent or photo_limit: not stored", ref("Error")
                ),
                "413": json_response("Larger than 10 MB or 40 megapixels", ref("Error")),
                "415": json_response("Not a JPEG, PNG or WebP picture", ref("Error")),
                "429": json_response(
                    "Too many uploads; retry after Retry-After seconds", ref("Error")
                ),
                "503": json_response(
                    "Database busy; retry after Retry-After seconds", ref("Error")
                ),
                **ERROR_RESPONSES,
            },
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This description",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1 document"}},
        }
    },
}

SPEC = {
    "openapi": "3.1.0",
    "info": {
        "title": "Volunteer Home Visits API",
        "version": "1.0.0",
        "description": "JSON API of the volunteer home-visit app. Errors are always JSON.",
    },
    "servers": [{"url": "/"}],
    "security": [{"session": []}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "session"}},
    },
}


@bp.route("/openapi.json")
@read_only
def openapi():
    """Describe the API."""
    return jsonify(SPEC)
