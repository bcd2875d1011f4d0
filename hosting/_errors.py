"""API errors with a stable ``code``, and the one place that maps every exception to a JSON response."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.types import ExceptionHandlersMap

__all__ = [
    "ApiError",
    "BadRequest",
    "Forbidden",
    "Gone",
    "ResourceConflict",
    "ResourceNotFound",
    "Unauthorized",
    "UnprocessableEntity",
    "error_body",
    "exception_handlers",
]

_log = logging.getLogger("hosting")

_CODE_BY_STATUS = {
    400: "ValidationError",
    401: "Unauthorized",
    403: "Forbidden",
    404: "ResourceNotFound",
    405: "MethodNotAllowed",
    409: "ResourceConflict",
    410: "Gone",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "UnprocessableEntity",
    429: "TooManyRequests",
    503: "ServiceUnavailable",
}


class ApiError(Exception):
    """Base of the errors the API answers with; ``status`` and ``code`` are fixed per class."""

    status: int = 500
    code: str = "InternalError"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}


class BadRequest(ApiError):
    status, code = 400, "ValidationError"


class Unauthorized(ApiError):
    status, code = 401, "Unauthorized"


class Forbidden(ApiError):
    status, code = 403, "Forbidden"


class ResourceNotFound(ApiError, LookupError):
    status, code = 404, "ResourceNotFound"


class ResourceConflict(ApiError):
    status, code = 409, "ResourceConflict"


class Gone(ApiError):
    status, code = 410, "Gone"


class UnprocessableEntity(ApiError):
    status, code = 422, "UnprocessableEntity"


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"code": _CODE_BY_STATUS.get(status, "InternalError" if status >= 500 else "Error"), "message": message}


def _json(request: Request[Any, Any, Any], status: int, body: dict[str, Any],
          headers: dict[str, str] | None = None) -> Response[Any]:
    hdrs = {"cache-control": "no-store"}
    if request.url.path.startswith("/public/"):
        hdrs["access-control-allow-origin"] = "*"
    hdrs.update(headers or {})
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=hdrs)


def _api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    return _json(request, exc.status, exc.body())


def _http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, NotFoundException) or status == 404:
        return _json(request, 404, error_body(404, "no such resource"))
    if status >= 500:
        _log.error("server error on %s %s: %s", request.method, request.url.path, exc.detail)
        return _json(request, status, error_body(status, "internal error"))
    body = error_body(status, str(exc.detail))
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        body["details"] = [
            {"field": e.get("key"), "message": e.get("message"), "value": None}
            for e in exc.extra if isinstance(e, dict)
        ]
    return _json(request, status, body, dict(exc.headers or {}))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    _log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _json(request, 500, error_body(500, "internal error"))


exception_handlers: ExceptionHandlersMap = {
    ApiError: _api_error,
    HTTPException: _http_exception,
    Exception: _unexpected,
}
