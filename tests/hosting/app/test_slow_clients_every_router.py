"""Every router that takes a body is behind the same body deadline and size cap (issue #11/#19 review: the
compatibility APIs, OAuth2 and the earner pages were added after the slow-client tests of ``/v1``). A live
uvicorn server on 127.0.0.1: clients drip their bodies to each router's writing route at once; each gets 408
``RequestTimeout`` at the deadline, an oversized declared body gets 413 at once, and meanwhile a well-behaved
client still writes through ``/v1`` (the dripping clients hold no database lock)."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from _hosting_live import serve_app

from hosting import Settings, create_app

DEADLINE = 4.0  # seconds, the body deadline of the app under test (below SQLite's 5 s busy timeout)

# One writing route per router that reads a body (auth is not reached: the body is read first).
ROUTES = [
    "/v1/issuers",                                 # the native issuer API
    "/v2/issuers",                                 # Badgr v2
    "/o/token",                                    # OAuth2 token endpoint (form body)
    "/v1/organizations/some-org/badges",           # Credly
    "/systems",                                    # BadgeKit
    "/claim/SOMECODE",                             # earner: claim page (form)
    "/accept/some-token",                          # earner: accept page (form)
]


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[str]:
    app = create_app(dataclasses.replace(settings, body_timeout=DEADLINE))
    with serve_app(app) as base:
        yield base


def _raw_post(base: str, path: str, *, length: int, drip_every: float | None) -> tuple[bytes, float]:
    """POST to ``path`` declaring ``length`` body bytes; with ``drip_every``, send one byte that often until the
    server answers. Returns the raw answer and the seconds it took."""
    host, port = base.removeprefix("http://").split(":")
    start = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=DEADLINE + 20) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {length}\r\n\r\n".encode())
        if drip_every is not None:
            sock.settimeout(drip_every)
            for _ in range(length):
                try:
                    answer = sock.recv(65536)
                except TimeoutError:
                    try:
                        sock.sendall(b" ")
                    except OSError:  # the server answered and closed
                        break
                    continue
                return answer, time.monotonic() - start
            sock.settimeout(DEADLINE + 20)
        return sock.recv(65536), time.monotonic() - start


def test_every_router_times_out_a_dripped_body_while_others_write(live: str, owner: str) -> None:
    results: dict[str, tuple[bytes, float]] = {}
    threads = [threading.Thread(target=lambda p=path: results.update(
        {p: _raw_post(live, p, length=400, drip_every=0.25)})) for path in ROUTES]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # every dripper has sent its headers
    with httpx.Client(base_url=live, timeout=30) as client:
        made = client.post("/v1/issuers", json={"name": "Writes on", "url": "https://example.org",
                                                "email": "writes@example.org"},
                           headers={"Authorization": f"Bearer {owner}"})
    still_dripping = sum(t.is_alive() for t in threads)
    for thread in threads:
        thread.join()
    assert made.status_code == 201, made.text
    assert still_dripping == len(ROUTES), "the well-behaved write waited for the drippers"
    for path in ROUTES:
        raw, took = results[path]
        assert raw.startswith(b"HTTP/1.1 408"), (path, raw[:200])
        assert json.loads(raw.split(b"\r\n\r\n", 1)[1])["code"] == "RequestTimeout", path
        assert took < DEADLINE + 10, (path, took)  # answered at the deadline, not after the 400 bytes (100 s)


@pytest.mark.parametrize("path", ROUTES)
def test_every_router_refuses_an_oversized_body_before_reading_it(live: str, path: str) -> None:
    raw, _ = _raw_post(live, path, length=1 << 40, drip_every=None)
    assert raw.startswith(b"HTTP/1.1 413"), (path, raw[:200])
    assert json.loads(raw.split(b"\r\n\r\n", 1)[1])["code"] == "PayloadTooLarge"
