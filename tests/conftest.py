"""Shared test fixtures. Tests never touch the network: HTTP goes to a local server on 127.0.0.1."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Route:
    """What the local server answers for one path."""

    body: bytes = b""
    status: int = 200
    content_length: int | None = None  # claim more bytes than body to simulate a cut connection
    fail_first: int = 0  # answer 503 this many times before succeeding


class LocalHTTPServer:
    """A real HTTP server on an ephemeral port; records every requested path."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                if route.fail_first > 0:
                    route.fail_first -= 1
                    self.send_error(503)
                    return
                self.send_response(route.status)
                length = route.content_length if route.content_length is not None else len(route.body)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(route.body)
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def serve(self, path: str, body: bytes, **kwargs) -> str:
        """Serve body at path; returns the full URL."""
        self.routes[path] = Route(body=body, **kwargs)
        return self.url + path


@pytest.fixture
def http_server(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    srv = LocalHTTPServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


@pytest.fixture(scope="session")
def offline_resources(tmp_path_factory):
    """TextAttack prepared offline once per session, for every test folder that imports it (a second
    preparation after `import textattack` is refused, so the fixture lives here, not in one folder's conftest)."""
    from snntext.attack import offline
    from tests.attack.conftest import write_resources

    folder = tmp_path_factory.mktemp("offline")
    stopwords, lexnames = write_resources(folder / "resources")
    return offline.prepare_offline(folder / "cache", stopwords_zip=stopwords, lexnames=lexnames)
