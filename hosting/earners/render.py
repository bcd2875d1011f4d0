"""Rendering the earner pages (Jinja, autoescaped; no JavaScript, no external assets) and their HTML errors.

The templates extend ``_base.html`` of ``hosting/pages/templates`` (the public pages' layout)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.types import ExceptionHandlersMap

from hosting.app.errors import http_status
from hosting.app.state import hosting_state
from hosting.lib.errors import HostingError, TooManyRequests
from hosting.pages.env import date_text
from hosting.pages.respond import HTML_UTF8

__all__ = ["page", "page_error_handlers", "when"]

_HERE = Path(__file__).resolve().parent
_env = Environment(
    loader=FileSystemLoader([_HERE / "templates", _HERE.parent / "pages" / "templates"]),
    autoescape=select_autoescape(["html"]), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)
_CSP = ("default-src 'none'; img-src 'self' {origin} data:; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'")
_TITLES = {400: "Please check the form", 403: "This form has expired", 404: "Not found", 409: "Not possible",
           410: "No longer available", 429: "Too many attempts", 503: "Please try again"}


def when(moment: datetime | None) -> str:
    """``3 December 2026`` (UTC)."""
    return "" if moment is None else date_text(moment)


def _headers(base_url: str) -> dict[str, str]:
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    # no-store: the pages carry single-use links and CSRF tokens; no-referrer: the token never leaks onwards.
    return {"content-security-policy": _CSP.format(origin=origin).replace("  ", " "),
            "x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
            "cache-control": "no-store"}


def page(request: Request[Any, Any, Any], template: str, status: int = 200, headers: dict[str, str] | None = None,
         **context: Any) -> Response[bytes]:
    """A rendered page as the response (UTF-8 HTML with the pages' security headers)."""
    base = hosting_state(request).urls.base
    body = _env.get_template(template).render(**context).encode()
    return Response(content=body, status_code=status, media_type=HTML_UTF8,
                    headers={**_headers(base), **(headers or {})})


def _error_page(request: Request[Any, Any, Any], status: int, message: str,
                headers: dict[str, str] | None = None) -> Response[bytes]:
    return page(request, "earner_error.html", status, headers, title=_TITLES.get(status, "Something went wrong"),
                message=message, code=status)


def _domain_error(request: Request[Any, Any, Any], exc: HostingError) -> Response[bytes]:
    status = http_status(exc)
    headers = {"retry-after": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    return _error_page(request, status, exc.message, headers)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    if isinstance(exc, PermissionDeniedException):  # the CSRF check: a stale or forged form
        return _error_page(request, 403, "This form could not be verified. Go back, reload the page and try again.")
    status = min(500, exc.status_code)
    return _error_page(request, status, "The page could not be shown." if status >= 500 else str(exc.detail))


def page_error_handlers() -> ExceptionHandlersMap:
    """Exception handlers answering the earner pages' errors with HTML pages (the API's stay JSON)."""
    return {HostingError: _domain_error, HTTPException: _http_error}
