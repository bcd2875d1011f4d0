"""Helpers for tests that need badge classes made through the issuer API (``/v1/issuers/{issuer}/badges``)."""

from __future__ import annotations

import base64
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from _api_support import bearer

from hosting.app.demo import DEMO_SVG, demo_png

PNG = demo_png(size=16)
PNG_DATA_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()
SVG_DATA_URI = "data:image/svg+xml;base64," + base64.b64encode(DEMO_SVG).decode()


def badge_body(**fields: Any) -> dict[str, Any]:
    """A valid create body (a PNG as data URI, a narrative), overridden by ``fields``."""
    return {"name": "Gold Star", "description": "For shining.", "image": PNG_DATA_URI,
            "criteria": {"narrative": "Shine."}, **fields}


def new_badge(api: Any, token: str, issuer_ref: str, **fields: Any) -> dict[str, Any]:
    """Create a badge class through the API and return its JSON."""
    res = api.post(f"/v1/issuers/{issuer_ref}/badges", json=badge_body(**fields), headers=bearer(token))
    assert res.status_code == 201, res.text
    badge: dict[str, Any] = res.json()["badge"]
    return badge


@contextmanager
def serving(path: str, body: bytes, content_type: str) -> Iterator[str]:
    """A loopback HTTP server answering ``path`` with ``body`` (404 elsewhere); yields its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == path
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", content_type if found else "text/plain")
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
