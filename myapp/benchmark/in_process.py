"""Measuring in process: one visitor, Django's WSGI handler, no network."""

from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory

from .cases import BenchmarkError
from .timing import SessionClient, measure


class InProcessClient(SessionClient):
    """Call Django's WSGI handler as a WSGI server does, without the network.

    Closing each response sends request_finished, which closes the database
    connection unless CONN_MAX_AGE keeps it (django.test.Client skips that).
    """

    def __init__(self):
        super().__init__()
        self.handler = WSGIHandler()
        self.factory = RequestFactory()

    def get(self, path):
        environ = self.factory.get(path, HTTP_COOKIE=self.cookie_header()).environ
        started = {}

        def start_response(status, headers, exc_info=None):
            started.update(status=status, headers=headers)

        response = self.handler(environ, start_response)
        try:
            body = b"".join(response)
        finally:
            response.close()
        if not started["status"].startswith("200"):
            raise BenchmarkError(f"GET {path}: {started['status']}\n{body[:500]}")
        self.keep_cookies(v for k, v in started["headers"] if k == "Set-Cookie")
        return body


def measure_in_process(paths, requests, rounds):
    """One visitor, requests sent one after another through the WSGI handler."""
    client = InProcessClient()
    try:
        return measure([client], requests, rounds, paths)
    finally:
        client.forget_session()
