"""Credly's envelope: ``{"data": …, "metadata": …}`` on success; ``{"data": {"message": …, "errors": [{attribute,
attribute_label, messages}], "error_index"?}}`` on errors. Field problems in a body are Credly's 422
("Validation failed: …"); other statuses are the app's mapping (:func:`hosting.app.errors.http_status`)."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Response
from litestar.types import ExceptionHandlersMap

from hosting.app.errors import CompatErrors, ErrorAnswer, http_status
from hosting.lib.errors import HostingError

__all__ = ["BodyInvalid", "error_data", "exception_handlers", "label", "ok"]


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


_CHALLENGE = 'Basic realm="Credly API", charset="UTF-8"'


def _render(answer: ErrorAnswer) -> Response[Any]:
    extra = answer.error.extra if answer.error is not None else {}
    data = error_data(answer.message, answer.details, extra.get("error_index"))
    if isinstance(answer.error, BodyInvalid) and extra.get("invalid_badges"):
        data["invalid_badges"] = extra["invalid_badges"]
    challenge = {"www-authenticate": _CHALLENGE} if answer.status == 401 else {}  # RFC 9110: a 401 says how
    return Response(content={"data": data}, status_code=answer.status, media_type=MediaType.JSON,
                    headers={"cache-control": "no-store", **challenge, **(answer.headers or {})})


def _status(exc: HostingError) -> int:
    return 422 if isinstance(exc, BodyInvalid) else http_status(exc)


exception_handlers: ExceptionHandlersMap = CompatErrors(_render, status_of=_status, not_found="Not found").handlers
