"""Badgr's response envelope, on successes and errors alike:
``{"status": {"success": …, "description": …}, "result": […]}``, errors adding ``fieldErrors``
(``{field: [message, …]}``) and ``validationErrors`` (messages about no single field).

The ``/v2`` router installs :data:`exception_handlers`, so every error raised inside it (domain errors, Litestar's
HTTP errors, anything unexpected) answers in this shape with the status the app maps it to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

from hosting.app.errors import http_status
from hosting.lib.db import is_unavailable_error
from hosting.lib.errors import HostingError

__all__ = ["envelope", "exception_handlers", "ok", "unrouted_v2"]

_log = logging.getLogger("hosting")


def envelope(result: Iterable[Any], *, status: int = 200, description: str = "ok",
             headers: dict[str, str] | None = None) -> Response[Any]:
    body = {"status": {"success": 200 <= status < 300, "description": description}, "result": list(result)}
    return Response(content=body, status_code=status, media_type=MediaType.JSON,
                    headers={"cache-control": "no-store", **(headers or {})})


def ok(*entities: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    return envelope(entities, status=status, headers=headers)


# Detail names that are no body field (a missing role or scope, a state clash) unless the input is refused (400),
# where ``role`` and ``scope`` are fields a client sent.
_NOT_FIELDS = ("body", "role", "scope", "state", "database")


def _error(status: int, description: str, details: Iterable[Any] = (),
           headers: dict[str, str] | None = None) -> Response[Any]:
    field_errors: dict[str, list[str]] = {}
    validation: list[str] = []
    for detail in list(details)[:100]:
        if not isinstance(detail, dict):
            continue
        field, message = detail.get("field"), str(detail.get("message", ""))
        if "index" in detail:
            validation.append(f"[{detail['index']}] {field}: {message}")
        elif field and (field not in _NOT_FIELDS or (status == 400 and field != "body")):
            field_errors.setdefault(str(field), []).append(message)
        else:
            validation.append(message if not field else f"{field}: {message}")
    response = envelope((), status=status, description=description, headers=headers)
    assert isinstance(response.content, dict)
    response.content["fieldErrors"] = field_errors
    response.content["validationErrors"] = validation
    return response


def _domain(request: Request[Any, Any, Any], exc: HostingError) -> Response[Any]:
    status = http_status(exc)
    details = exc.extra.get("details") or exc.extra.get("errors") or ()
    return _error(status, exc.message, details, {"retry-after": "1"} if status == 503 else None)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        _log.error("server error on %s %s: %s", request.method, request.url.path, exc.detail)
        return _error(status, "internal error")
    description = "no such resource" if status == 404 else str(exc.detail)
    details = [{"field": e.get("key"), "message": e.get("message")} for e in exc.extra
               if isinstance(e, dict)] if isinstance(exc.extra, list) else []
    return _error(status, description, details, dict(exc.headers or {}))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_unavailable_error(exc):
        return _error(503, "the database is unavailable; retry later", headers={"retry-after": "1"})
    _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error(500, "internal error")


exception_handlers: ExceptionHandlersMap = {HostingError: _domain, HTTPException: _http, Exception: _unexpected}


def unrouted_v2(fallback: Callable[[Request[Any, Any, Any], Any], Response[Any]]
                ) -> Callable[[Request[Any, Any, Any], HTTPException], Response[Any]]:
    """The app-level HTTP error handler, answering in Badgr's envelope under ``/v2``: an unknown path (404) or
    method (405) is refused before any route (and so before the ``/v2`` router's own handlers) is reached."""

    def handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        path = request.url.path
        if path == "/v2" or path.startswith("/v2/"):
            return _http(request, exc)
        return fallback(request, exc)

    return handler
