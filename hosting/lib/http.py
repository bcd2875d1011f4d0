"""HTTP caching and negotiation for the public endpoints.

One helper, :func:`cached_response`, answers every public GET/HEAD: 304 when the client's copy is current
(``If-None-Match``, else ``If-Modified-Since``), else the body with a strong ETag, Last-Modified,
Cache-Control, Vary and CORS headers. Responses are tiny ASGI callables with pre-encoded headers: the public
documents are pre-serialised bytes, so the response should not cost more than the lookup.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from litestar.datastructures import Accept
from litestar.enums import HttpMethod
from litestar.types import Receive, Scope, Send

from hosting.lib.times import aware

__all__ = [
    "GET_HEAD",
    "HTML",
    "HTML_FRAME_HEADERS",
    "JOSE",
    "JSON",
    "LD_JSON",
    "RawResponse",
    "RequestInfo",
    "cached_response",
    "html_headers",
    "http_date",
    "is_not_modified",
    "negotiate",
    "raw_response",
    "redirect_response",
    "request_info",
    "strong_etag",
    "wants_jose",
]

LD_JSON = "application/ld+json"
JSON = "application/json"
HTML = "text/html"
GET_HEAD = [HttpMethod.GET, HttpMethod.HEAD]  # a public read: HEAD answers as GET does, without a body
JOSE = "application/jose"  # a signed OB 2.0 assertion's compact JWS (what ``openbadges verify URL`` asks for)
_OFFERED = [LD_JSON, JSON, HTML]
_OFFERED_SIGNED = [LD_JSON, JSON, HTML, JOSE]
_CORS = [(b"access-control-allow-origin", b"*"),
         (b"access-control-expose-headers", b"ETag, Last-Modified, Location")]


def strong_etag(data: bytes) -> str:
    """A strong validator: the quoted, URL-safe SHA-256 of the exact bytes sent (truncated to 128 bits)."""
    return '"' + base64.urlsafe_b64encode(hashlib.sha256(data).digest()[:16]).decode().rstrip("=") + '"'


@functools.lru_cache(maxsize=4096)  # rows issued together share their second: formatting costs more than a lookup
def http_date(moment: datetime) -> str:
    return format_datetime(aware(moment), usegmt=True)


@dataclass(slots=True)
class RequestInfo:
    """The request headers the public endpoints look at, read once from the ASGI scope."""

    method: str
    accept: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    format: str | None = None
    user_agent: str | None = None


def request_info(scope: Scope) -> RequestInfo:
    info = RequestInfo(method=scope["method"])  # type: ignore[typeddict-item]  # HTTP scopes only
    for name, value in scope["headers"]:
        if name == b"accept":
            info.accept = value.decode("latin-1")
        elif name == b"if-none-match":
            info.if_none_match = value.decode("latin-1")
        elif name == b"if-modified-since":
            info.if_modified_since = value.decode("latin-1")
        elif name == b"user-agent":
            info.user_agent = value.decode("latin-1")
    query = scope.get("query_string", b"")
    if query:
        fmt = parse_qs(query.decode("latin-1")).get("format")
        info.format = fmt[0] if fmt else None
    return info


def negotiate(info: RequestInfo) -> str:
    """``application/ld+json`` unless the client prefers ``application/json`` or ``text/html``
    (``?format=json`` / ``?format=jsonld`` override the Accept header)."""
    if info.format == "json":
        return JSON
    if info.format in ("jsonld", "json-ld"):
        return LD_JSON
    accept = info.accept
    if not accept or accept == "*/*" or accept == LD_JSON:
        return LD_JSON
    if accept == JSON:
        return JSON
    return Accept(accept).best_match(_OFFERED, default=LD_JSON)


def wants_jose(info: RequestInfo) -> bool:
    """The client asks for the compact JWS: ``?format=jws`` or an Accept header preferring
    ``application/jose`` (never ``*/*`` alone: JSON-LD stays the default)."""
    if info.format is not None:
        return info.format in ("jws", "jose")
    accept = info.accept
    if not accept or JOSE not in accept:
        return False
    return Accept(accept).best_match(_OFFERED_SIGNED, default=LD_JSON) == JOSE


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    bare = etag.strip('"')
    for candidate in header.split(","):
        candidate = candidate.strip()
        candidate = candidate.removeprefix("W/")  # If-None-Match uses the weak comparison (RFC 9110 13.1.2)
        if candidate.strip('"') == bare:
            return True
    return False


def is_not_modified(info: RequestInfo, etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110 13.2.2: ``If-None-Match`` wins; ``If-Modified-Since`` only counts without it."""
    if info.if_none_match is not None:
        return _etag_matches(info.if_none_match, etag)
    if info.if_modified_since is not None and last_modified is not None:
        try:
            since = parsedate_to_datetime(info.if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:  # not aware(): a far-off offset must not overflow converting a client's date
            since = since.replace(tzinfo=UTC)
        return aware(last_modified).replace(microsecond=0) <= since
    return False


class RawResponse:
    """A minimal ASGI response: status, pre-encoded headers, body (empty for HEAD and 304)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
        self.status = status
        self.headers = headers
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


def raw_response(info: RequestInfo, status: int, body: bytes, media_type: str,
                 extra: list[tuple[bytes, bytes]]) -> RawResponse:
    headers = [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode()), *extra]
    return RawResponse(status, headers, b"" if info.method == "HEAD" else body)


def cached_response(
    info: RequestInfo,
    body: bytes,
    *,
    media_type: str,
    etag: str,
    last_modified: datetime | None,
    max_age: int,
    status_code: int = 200,
    vary_accept: bool = True,
    last_modified_http: str | None = None,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> RawResponse:
    """The response for a public GET/HEAD: 304 when the client's copy is current, else ``body``."""
    headers: list[tuple[bytes, bytes]] = [
        (b"etag", etag.encode()),
        (b"cache-control", b"public, max-age=%d" % max_age),
        *_CORS,
    ]
    if vary_accept:
        headers.append((b"vary", b"Accept"))
    if extra_headers:
        headers.extend(extra_headers)
    if last_modified is not None:
        headers.append((b"last-modified", (last_modified_http or http_date(last_modified)).encode()))
    if status_code == 200 and is_not_modified(info, etag, last_modified):
        return RawResponse(304, headers)
    return raw_response(info, status_code, body, media_type, headers)


def redirect_response(info: RequestInfo, location: str, max_age: int) -> RawResponse:
    return raw_response(info, 301, b"", LD_JSON, [(b"location", location.encode()),
                                                 (b"cache-control", b"public, max-age=%d" % max_age), *_CORS])


# Uploaded SVGs are checked (no DTD/entities) but not rewritten: served from our origin, a script in one must not
# run. A sandboxed CSP with no script source keeps it inert while <img> embedding keeps working.
SVG_HEADERS = [(b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'; sandbox"),
               (b"x-content-type-options", b"nosniff")]


# HTML pages (issue #13): no script may run, no site may frame them (clickjacking), no content sniffing, and no
# Referer leaves the page: a badge page's URL names one recipient's assertion, so following its issuer or criteria
# link must not tell that site which badge was viewed (``no-referrer``).
_HTML_SECURITY = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
                  (b"referrer-policy", b"no-referrer")]
_HTML_CSP = ("default-src 'none'; img-src 'self' {origin} data:; style-src 'unsafe-inline'; base-uri 'none'; "
             "form-action 'none'; frame-ancestors 'none'")


@functools.lru_cache(maxsize=16)
def html_headers(base_url: str = "") -> list[tuple[bytes, bytes]]:
    """The security headers of a server-rendered HTML page whose images come from ``base_url``'s origin
    (the page's own origin when empty): a CSP allowing no script, inline styles and images only."""
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    csp = _HTML_CSP.format(origin=origin).replace("  ", " ")
    return [(b"content-security-policy", csp.encode()), *_HTML_SECURITY]


#: For HTML this app does not render itself (the OpenAPI UI, which needs its scripts): everything but the CSP's
#: script ban.
HTML_FRAME_HEADERS = [(b"content-security-policy", b"frame-ancestors 'none'; base-uri 'none'; object-src 'none'"),
                      *_HTML_SECURITY]


def image_headers(content_type: str) -> list[tuple[bytes, bytes]]:
    """Extra headers for serving an image of ``content_type``."""
    return SVG_HEADERS if content_type.startswith("image/svg") else [(b"x-content-type-options", b"nosniff")]
