"""Slow clients never hold the database: a body dripped byte by byte, or an image URL that answers slowly,
while other writers keep issuing — through a live uvicorn server on 127.0.0.1 (SQLite has one write lock and a
5 s busy timeout, so each slow phase below lasts longer than that). Plus the body deadline (408) and size cap
(413) of :class:`hosting.lib.prefetch.BodyPrefetchMiddleware`, driven directly."""

from __future__ import annotations

import dataclasses
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from hosting import Settings, create_app
from hosting.app.demo import demo_png
from hosting.lib.prefetch import BodyPrefetchMiddleware

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import serving
from _hosting_live import serve_app
from _issue_support import Team, api_fixture, team_fixture  # noqa: F401 - fixtures

SLOW = 6.0  # seconds: longer than SQLite's busy timeout (5 s)


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[str]:
    app = create_app(dataclasses.replace(settings, body_timeout=SLOW + 4, allow_private_image_urls=True))
    with serve_app(app) as base:
        yield base


@pytest.fixture(scope="module")
def slow_image() -> Iterator[str]:
    """A loopback server whose /slow.png answers after ``SLOW`` seconds."""
    with serving("/slow.png", demo_png(size=16), "image/png", delay=SLOW) as base:
        yield f"{base}/slow.png"


def _issue_meanwhile(base: str, team: Team, badge: str, count: int = 3) -> list[int]:
    """Statuses of ``count`` issue requests made one after another by a well-behaved client."""
    with httpx.Client(base_url=base, timeout=30) as client:
        return [client.post(team.issue_path(badge), json={"recipient": f"r{i}-{time.time_ns()}@example.org",
                                                         "notify": False},
                            headers={"Authorization": f"Bearer {team.owner}"}).status_code for i in range(count)]


def _drip(base: str, path: str, token: str, body: bytes, seconds: float) -> bytes:
    """POST ``body`` over a raw socket, one byte at a time spread over ``seconds``; the raw response."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=seconds + 20) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        for byte in body:
            time.sleep(seconds / len(body))
            sock.sendall(bytes([byte]))
        return sock.recv(65536)


def test_a_dripped_body_does_not_stop_other_writers(live: str, team: Team) -> None:
    badge = team.badge()
    body = json.dumps({"recipient": "drip@example.org", "notify": False}).encode()
    result: dict[str, bytes] = {}
    dripper = threading.Thread(target=lambda: result.update(
        raw=_drip(live, team.issue_path(badge), team.owner, body, SLOW)))
    dripper.start()
    time.sleep(0.5)  # the dripper has sent its headers
    statuses = _issue_meanwhile(live, team, badge)
    still_dripping = dripper.is_alive()
    dripper.join()
    assert statuses == [201, 201, 201]
    assert still_dripping  # the other writes finished while the body was still arriving
    assert result["raw"].startswith(b"HTTP/1.1 201")  # and the slow client's own request succeeds too


def test_a_slow_image_url_does_not_stop_other_writers(live: str, team: Team, slow_image: str) -> None:
    badge = team.badge()
    result: dict[str, httpx.Response] = {}

    def _update() -> None:
        with httpx.Client(base_url=live, timeout=30) as client:
            result["res"] = client.patch(team.path, json={"image": slow_image},
                                         headers={"Authorization": f"Bearer {team.owner}"})

    updater = threading.Thread(target=_update)
    updater.start()
    time.sleep(0.5)  # the fetch is under way
    statuses = _issue_meanwhile(live, team, badge)
    still_fetching = updater.is_alive()
    updater.join()
    assert statuses == [201, 201, 201]
    assert still_fetching
    assert result["res"].status_code == 200, result["res"].text
    assert result["res"].json()["issuer"]["image"]


# --- the middleware itself ---------------------------------------------------------------------------

async def _run(middleware_args: dict[str, Any], messages: list[dict[str, Any]], *, stall: bool = False,
               headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, Any, bytes | None]:
    """Drive the middleware: (status, JSON body or None, the body the app saw or None)."""
    seen: dict[str, bytes] = {}
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["body"] = (await receive())["body"]
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    queue = list(messages)

    async def receive() -> dict[str, Any]:
        if queue:
            return queue.pop(0)
        if stall:
            await anyio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "headers": headers or []}
    await BodyPrefetchMiddleware(app, **middleware_args)(scope, receive, send)  # type: ignore[arg-type]
    if not sent:
        return 0, None, seen.get("body")
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return sent[0]["status"], json.loads(body) if body else None, seen.get("body")


def test_the_body_is_read_whole_then_replayed() -> None:
    parts = [{"type": "http.request", "body": b'{"a"', "more_body": True},
             {"type": "http.request", "body": b": 1}", "more_body": False}]
    status, _, seen = anyio.run(_run, {"timeout": 1.0, "max_bytes": 100}, parts)
    assert (status, seen) == (204, b'{"a": 1}')


def test_a_stalled_body_is_408_after_the_deadline() -> None:
    parts = [{"type": "http.request", "body": b"{", "more_body": True}]
    started = time.monotonic()
    status, body, seen = anyio.run(lambda: _run({"timeout": 0.3, "max_bytes": 100}, parts, stall=True))
    assert time.monotonic() - started < 5
    assert (status, body["code"], seen) == (408, "RequestTimeout", None)


def test_a_body_over_the_cap_is_413_declared_or_sent() -> None:
    declared = anyio.run(lambda: _run({"timeout": 1.0, "max_bytes": 10}, [], headers=[(b"content-length", b"11")]))
    assert (declared[0], declared[1]["code"], declared[2]) == (413, "PayloadTooLarge", None)
    parts = [{"type": "http.request", "body": b"x" * 8, "more_body": True},
             {"type": "http.request", "body": b"x" * 8, "more_body": False}]
    sent = anyio.run(_run, {"timeout": 1.0, "max_bytes": 10}, parts)
    assert (sent[0], sent[1]["code"], sent[2]) == (413, "PayloadTooLarge", None)


def test_a_client_gone_mid_body_reaches_no_handler() -> None:
    parts = [{"type": "http.request", "body": b"{", "more_body": True}]
    assert anyio.run(_run, {"timeout": 1.0, "max_bytes": 100}, parts) == (0, None, None)
