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
    hostname = _hostname(request.host or "")
    if hostname in LOOPBACK_NAMES:
        return True
    try:
        return ip_address(hostname).is_loopback
    except ValueError:
        return False


def _hostname(host):
    """Return the name in a Host header: without its port, IPv6 without its brackets."""
    if host.startswith("["):
        return host[1 : host.find("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def absolute(path, required=True):
    """Return the absolute URL of a path, on PUBLIC_BASE_URL when one is configured.

    With no trusted host to build it on, a link that only our own app reads (required=False)
    stays a path; a printed card or a credential (required) cannot, and answers 400.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        if not host_is_trusted() and not required:
            return "/" + path.lstrip("/")
        if not host_is_trusted():
            current_app.logger.warning(
                "refused to build a link for host %r: set PUBLIC_BASE_URL or TRUSTED_HOSTS",
                request.host,
            )
            raise UntrustedHost()
        base = request.url_root
    return base.rstrip("/") + "/" + path.lstrip("/")
