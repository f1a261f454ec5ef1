"""Measuring over HTTP: several visitors at once against gunicorn's workers."""

import http.client

from django.db import connection

from . import servers
from .cases import BenchmarkError
from .timing import SessionClient, measure


class HTTPClient(SessionClient):
    """A visitor over real HTTP, one connection per request (gunicorn's sync
    workers close the connection after each response)."""

    def __init__(self, port):
        super().__init__()
        self.port = port

    def get(self, path):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Cookie": self.cookie_header()} if self.cookies else {}
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise BenchmarkError(f"GET {path}: {response.status}\n{body[:500]}")
        self.keep_cookies(response.headers.get_all("Set-Cookie") or [])
        return body


def measure_over_http(paths, requests, rounds, concurrency, workers):
    """gunicorn serves this process's settings; `concurrency` visitors at once."""
    connection.close()  # gunicorn's workers open their own
    try:
        with servers.gunicorn(workers) as port:
            clients = [HTTPClient(port) for _ in range(concurrency)]
            try:
                return measure(clients, requests, rounds, paths)
            finally:
                for client in clients:
                    client.forget_session()
    except servers.ServerError as error:
        raise BenchmarkError(f"gunicorn: {error}") from None
