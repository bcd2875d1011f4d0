"""Answering a browser with a page: negotiation, the HTML security headers, 304s, HTML error pages."""

from __future__ import annotations

from datetime import datetime

from hosting.lib.http import (
    HTML,
    RawResponse,
    RequestInfo,
    cached_response,
    html_headers,
    negotiate,
    raw_response,
    strong_etag,
)
from hosting.pages.errors import render_error_page

__all__ = ["HTML_UTF8", "error_page_response", "page_response", "wants_page"]

HTML_UTF8 = "text/html; charset=utf-8"


def wants_page(info: RequestInfo) -> bool:
    """The client prefers HTML (a browser's ``Accept: text/html,…``); JSON clients and ``*/*`` never do."""
    return negotiate(info) == HTML


def page_response(info: RequestInfo, body: bytes, *, base_url: str, max_age: int, status_code: int = 200,
                  last_modified: datetime | None = None) -> RawResponse:
    """A rendered page, cache-validated (its own strong ETag, ``Vary: Accept``) with the no-script CSP."""
    return cached_response(info, body, media_type=HTML_UTF8, etag=strong_etag(body), last_modified=last_modified,
                           max_age=max_age, status_code=status_code, extra_headers=html_headers(base_url))


def error_page_response(info: RequestInfo, status: int, *, base_url: str, message: str | None = None) -> RawResponse:
    """The HTML error page (not cached: the resource may appear later)."""
    body = render_error_page(status, message)
    return raw_response(info, status, body, HTML_UTF8,
                        [(b"cache-control", b"no-store"), (b"vary", b"Accept"), *html_headers(base_url)])
