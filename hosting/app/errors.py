"""The one place that maps every exception to a JSON response: domain errors (:mod:`hosting.lib.errors`) to
their status and stable ``code``, Litestar's HTTP exceptions, and anything unexpected (a logged 500)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.types import ExceptionHandlersMap

from hosting.app.state import hosting_state
from hosting.lib.db import is_busy_error, is_unavailable_error
from hosting.lib.errors import (
    Conflict,
    Gone,
    HostingError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    Refused,
    TooLarge,
    TooManyRequests,
    Unavailable,
)
from hosting.lib.http import html_headers, request_info
from hosting.pages.errors import render_error_page
from hosting.pages.respond import wants_page

__all__ = ["MAX_DETAILS", "CompatErrors", "ErrorAnswer", "error_body", "exception_handlers", "http_status"]

MAX_DETAILS = 100  # entries of ``details`` / ``errors`` in one error body; ``<key>_omitted`` counts the rest

_log = logging.getLogger("hosting")

_CODE_BY_STATUS = {
    400: "ValidationError",
    401: "Unauthorized",
    403: "Forbidden",
    404: "ResourceNotFound",
    405: "MethodNotAllowed",
    408: "RequestTimeout",
    409: "ResourceConflict",
    410: "Gone",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "UnprocessableEntity",
    429: "TooManyRequests",
    503: "ServiceUnavailable",
}


# The one map from domain errors (hosting/lib/errors.py) to HTTP statuses; the ``code`` follows the status.
_STATUS: dict[type[HostingError], int] = {
    InvalidInput: 400,
    TooLarge: 413,
    NotAuthenticated: 401,
    NotPermitted: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    TooManyRequests: 429,
    Refused: 422,
    Unavailable: 503,
}


def http_status(exc: HostingError) -> int:
    """The status answering ``exc``: that of its nearest mapped class (500 for an unmapped one)."""
    return next((_STATUS[cls] for cls in type(exc).__mro__ if cls in _STATUS), 500)


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"code": _CODE_BY_STATUS.get(status, "InternalError" if status >= 500 else "Error"), "message": message}


def _json(request: Request[Any, Any, Any], status: int, body: dict[str, Any],
          headers: dict[str, str] | None = None) -> Response[Any]:
    hdrs = {"cache-control": "no-store"}
    if request.url.path.startswith("/public/"):
        hdrs["access-control-allow-origin"] = "*"
    hdrs.update(headers or {})
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=hdrs)


def _capped(extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` with its ``details``/``errors`` lists cut to :data:`MAX_DETAILS`, saying how many were left out."""
    out = dict(extra)
    for key in ("details", "errors"):
        items = out.get(key)
        if isinstance(items, list) and len(items) > MAX_DETAILS:
            out[key] = items[:MAX_DETAILS]
            out[f"{key}_omitted"] = len(items) - MAX_DETAILS
    return out


# Seconds a client should wait before retrying a 503: a busy write lock clears fast, an outage does not.
RETRY_AFTER_BUSY = 1
RETRY_AFTER_OUTAGE = 5


def _browser_page(request: Request[Any, Any, Any], status: int) -> Response[Any] | None:
    """A browser (``Accept: text/html``) on a public URL gets the HTML error page; everyone else the JSON body."""
    if not request.url.path.startswith("/public/"):
        return None
    info = request_info(request.scope)
    if not wants_page(info):
        return None
    headers = {k.decode(): v.decode() for k, v in html_headers(hosting_state(request).urls.base)}
    return Response(content=render_error_page(status), status_code=status, media_type=MediaType.HTML,
                    headers={"cache-control": "no-store", "vary": "Accept", **headers})


def _domain_error(request: Request[Any, Any, Any], exc: HostingError) -> Response[Any]:
    status = http_status(exc)
    if status == 404 and (page := _browser_page(request, 404)) is not None:
        return page
    headers = {"retry-after": str(RETRY_AFTER_BUSY if is_busy_error(exc.__cause__ or exc) else RETRY_AFTER_OUTAGE)
               } if status == 503 else None
    if isinstance(exc, TooManyRequests):
        headers = {"retry-after": str(exc.retry_after)}
    return _json(request, status, {**error_body(status, exc.message), **_capped(exc.extra)}, headers)


