"""Absolute links for printed cards, shared badges and API answers, never from a forged host."""

from ipaddress import ip_address

from flask import current_app, request
from werkzeug.exceptions import BadRequest

LOOPBACK_NAMES = {"localhost"}


class UntrustedHost(BadRequest):
    """The request names a host this server was not told is its own."""

    description = "This server does not answer for that host name."


def host_is_trusted():
    """Tell whether links may be built from the request's own host name.

    With TRUSTED_HOSTS set, Flask has already refused any other host. Without it, only a
    loopback address (the development server, the tests) is taken at its word: a forged Host
    or X-Forwarded-Host must never end up in a badge's id or a printed card.
    """
    if current_app.config.get("TRUSTED_HOSTS"):
        return True
    hostname = request.host.rsplit(":", 1)[0].strip("[]") if request.host else ""
    if hostname in LOOPBACK_NAMES:
        return True
    try:
        return ip_address(hostname).is_loopback
    except ValueError:
        return False


def absolute(path):
    """Return the absolute URL of a path, on PUBLIC_BASE_URL when one is configured."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        if not host_is_trusted():
            current_app.logger.warning(
                "refused to build a link for host %r: set PUBLIC_BASE_URL or TRUSTED_HOSTS",
                request.host,
            )
            raise UntrustedHost()
        base = request.url_root
    return base.rstrip("/") + "/" + path.lstrip("/")
