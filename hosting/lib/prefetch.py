"""Reading a writing request's whole body before the application runs, within a total deadline.

Handlers of writing requests hold a database transaction (on SQLite: the one write lock, ``BEGIN IMMEDIATE``)
from their first query. Reading the body here first means a client dripping its body only ever holds its own
connection: past ``timeout`` seconds it gets 408 ``RequestTimeout``; past ``max_bytes`` 413 ``PayloadTooLarge``.
"""

from __future__ import annotations

import json
import math

import anyio
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send
from litestar.types.asgi_types import HTTPRequestEvent

from hosting.lib.numbers import ascii_int

__all__ = ["BodyPrefetchMiddleware"]

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class BodyPrefetchMiddleware:
    """Buffers the body of every HTTP request but GET/HEAD/OPTIONS, then replays it to the app."""

    def __init__(self, app: ASGIApp, *, timeout: float, max_bytes: int) -> None:
        self.app = app
        self.timeout = timeout
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] in _READ_METHODS:
            await self.app(scope, receive, send)
            return
        # a malformed length goes on to the app (read_body answers 400); past MAX_DIGITS digits it is malformed
        declared = ascii_int(dict(scope["headers"]).get(b"content-length", b""))
        if declared is not None and declared > self.max_bytes:
            await _refuse(send, 413, "PayloadTooLarge", f"body larger than {self.max_bytes} bytes")
            return
        try:
            with anyio.fail_after(self.timeout):
                body = await self._read(receive)
        except TimeoutError:
            await _refuse(send, 408, "RequestTimeout",
                          f"the request body did not arrive within {_seconds(self.timeout)} seconds")
            return
        except _TooLarge:
            await _refuse(send, 413, "PayloadTooLarge", f"body larger than {self.max_bytes} bytes")
            return
        except _Disconnected:
            return
        sent = False

        async def replay() -> ReceiveMessage:
            nonlocal sent
            if not sent:
                sent = True
                whole: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
                return whole
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = bytes(message.get("body", b""))  # type: ignore[call-overload]
            size += len(chunk)
            if size > self.max_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _seconds(value: float) -> str:
    return str(int(value)) if math.isclose(value, round(value)) else str(value)


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"code": code, "message": message}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body, "more_body": False})
