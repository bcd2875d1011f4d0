"""BadgeKit's error shapes, installed on the BadgeKit router: ``{"code", "message"}``; a 400 is
``{"code": "ValidationError", "message": "Could not validate required fields", "details": [{field, message,
value}]}``; a 409 is ``{"code": "ResourceConflict", "error": …, "details": <the existing record>}``."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.types import ExceptionHandlersMap

from hosting.app.errors import CompatErrors, ErrorAnswer, http_status
from hosting.lib.errors import HostingError

__all__ = ["ResourceConflict", "exception_handlers", "render_error"]

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


def _render(answer: ErrorAnswer) -> Response[Any]:
    status, error = answer.status, answer.error
    if status == 400 or (status == 413 and error is not None and error.extra.get("details")):
        return _json(status, _validation(answer.details))
    if status == 409 and error is not None:
        existing = error.extra.get("existing")
        return _json(409, {"code": "ResourceConflict", "error": answer.message,
                           **({"details": existing} if existing is not None else {})})
    message = "internal error" if status >= 500 and error is not None else answer.message
    return _json(status, {"code": _CODES.get(status, "InternalError" if status >= 500 else "Error"),
                          "message": message}, answer.headers)


def _status(exc: HostingError) -> int:
    return 409 if isinstance(exc, ResourceConflict) else http_status(exc)


def _not_found(request: Request[Any, Any, Any]) -> str:
    return f"{request.method} {request.url.path} does not exist"


_errors = CompatErrors(_render, status_of=_status, not_found=_not_found)
exception_handlers: ExceptionHandlersMap = _errors.handlers


def render_error(request: Request[Any, Any, Any], exc: HostingError) -> Response[Any]:
    """A domain error in BadgeKit's shape (for handlers outside the BadgeKit router, e.g. ``GET /``)."""
    return _errors.domain(request, exc)
