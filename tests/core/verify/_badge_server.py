"""A real HTTP server on 127.0.0.1, in a thread, serving configurable routes for verifier tests.

    with BadgeServer() as srv:
        srv.json("/issuer", {...})
        srv.redirect("/old", "/new")
        srv.route("/slow", body=b"{}", delay=2.0)
        url = srv.url("/issuer")
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/ld+json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0            # seconds before the status line
    drip: float = 0.0             # seconds between body bytes (a slow body)
    infinite: bool = False        # stream an endless body without Content-Length
    omit_length: bool = False     # no Content-Length (body ends when the connection closes)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 1 << 16  # one write per response (headers + body), flushed after each request
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        srv = self.server
        srv.hits[path] += 1
        srv.last_headers[path] = dict(self.headers.items())
        route = srv.routes.get(path)
        if route is None:
            route = Route(404, b'{"error": "not found"}', "application/json")
        try:
            if route.delay:
                time.sleep(route.delay)
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            for k, v in route.headers.items():
                self.send_header(k, v)
            if route.infinite or route.omit_length or route.drip:
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            if route.infinite:
                chunk = b" " * 65536
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    self.wfile.write(chunk)
            elif route.drip:
                for i in range(len(route.body)):
                    self.wfile.write(route.body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(route.drip)
            else:
                self.wfile.write(route.body)
        except OSError:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-request (timeouts, cut-off bodies) are expected here; stay quiet."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.last_headers: dict[str, dict[str, str]] = {}


class BadgeServer:
    """Serves routes on ``http://127.0.0.1:<port>``; usable as a context manager."""

    def __init__(self) -> None:
        self._server = _Server()
        self.port: int = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def start(self) -> BadgeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- configuration ------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base + path

    @property
    def hits(self) -> Counter[str]:
        return self._server.hits

    def headers_of(self, path: str) -> dict[str, str]:
        return self._server.last_headers.get(path, {})

    def route(self, path: str, *, status: int = 200, body: bytes | str = b"",
              content_type: str = "application/ld+json", **kwargs: Any) -> str:
        data = body.encode() if isinstance(body, str) else body
        self._server.routes[path] = Route(status, data, content_type, **kwargs)
        return self.url(path)

    def json(self, path: str, document: Any, *, status: int = 200,
             content_type: str = "application/ld+json", **kwargs: Any) -> str:
        return self.route(path, status=status, body=json.dumps(document).encode(),
                          content_type=content_type, **kwargs)

    def redirect(self, path: str, location: str, *, status: int = 302) -> str:
        return self.route(path, status=status, body=b"", content_type="text/plain",
                          headers={"Location": location})

    def remove(self, path: str) -> None:
        self._server.routes.pop(path, None)
