"""The API's one way of answering an error."""

from flask import jsonify
from werkzeug.http import HTTP_STATUS_CODES

CODES = {
    400: "bad_request",
    401: "login_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "validation_failed",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}


def error_response(status, code=None, message=None, fields=None):
    """Answer {"error", "message", "fields"} with the given HTTP status."""
    from pwa_app.web.errors import MESSAGES

    body = {
        "error": code or CODES.get(status, "error"),
        "message": str(message or MESSAGES.get(status) or HTTP_STATUS_CODES.get(status, "")),
        "fields": {name: str(text) for name, text in (fields or {}).items()},
    }
    return jsonify(body), status
