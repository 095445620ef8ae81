"""Signed-cookie sessions that static files neither read nor vary on."""

from flask import request
from flask.sessions import SecureCookieSessionInterface

SESSIONLESS_ENDPOINTS = {"static", "pwa.service_worker", "pwa.manifest"}


class AppSessionInterface(SecureCookieSessionInterface):
    """The default session, except that static answers carry no `Vary: Cookie`.

    Otherwise logging in (a new cookie) would make every cached script revalidate.
    """

    def save_session(self, app, session, response):
        if request.endpoint in SESSIONLESS_ENDPOINTS:
            return
        super().save_session(app, session, response)
