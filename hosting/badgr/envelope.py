"""Badgr's response envelope, on successes and errors alike:
``{"status": {"success": …, "description": …}, "result": […]}``, errors adding ``fieldErrors``
(``{field: [message, …]}``) and ``validationErrors`` (messages about no single field).

The ``/v2`` router installs :data:`exception_handlers`, so every error raised inside it (domain errors, Litestar's
HTTP errors, anything unexpected) answers in this shape with the status the app maps it to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

from hosting.app.errors import CompatErrors, ErrorAnswer

__all__ = ["envelope", "exception_handlers", "ok", "unrouted_v2"]


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


def _render(answer: ErrorAnswer) -> Response[Any]:
    field_errors: dict[str, list[str]] = {}
    validation: list[str] = []
    for detail in answer.details[:100]:
        if not isinstance(detail, dict):
            continue
        field, message = detail.get("field"), str(detail.get("message", ""))
        if "index" in detail:
            validation.append(f"[{detail['index']}] {field}: {message}")
        elif field and (field not in _NOT_FIELDS or (answer.status == 400 and field != "body")):
            field_errors.setdefault(str(field), []).append(message)
        else:
            validation.append(message if not field else f"{field}: {message}")
    response = envelope((), status=answer.status, description=answer.message, headers=answer.headers)
    assert isinstance(response.content, dict)
    response.content["fieldErrors"] = field_errors
    response.content["validationErrors"] = validation
    return response


_errors = CompatErrors(_render)
exception_handlers: ExceptionHandlersMap = _errors.handlers


def unrouted_v2(fallback: Callable[[Request[Any, Any, Any], Any], Response[Any]]
                ) -> Callable[[Request[Any, Any, Any], HTTPException], Response[Any]]:
    """The app-level HTTP error handler, answering in Badgr's envelope under ``/v2``: an unknown path (404) or
    method (405) is refused before any route (and so before the ``/v2`` router's own handlers) is reached."""

    def handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        path = request.url.path
        if path == "/v2" or path.startswith("/v2/"):
            return _errors.http(request, exc)
        return fallback(request, exc)

    return handler
