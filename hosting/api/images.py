"""Images given to the issuer API: an upload (multipart file part), a ``data:`` URI or an http(s) URL.

Whatever the source, the bytes must be a PNG or an SVG (by content) no larger than
``settings.max_image_bytes``, and must parse: the library's baking reader (defusedxml for SVG, refusing
entities, DTDs and external references) checks them. URLs are fetched with the library's SSRF-safe
:class:`openbadges_core.SafeFetcher`: loopback and private addresses are refused unless
``settings.allow_private_image_urls`` is on. Every problem is a 400 ``ValidationError`` on the field.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_to_bytes

import anyio

import openbadges_core as ob
from hosting.app.state import HostingState
from hosting.lib.errors import HostingError, InvalidInput
from hosting.storage.store import image_content_type

__all__ = ["IMAGE_FETCH_TIMEOUT", "prefetch_image", "read_image"]

IMAGE_FETCH_TIMEOUT = 10.0
_ACCEPT = "image/png, image/svg+xml;q=0.9, image/*;q=0.5"
_SOURCES = "an upload (multipart part), a data: URI or an http(s) URL"


def _invalid(field: str, message: str, value: Any = None) -> InvalidInput:
    if isinstance(value, str) and len(value) > 200:
        value = value[:200] + "…"
    return InvalidInput(f"invalid {field}: {message}", details=[{"field": field, "message": message, "value": value}])


async def read_image(state: HostingState, value: Any, field: str = "image") -> bytes | None:
    """The image bytes ``value`` names (``bytes`` from a multipart upload, a ``data:`` URI or an http(s) URL).

    ``None`` or ``""`` give ``None`` (the caller decides whether that removes the image or is an error).
    """
    if value is None or value == "" or value == b"":
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    elif isinstance(value, str):
        text = value.strip()
        scheme = text.split(":", 1)[0].lower() if ":" in text else ""
        if scheme == "data":
            data = _decode_data_uri(text, field)
        elif scheme in ("http", "https"):
            data = await _fetch(state, text, field)
        else:
            raise _invalid(field, f"must be {_SOURCES}", value)
    else:
        raise _invalid(field, f"must be {_SOURCES}")
    return check_image(state, data, field)


async def prefetch_image(state: HostingState, data: dict[str, Any], field: str = "image") -> None:
    """Replace an http(s) URL in ``data[field]`` by the bytes it serves (checked later by :func:`read_image`).

    Called before the handler's first query, so no database transaction (on SQLite: the write lock) is open
    while a remote server answers. This server's own public URLs are left alone (GET-then-PUT echoes them).
    """
    value = data.get(field)
    if not isinstance(value, str):
        return
    text = value.strip()
    if text.split(":", 1)[0].lower() in ("http", "https") and not text.startswith(f"{state.urls.base}/public/"):
        data[field] = await _fetch(state, text, field)


def check_image(state: HostingState, data: bytes, field: str = "image") -> bytes:
    """``data`` if it is a well-formed PNG/SVG within the size cap; a 400 on ``field`` otherwise."""
    limit = state.settings.max_image_bytes
    if len(data) > limit:
        raise _invalid(field, f"larger than {limit} bytes", len(data))
    try:
        image_content_type(data)
    except HostingError:
        raise _invalid(field, "must be a PNG or an SVG image") from None
    try:
        ob.unbake(data)
    except ob.NoBadgePayloadError:
        pass  # the usual case: plain artwork
    except ob.OpenBadgesError as exc:  # corrupt PNG/SVG, unsafe SVG (entities, DTD, external references)
        raise _invalid(field, str(exc)) from None
    return data


def _decode_data_uri(uri: str, field: str) -> bytes:
    header, sep, payload = uri[5:].partition(",")
    if not sep:
        raise _invalid(field, "malformed data: URI (no comma)", uri)
    params = [p.strip().lower() for p in header.split(";")]
    media = params[0] or "text/plain"
    if media not in ("image/png", "image/svg+xml"):
        raise _invalid(field, f"data: URI media type must be image/png or image/svg+xml, not {media!r}", uri)
    try:
        if "base64" in params[1:]:
            return base64.b64decode("".join(payload.split()), validate=True)
        return unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise _invalid(field, "malformed base64 in the data: URI", uri) from None


async def _fetch(state: HostingState, url: str, field: str) -> bytes:
    settings = state.settings
    fetcher = ob.SafeFetcher(allow_private_network=settings.allow_private_image_urls,
                             timeout=IMAGE_FETCH_TIMEOUT, max_response_bytes=settings.max_image_bytes,
                             user_agent="openbadges-server image fetcher")
    try:
        response = await anyio.to_thread.run_sync(lambda: fetcher.fetch(url, accept=_ACCEPT))
    except ob.OpenBadgesError as exc:  # blocked address, too large, timeout, connection failure
        raise _invalid(field, f"cannot fetch the image: {exc}", url) from None
    finally:
        fetcher.close()
    if response.status_code != 200:
        raise _invalid(field, f"fetching the image answered HTTP {response.status_code}", url)
    return response.body
