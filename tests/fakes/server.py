"""What the fakes in this package share: a real threaded HTTP server on loopback, answering JSON.

    class FakeThing(FakeServer):
        def __init__(self):
            super().__init__(_Handler, name="fake-thing")

    class _Handler(JSONHandler):
        owner: FakeThing

        def do_POST(self):
            body, ok = self.read_json()
            self.owner.record(body)
            self.send_json(200 if ok else 400, {"ok": ok})

    with FakeThing() as fake:  # listening on 127.0.0.1:<a free port> until the block ends
        requests.post(fake.root + "/things", json={...})
        assert fake.requests == [{...}]

Each fake gets its own handler class with ``owner`` set to it, so handler threads reach their fake.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class Request:
    """One request as a fake received it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON (see ``parse_json``)
    at: float = 0.0  # time.time() when received
    status: int = 0  # what the fake answered, where it records that

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The ``messages`` of a JSON body (chat completions, LINE replies and pushes)."""
        return self.body.get("messages", []) if isinstance(self.body, dict) else []


def parse_json(raw: bytes) -> tuple[Any, bool]:
    """A request body as JSON, and whether it was JSON: None for no body, the text itself when it is not JSON."""
    if not raw:
        return None, True
    try:
        return json.loads(raw), True
    except ValueError:
        return raw.decode("utf-8", "replace"), False


class JSONHandler(BaseHTTPRequestHandler):
    owner: Any  # the FakeServer this handler serves
    protocol_version = "HTTP/1.1"  # keep-alive, as the real services
    # Headers and body leave in two writes: without TCP_NODELAY, Nagle's algorithm and the client's
    # delayed ACK hold the body back ~40 ms on a kept-alive connection.
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:  # quiet
        pass

    def header_dict(self) -> dict[str, str]:
        """The request's headers with lower-case names."""
        return {k.lower(): v for k, v in self.headers.items()}

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def read_json(self) -> tuple[Any, bool]:
        return parse_json(self.read_body())

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # a benchmark burst opens many connections at once


class FakeServer:
    """A fake service's server: ``start()``/``stop()`` or a ``with`` block; ``requests`` records what came in."""

    def __init__(self, handler: type[JSONHandler], *, name: str):
        self.requests: list = []
        self._handler = handler
        self._name = name  # of the serving thread
        self._lock = threading.Lock()  # for what handler threads record or consume
        self._stop = threading.Event()  # set by stop(): releases handlers waiting out a scripted delay
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def root(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def record(self, request: Any) -> None:
        with self._lock:
            self.requests.append(request)

    def start(self) -> Self:
        handler = type("Handler", (self._handler,), {"owner": self})
        self._stop.clear()
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self._name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
