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

__all__ = ["HTML_UTF8", "error_page_response", "is_preview_bot", "page_response", "wants_page"]

HTML_UTF8 = "text/html; charset=utf-8"


# Link-preview crawlers read a shared URL's Open Graph tags but may not ask for HTML (``Accept: */*`` or none):
# without the page they would show no card. They are not Open Badges verifiers, so they get the page.
_PREVIEW_BOTS = ("facebookexternalhit", "facebot", "twitterbot", "linkedinbot", "slackbot", "discordbot",
                 "whatsapp", "telegrambot", "mastodon", "pinterest", "redditbot", "skypeuripreview", "embedly")


def wants_page(info: RequestInfo) -> bool:
    """The client prefers HTML (a browser's ``Accept: text/html,…``), or is a link-preview crawler that accepts
    anything. JSON clients, ``*/*`` and clients without ``Accept`` get the JSON."""
    media = negotiate(info)
    if media == HTML:
        return True
    return is_preview_bot(info)


def is_preview_bot(info: RequestInfo) -> bool:
    """A known link-preview crawler asking for anything (no ``Accept``, or ``*/*``) and no explicit ``?format``."""
    if info.user_agent is None or info.format is not None or info.accept not in (None, "*/*"):
        return False
    agent = info.user_agent.lower()
    return any(bot in agent for bot in _PREVIEW_BOTS)


def page_response(info: RequestInfo, body: bytes, *, base_url: str, max_age: int, status_code: int = 200,
                  last_modified: datetime | None = None) -> RawResponse:
    """A rendered page, cache-validated (its own strong ETag, ``Vary: Accept``) with the no-script CSP.

    A link-preview crawler's page is ``private``: it was chosen by User-Agent for an ``Accept: */*`` request, and a
    shared cache must never hand it to a verifier asking the same URL with ``*/*``."""
    if is_preview_bot(info):
        return raw_response(info, status_code, body, HTML_UTF8,
                            [(b"cache-control", b"private, no-store"), (b"vary", b"Accept, User-Agent"),
                             *html_headers(base_url)])
    return cached_response(info, body, media_type=HTML_UTF8, etag=strong_etag(body), last_modified=last_modified,
                           max_age=max_age, status_code=status_code, extra_headers=html_headers(base_url))


def error_page_response(info: RequestInfo, status: int, *, base_url: str, message: str | None = None) -> RawResponse:
    """The HTML error page (not cached: the resource may appear later)."""
    body = render_error_page(status, message)
    return raw_response(info, status, body, HTML_UTF8,
                        [(b"cache-control", b"no-store"), (b"vary", b"Accept"), *html_headers(base_url)])
