"""Issue #13 item 5: one deadline over the whole request (connect, headers, body), not per read.

A hostile server on 127.0.0.1 drips one header line at a time; every read completes well within the
per-read timeout, so only a deadline over the whole request stops it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Self

import pytest

from openbadges_core import FetchTimeoutError, SafeFetcher, VerifyOptions, verify


class DripServer:
    """Accepts connections, reads the request, then sends a status line and one header line every
    ``interval`` seconds for ``lines`` lines (and only then an empty body)."""

    def __init__(self, *, interval: float = 0.2, lines: int = 60) -> None:
        self.interval, self.lines = interval, lines
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/a.json"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for i in range(self.lines):
                if self._stop.is_set():
                    return
                time.sleep(self.interval)
                conn.sendall(f"X-Drip-{i}: a\r\n".encode())
            conn.sendall(b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        except OSError:
            pass
        finally:
            conn.close()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.sock.close()


@pytest.fixture
def drip() -> Iterator[DripServer]:
    with DripServer() as server:
        yield server


def test_header_drip_is_cut_off_at_the_fetchers_timeout(drip: DripServer) -> None:
    fetcher = SafeFetcher(allow_private_network=True, timeout=1.0)
    start = time.monotonic()
    with pytest.raises(FetchTimeoutError):
        fetcher.fetch(drip.url)
    assert time.monotonic() - start < 2.0
    fetcher.close()


def test_header_drip_is_cut_off_at_the_callers_timeout(drip: DripServer) -> None:
    fetcher = SafeFetcher(allow_private_network=True, timeout=30.0)
    start = time.monotonic()
    with pytest.raises(FetchTimeoutError):
        fetcher.fetch(drip.url, timeout=0.8)
    assert time.monotonic() - start < 1.8
    fetcher.close()


def test_verify_of_a_dripping_url_ends_within_its_timeout(drip: DripServer) -> None:
    options = VerifyOptions(allow_private_network=True, timeout=1.0, total_timeout=3.0, use_cache=False)
    start = time.monotonic()
    report = verify(drip.url, options=options)
    assert time.monotonic() - start < 2.0
    check = report.check("fetch_assertion")
    assert check is not None and not check.passed
    assert check.detail is not None and check.detail["code"] == "fetch_timeout"


def test_an_honest_slow_server_within_the_deadline_is_still_read() -> None:
    with DripServer(interval=0.05, lines=4) as server:
        fetcher = SafeFetcher(allow_private_network=True, timeout=3.0)
        response = fetcher.fetch(server.url)
        fetcher.close()
    assert response.status_code == 200 and response.body == b"{}"
    assert response.headers["x-drip-3"] == "a"
