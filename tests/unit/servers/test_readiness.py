"""Readiness: loopback probes and the /models check, against an in-process HTTP server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.servers.readiness import ModelsReady, free_port, probe


class _Server:
    """Answers every GET with ``status`` and ``body``."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b"{}"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(outer.status)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def models(self, *ids: str) -> None:
        self.status = 200
        self.body = json.dumps({"data": [{"id": i} for i in ids]}).encode()


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.httpd.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_probe_nothing_listening() -> None:
    assert probe(f"http://127.0.0.1:{free_port()}/v1/models") == (None, None)


def test_probe_status_and_json(server: _Server, monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy from the environment must not be used for loopback probes.
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{free_port()}")
    server.models("a")
    assert probe(f"{server.base_url}/models") == (200, {"data": [{"id": "a"}]})
    server.body = b"[1, 2]"
    assert probe(f"{server.base_url}/models") == (200, None)
    server.body = b"not json"
    assert probe(f"{server.base_url}/models") == (200, None)
    server.status, server.body = 503, b"{}"
    assert probe(f"{server.base_url}/models") == (503, None)


def test_ready_when_the_model_is_listed(server: _Server) -> None:
    server.models("x", "m")
    assert ModelsReady(base_url=server.base_url, model_id="m").poll(now=0) == (True, None)


def test_not_yet_while_not_answering_or_404(server: _Server) -> None:
    check = ModelsReady(base_url=f"http://127.0.0.1:{free_port()}/v1", model_id="m")
    assert check.poll(now=0) == (False, None)
    server.status, server.body = 404, b""
    assert ModelsReady(base_url=server.base_url, model_id="m").poll(now=0) == (False, None)


def test_a_5xx_fails(server: _Server) -> None:
    server.status = 500
    check = ModelsReady(base_url=server.base_url, model_id="m")
    assert check.poll(now=0) == (False, "answered 500 on /v1/models")


def test_other_models_fail_at_once_or_after_the_grace(server: _Server) -> None:
    server.models("other")
    at_once = ModelsReady(base_url=server.base_url, model_id="m", hint="look there")
    assert at_once.poll(now=10) == (
        False,
        "is up but /v1/models lists ['other'], not 'm' (look there)",
    )
    graced = ModelsReady(base_url=server.base_url, model_id="m", grace=5)
    assert graced.poll(now=10) == (False, None)
    assert graced.poll(now=14) == (False, None)
    assert graced.poll(now=15.5) == (False, "is up but /v1/models lists ['other'], not 'm'")
    server.models("other", "m")
    assert graced.poll(now=16) == (True, None)
