"""A tiny real HTTP server on 127.0.0.1 for the sync tests (stdlib only, one thread).

Each test installs `server.handler(request) -> Reply`; every request is recorded
(method, path, query, headers, body) so tests assert on what went over the wire.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: object = None  # dict/list -> JSON; bytes/str as is; None -> empty
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to stall before answering (timeouts)


class FakeServer:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.handler: Callable[[Request], Reply] = lambda request: Reply(404, {"detail": "none"})
        self.release = threading.Event()  # ends any stalled reply at teardown
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                fake.requests.append(request)
                reply = fake.handler(request)
                if reply.delay:
                    fake.release.wait(reply.delay)
                if isinstance(reply.body, dict | list):
                    payload = json.dumps(reply.body).encode()
                    content_type = "application/json"
                elif isinstance(reply.body, str):
                    payload, content_type = reply.body.encode(), "text/plain"
                else:
                    payload, content_type = reply.body or b"", "application/octet-stream"
                try:
                    self.send_response(reply.status)
                    if reply.status != 304:
                        self.send_header("Content-Type", content_type)
                        self.send_header("Content-Length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if reply.status != 304:
                        self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout test)

            do_GET = do_POST = _serve

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def closed_port_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def ticket_body(number: str = "C001", token: str = "tok" * 8, service: str = "etat-civil") -> dict:
    return {
        "id": token, "number": number, "service": service, "status": "waiting", "position": 1,
        "ahead": 0, "estimated_wait_minutes": 0, "counter": None,
        "phone_url": f"http://testserver/t/{token}", "created_at": "2025-03-03T09:00:00+01:00",
        "called_at": None,
    }
