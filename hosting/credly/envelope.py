"""Credly's envelope: ``{"data": …, "metadata": …}`` on success; ``{"data": {"message": …, "errors": [{attribute,
attribute_label, messages}], "error_index"?}}`` on errors. Field problems in a body are Credly's 422
("Validation failed: …"); other statuses are the app's mapping (:func:`hosting.app.errors.http_status`)."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Response
from litestar.types import ExceptionHandlersMap

from hosting.app.errors import CompatErrors, ErrorAnswer, http_status
from hosting.lib.errors import HostingError

__all__ = ["BodyInvalid", "exception_handlers", "ok"]


class BodyInvalid(HostingError):
    """A request body failed validation: Credly's 422 (``details``: the field problems; ``error_index``)."""


def ok(data: Any, *, status: int = 200, metadata: dict[str, Any] | None = None,
       headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(content={"data": data, "metadata": metadata or {}}, status_code=status,
                    media_type=MediaType.JSON, headers={"cache-control": "no-store", **(headers or {})})


def _label(attribute: str) -> str:
    text = attribute.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _render(answer: ErrorAnswer) -> Response[Any]:
    grouped: dict[str, list[str]] = {}
    for detail in answer.details[:100]:
        if isinstance(detail, dict):
            grouped.setdefault(str(detail.get("field") or "base"), []).append(str(detail.get("message", "")))
    data: dict[str, Any] = {"message": answer.message}
    if grouped:
        data["errors"] = [{"attribute": k, "attribute_label": _label(k), "messages": v} for k, v in grouped.items()]
    if answer.error is not None and answer.error.extra.get("error_index") is not None:
        data["error_index"] = answer.error.extra["error_index"]
    return Response(content={"data": data}, status_code=answer.status, media_type=MediaType.JSON,
                    headers={"cache-control": "no-store", **(answer.headers or {})})


def _status(exc: HostingError) -> int:
    return 422 if isinstance(exc, BodyInvalid) else http_status(exc)


exception_handlers: ExceptionHandlersMap = CompatErrors(_render, status_of=_status, not_found="Not found").handlers
