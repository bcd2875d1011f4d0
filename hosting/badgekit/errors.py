"""BadgeKit's error shapes, installed on the BadgeKit router: ``{"code", "message"}``; a 400 is
``{"code": "ValidationError", "message": "Could not validate required fields", "details": [{field, message,
value}]}``; a 409 is ``{"code": "ResourceConflict", "error": …, "details": <the existing record>}``."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

from hosting.app.errors import http_status
from hosting.lib.db import is_unavailable_error
from hosting.lib.errors import HostingError

__all__ = ["ResourceConflict", "exception_handlers", "render_error"]

_log = logging.getLogger("hosting")
_CODES = {400: "ValidationError", 401: "Unauthorized", 403: "Forbidden", 404: "ResourceNotFound",
          405: "MethodNotAllowed", 409: "ResourceConflict", 410: "Gone", 413: "PayloadTooLarge",
          415: "UnsupportedMediaType", 429: "TooManyRequests", 503: "ServiceUnavailable"}


class ResourceConflict(HostingError):
    """A 409 carrying the existing record (``existing``) as BadgeKit's ``details``."""


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(content=body, status_code=status, media_type=MediaType.JSON,
                    headers={"cache-control": "no-store", **(headers or {})})


def _validation(details: list[Any]) -> dict[str, Any]:
    return {"code": "ValidationError", "message": "Could not validate required fields",
            "details": [{"field": d.get("field"), "message": d.get("message"), "value": d.get("value")}
                        for d in details[:100] if isinstance(d, dict)]}


def render_error(request: Request[Any, Any, Any], exc: HostingError) -> Response[Any]:
    """A domain error in BadgeKit's shape (for handlers outside the BadgeKit router, e.g. ``GET /``)."""
    status = 409 if isinstance(exc, ResourceConflict) else http_status(exc)
    if status == 400 or (status == 413 and exc.extra.get("details")):
        return _json(status, _validation(list(exc.extra.get("details") or [])))
    if status == 409:
        existing = exc.extra.get("existing")
        return _json(409, {"code": "ResourceConflict", "error": exc.message,
                           **({"details": existing} if existing is not None else {})})
    return _json(status, {"code": _CODES.get(status, "InternalError" if status >= 500 else "Error"),
                          "message": exc.message if status < 500 else "internal error"},
                 {"retry-after": "1"} if status == 503 else None)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        _log.error("server error on %s %s: %s", request.method, request.url.path, exc.detail)
        return _json(status, {"code": "InternalError", "message": "internal error"})
    if status == 400:
        extra = exc.extra if isinstance(exc.extra, list) else []
        return _json(400, _validation([{"field": e.get("key"), "message": e.get("message"), "value": None}
                                       for e in extra if isinstance(e, dict)]))
    message = f"{request.method} {request.url.path} does not exist" if status == 404 else str(exc.detail)
    return _json(status, {"code": _CODES.get(status, "Error"), "message": message}, dict(exc.headers or {}))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_unavailable_error(exc):
        return _json(503, {"code": "ServiceUnavailable", "message": "the database is unavailable; retry later"},
                     {"retry-after": "1"})
    _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _json(500, {"code": "InternalError", "message": "internal error"})


exception_handlers: ExceptionHandlersMap = {HostingError: render_error, HTTPException: _http, Exception: _unexpected}