def _http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, NotFoundException) or status == 404:
        return _browser_page(request, 404) or _json(request, 404, error_body(404, "no such resource"))
    if status >= 500:
        _log.error("server error on %s %s: %s", request.method, request.url.path, exc.detail)
        return _json(request, status, error_body(status, "internal error"))
    body = error_body(status, str(exc.detail))
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        body.update(_capped({"details": [
            {"field": e.get("key"), "message": e.get("message"), "value": None}
            for e in exc.extra if isinstance(e, dict)
        ]}))
    return _json(request, status, body, dict(exc.headers or {}))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_unavailable_error(exc):  # down, unreachable, timed out, locked, read-only, full: retry later
        busy = is_busy_error(exc)
        _log.warning("database unavailable on %s %s: %s: %s", request.method, request.url.path,
                     type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
        message = "the database is busy; retry the request" if busy else "the database is unavailable; retry later"
        return _json(request, 503, error_body(503, message),
                     {"retry-after": str(RETRY_AFTER_BUSY if busy else RETRY_AFTER_OUTAGE)})
    # ``exc_info=exc``, not ``sys.exc_info()``: a handler is not always called inside the ``except`` block.
    _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _json(request, 500, error_body(500, "internal error"))


exception_handlers: ExceptionHandlersMap = {
    HostingError: _domain_error,
    HTTPException: _http_exception,
    Exception: _unexpected,
}


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """What an error answer says, before a compatibility API renders it in its own body shape."""

    status: int
    message: str
    details: list[Any] = field(default_factory=list)  # dicts: ``field``, ``message`` (``value``, ``index``)
    headers: dict[str, str] | None = None
    error: HostingError | None = None  # the domain error answered (None: an HTTP error or an unexpected one)


class CompatErrors:
    """The exception handlers of a compatibility API (Badgr, Credly, BadgeKit …), built from its ``render``
    function: the API's router installs :attr:`handlers`, so domain errors, Litestar's HTTP errors and anything
    unexpected (logged; a database outage is a 503 with ``retry-after``) answer in that API's body shape.

    ``status_of`` maps a domain error to its status (default :func:`http_status`); ``not_found`` is the message of
    a 404 HTTP error (a string, or a function of the request)."""

    def __init__(self, render: Callable[[ErrorAnswer], Response[Any]], *,
                 status_of: Callable[[HostingError], int] = http_status,
                 not_found: str | Callable[[Request[Any, Any, Any]], str] = "no such resource") -> None:
        self._render = render
        self._status_of = status_of
        self._not_found = not_found
        self.handlers: ExceptionHandlersMap = {HostingError: self.domain, HTTPException: self.http,
                                               Exception: self.unexpected}

    def domain(self, request: Request[Any, Any, Any], exc: HostingError) -> Response[Any]:
        status = self._status_of(exc)
        details = exc.extra.get("details") or exc.extra.get("errors") or ()
        return self._render(ErrorAnswer(status, exc.message, list(details),
                                        {"retry-after": "1"} if status == 503 else None, exc))

    def http(self, request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        status = exc.status_code
        if status >= 500:
            _log.error("server error on %s %s: %s", request.method, request.url.path, exc.detail)
            return self._render(ErrorAnswer(status, "internal error"))
        if status == 404:
            message = self._not_found if isinstance(self._not_found, str) else self._not_found(request)
        else:
            message = str(exc.detail)
        details = [{"field": e.get("key"), "message": e.get("message")} for e in exc.extra
                   if isinstance(e, dict)] if isinstance(exc.extra, list) else []
        return self._render(ErrorAnswer(status, message, details, dict(exc.headers or {})))

    def unexpected(self, request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if is_unavailable_error(exc):
            return self._render(ErrorAnswer(503, "the database is unavailable; retry later",
                                            headers={"retry-after": "1"}))
        _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return self._render(ErrorAnswer(500, "internal error"))
