"""HTTP caching and negotiation for the public endpoints: one helper answers 200/304 with the headers."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from litestar import Request, Response

__all__ = ["strong_etag", "http_date", "is_not_modified", "cached_response", "negotiate", "LD_JSON", "JSON",
           "HTML"]

LD_JSON = "application/ld+json"
JSON = "application/json"
HTML = "text/html"
_OFFERED = [LD_JSON, JSON, HTML]


def strong_etag(data: bytes) -> str:
    """A strong validator: the quoted, URL-safe SHA-256 of the exact bytes sent (truncated to 128 bits)."""
    return '"' + base64.urlsafe_b64encode(hashlib.sha256(data).digest()[:16]).decode().rstrip("=") + '"'


def http_date(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


def negotiate(request: Request[Any, Any, Any]) -> str:
    """``application/ld+json`` unless the client prefers ``application/json`` or ``text/html``."""
    accept = request.headers.get("accept")
    if not accept or accept == "*/*":
        return LD_JSON
    return request.accept.best_match(_OFFERED, default=LD_JSON)


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    bare = etag.strip('"')
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):  # If-None-Match uses the weak comparison (RFC 9110 13.1.2)
            candidate = candidate[2:]
        if candidate.strip('"') == bare:
            return True
    return False


def is_not_modified(request: Request[Any, Any, Any], etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110 13.2.2: ``If-None-Match`` wins; ``If-Modified-Since`` only counts without it."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        return _etag_matches(inm, etag)
    ims = request.headers.get("if-modified-since")
    if ims is not None and last_modified is not None:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        lm = last_modified if last_modified.tzinfo else last_modified.replace(tzinfo=timezone.utc)
        return lm.replace(microsecond=0) <= since
    return False


def cached_response(
    request: Request[Any, Any, Any],
    body: bytes,
    *,
    media_type: str,
    etag: str,
    last_modified: datetime | None,
    max_age: int,
    status_code: int = 200,
    vary_accept: bool = True,
) -> Response[Any]:
    """The response for a public GET/HEAD: 304 when the client's copy is current, else ``body``."""
    headers = {
        "etag": etag,
        "cache-control": f"public, max-age={max_age}",
        "access-control-allow-origin": "*",
        "access-control-expose-headers": "ETag, Last-Modified, Location",
    }
    if vary_accept:
        headers["vary"] = "Accept"
    if last_modified is not None:
        headers["last-modified"] = http_date(last_modified)
    if status_code == 200 and is_not_modified(request, etag, last_modified):
        return Response(content=b"", status_code=304, headers=headers, media_type=media_type)
    if request.method == "HEAD":
        headers["content-length"] = str(len(body))
        return Response(content=b"", status_code=status_code, headers=headers, media_type=media_type)
    return Response(content=body, status_code=status_code, headers=headers, media_type=media_type)
