"""Baked images (the badge artwork with an assertion or credential inside), made on request and kept in a
bounded in-process cache: a public GET never writes them to the database.

Why on the fly rather than at issue: a baked image is a full copy of the badge artwork (up to
``OPENBADGES_MAX_IMAGE_BYTES``), so baking at issue would store one copy per assertion (a 10,000-item batch
of a 1 MB badge: 10 GB) and re-bake them all when the artwork changes. Baking a PNG costs tens of
microseconds (one chunk inserted); an SVG costs milliseconds (parsed and re-serialised), which the cache
absorbs. The cache entry is checked against the payload and the artwork's ETag on every request, so a
changed document or artwork is baked again, never served stale; baking is deterministic, so the ETag of a
baked image is the same in every process.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import anyio
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

import openbadges_core as ob
from hosting.lib.errors import Unavailable
from hosting.lib.http import RawResponse, RequestInfo, cached_response, image_headers, strong_etag
from hosting.lib.times import aware
from hosting.storage.models import StoredImage

__all__ = ["DEFAULT_BAKED_CACHE_BYTES", "BakedImages", "ImageBytes", "ImageRef", "image_response"]

DEFAULT_BAKED_CACHE_BYTES = 64 * 1024 * 1024

_IMAGE_DATA = select(StoredImage.data, StoredImage.etag).where(StoredImage.id == bindparam("image_id"))


@dataclass(frozen=True, slots=True)
class ImageBytes:
    data: bytes
    content_type: str
    etag: str
    last_modified: datetime


def image_response(info: RequestInfo, image: ImageBytes, max_age: int) -> RawResponse:
    """``image`` as the answer to a public GET/HEAD: cache-validated, with the image headers, no ``Vary: Accept``."""
    return cached_response(info, image.data, media_type=image.content_type, etag=image.etag,
                           last_modified=image.last_modified, max_age=max_age, vary_accept=False,
                           extra_headers=image_headers(image.content_type))


@dataclass(frozen=True, slots=True)
class ImageRef:
    """The artwork to bake into: its row id, ETag, type and time (its bytes are read only to bake)."""

    id: int
    etag: str
    content_type: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class _Entry:
    payload_etag: str
    source_etag: str
    image: ImageBytes


class BakedImages:
    """Baked images by assertion public id, least recently used first out past ``max_bytes``."""

    def __init__(self, engine: AsyncEngine, *, max_bytes: int = DEFAULT_BAKED_CACHE_BYTES) -> None:
        self._engine = engine
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    async def image(self, key: str, payload: str, source: ImageRef, changed_at: datetime) -> ImageBytes:
        """``source`` with ``payload`` baked in (``key``: the assertion's public id); ``changed_at`` is when
        the assertion last changed (the image's ``Last-Modified`` is the later of it and the artwork's)."""
        payload_etag = strong_etag(payload.encode())
        hit = self._entries.get(key)
        if hit is not None and hit.payload_etag == payload_etag and hit.source_etag == source.etag:
            self._entries.move_to_end(key)
            return hit.image
        async with self._engine.connect() as conn:
            row = (await conn.execute(_IMAGE_DATA, {"image_id": source.id})).first()
        if row is None:  # the artwork was replaced between the caller's read and this one (rare): retry
            raise Unavailable("the badge image is being replaced; retry the request")
        data = await anyio.to_thread.run_sync(ob.bake, row.data, payload)
        image = ImageBytes(data, source.content_type, strong_etag(data), max(aware(changed_at), aware(source.created_at)))
        self._keep(key, _Entry(payload_etag, row.etag, image))
        return image

    def _keep(self, key: str, entry: _Entry) -> None:
        size = len(entry.image.data)
        if size > self._max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.image.data)
        while self._entries and self._bytes + size > self._max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= len(dropped.image.data)
        self._entries[key] = entry
        self._bytes += size
