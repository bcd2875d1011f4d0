"""Credly's envelope: ``{"data": …, "metadata": …}`` on success; ``{"data": {"message": …, "errors": [{attribute,
attribute_label, messages}], "error_index"?}}`` on errors. Field problems in a body are Credly's 422
("Validation failed: …"); other statuses are the app's mapping (:func:`hosting.app.errors.http_status`)."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

from hosting.app.errors import http_status
from hosting.lib.db import is_unavailable_error
from hosting.lib.errors import HostingError

__all__ = ["BodyInvalid", "error_data", "exception_handlers", "label", "ok"]

_log = logging.getLogger("hosting")


class BodyInvalid(HostingError):
    """A request body failed validation: Credly's 422 (``details``: the field problems; ``error_index``)."""


def ok(data: Any, *, status: int = 200, metadata: dict[str, Any] | None = None,
       headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(content={"data": data, "metadata": metadata or {}}, status_code=status,
                    media_type=MediaType.JSON, headers={"cache-control": "no-store", **(headers or {})})


def label(attribute: str) -> str:
    """Credly's ``attribute_label``: ``issued_at`` → ``Issued at``."""
    text = attribute.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def error_data(message: str, details: Any = (), error_index: Any = None) -> dict[str, Any]:
    """Credly's error object: ``{message, errors: [{attribute, attribute_label, messages}], error_index?}``."""
    grouped: dict[str, list[str]] = {}
    for detail in list(details or ())[:100]:
        if isinstance(detail, dict):
            grouped.setdefault(str(detail.get("field") or "base"), []).append(str(detail.get("message", "")))
    data: dict[str, Any] = {"message": message}
    if grouped:
        data["errors"] = [{"attribute": k, "attribute_label": label(k), "messages": v} for k, v in grouped.items()]
    if error_index is not None:
        data["error_index"] = error_index
    return data


def _error(status: int, message: str, details: Any = (), error_index: Any = None,
           headers: dict[str, str] | None = None, invalid_badges: Any = None) -> Response[Any]:
    data = error_data(message, details, error_index)
    if invalid_badges:
        data["invalid_badges"] = invalid_badges
    return Response(content={"data": data}, status_code=status, media_type=MediaType.JSON,
                    headers={"cache-control": "no-store", **(headers or {})})


def _domain(request: Request[Any, Any, Any], exc: HostingError) -> Response[Any]:
    details = exc.extra.get("details") or exc.extra.get("errors") or ()
    if isinstance(exc, BodyInvalid):
        return _error(422, exc.message, details, exc.extra.get("error_index"),
                      invalid_badges=exc.extra.get("invalid_badges"))
    status = http_status(exc)
    return _error(status, exc.message, details, exc.extra.get("error_index"),
                  {"retry-after": "1"} if status == 503 else None)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        _log.error("server error on %s %s: %s", request.method, request.url.path, exc.detail)
        return _error(status, "internal error")
    message = "Not found" if status == 404 else str(exc.detail)
    details = [{"field": e.get("key"), "message": e.get("message")} for e in exc.extra
               if isinstance(e, dict)] if isinstance(exc.extra, list) else []
    return _error(status, message, details, headers=dict(exc.headers or {}))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_unavailable_error(exc):
        return _error(503, "the database is unavailable; retry later", headers={"retry-after": "1"})
    _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error(500, "internal error")


exception_handlers: ExceptionHandlersMap = {HostingError: _domain, HTTPException: _http, Exception: _unexpected}
