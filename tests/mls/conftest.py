"""A real HTTP server on 127.0.0.1 for the feed and HTTP tests, scripted per test."""

import gzip
import json
import sys
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from mls.choices import ProviderKind
from mls.models import MLSProvider


@dataclass
class Reply:
    """What the server answers: a status, headers and a body (``json`` is encoded for you)."""

    status: int = 200
    json: object = None
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    gzip: bool = False


@dataclass
class Received:
    """A request the server received."""

    method: str
    path: str
    query: dict  # name -> the single value (the last one when repeated)
    headers: dict
    body: bytes

    @property
    def form(self):
        return {name: values[-1] for name, values in parse_qs(self.body.decode()).items()}


class ScriptedServer:
    """Answers each path from a script: the replies in order, the last one repeating.

    A reply may be a ``Reply`` or a function of the ``Received`` request returning one.
    Unscripted paths answer 404.
    """

    def __init__(self):
        self.received = []
        self._scripts = {}
        self._lock = threading.Lock()
        self.httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def url(self, path=""):
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path, *replies):
        with self._lock:
            self._scripts[path] = list(replies)

    def requests_to(self, path):
        return [request for request in self.received if request.path == path]

    def reply_for(self, request):
        with self._lock:
            self.received.append(request)
            script = self._scripts.get(request.path)
            if not script:
                return Reply(status=404, json={"error": "not scripted"})
            reply = script.pop(0) if len(script) > 1 else script[0]
        return reply(request) if callable(reply) else reply

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client closing a kept-alive connection (after a byte cap, a retry) is not an error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _handler_for(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self._answer()

        def do_POST(self):
            self._answer()

        def _answer(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Received(
                method=self.command,
                path=parts.path,
                query={
                    name: values[-1]
                    for name, values in parse_qs(parts.query, keep_blank_values=True).items()
                },
                headers=dict(self.headers.items()),
                body=self.rfile.read(length) if length else b"",
            )
            reply = server.reply_for(request)
            body = reply.body
            headers = dict(reply.headers)
            if reply.json is not None:
                body = json.dumps(reply.json).encode()
                headers.setdefault("Content-Type", "application/json")
            if reply.gzip:
                body = gzip.compress(body)
                headers["Content-Encoding"] = "gzip"
            try:
                self.send_response(reply.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                # The client stopped reading on purpose (a byte cap); nothing to answer.
                self.close_connection = True

        def log_message(self, format, *args):
            pass

    return Handler


@pytest.fixture
def feed_server():
    server = ScriptedServer()
    yield server
    server.stop()


class Sleeps(list):
    """An injectable ``sleep`` that records the waits asked for and returns at once."""

    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def make_session():
    """Builds ``SafeSession``s that are closed when the test ends."""
    from mls.http import SafeSession

    sessions = []

    def make(**options):
        session = SafeSession(**options)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def make_config(feed_server):
    """An unsaved RESO Web API provider configuration pointed at the local feed server."""

    def make(**options):
        fields = {
            "name": "Test MLS",
            "kind": ProviderKind.RESO_WEB_API,
            "endpoint": feed_server.url("/odata/"),
            "page_size": 2,
            "max_requests_per_second": Decimal("5"),
            "allow_private_network": True,
            **options,
        }
        return MLSProvider(**fields)

    return make
