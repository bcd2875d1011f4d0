"""Reads behind the public endpoints: resolve state (active / revoked / replaced; a pending or rejected
assertion is unpublished, answered as unknown), the documents stored at issue (rendered on the fly, never
written, when missing or made for another base URL), images, and the baked assertion image (baked on request
and cached in memory, never written: :mod:`hosting.public.baking`)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hosting.lib.errors import NotFound
from hosting.lib.http import http_date, strong_etag
from hosting.lib.ids import is_public_id
from hosting.lib.urls import PublicUrls
from hosting.public import documents as docs
from hosting.public.baking import DEFAULT_BAKED_CACHE_BYTES, BakedImages, ImageBytes, ImageRef
from hosting.public.rows import AssertionRow, DirectReadFailed, StoredRows
from hosting.public.stored import render_document
from hosting.storage.models import (
    Assertion,
    AssertionState,
    BadgeClass,
    Issuer,
    SigningKey,
    StoredImage,
    utcnow,
)

__all__ = ["ImageBytes", "PublicReader", "Redirect", "Revoked", "Served", "newest_replacement"]

MAX_REPLACEMENT_HOPS = 64


async def newest_replacement(session: AsyncSession, next_id: int | None) -> str | None:
    """The public id of the end of a replacement chain that goes on at ``next_id`` (what a replaced assertion
    redirects to: the first one not replaced, at most :data:`MAX_REPLACEMENT_HOPS` along, a loop cut); ``None``
    when ``next_id`` names nothing."""
    seen: set[int] = set()
    target: str | None = None
    while next_id is not None and next_id not in seen and len(seen) < MAX_REPLACEMENT_HOPS:
        seen.add(next_id)
        row = (await session.execute(select(Assertion.public_id, Assertion.state, Assertion.replaced_by_id)
                                     .where(Assertion.id == next_id))).first()
        if row is None:
            break
        target = row.public_id
        next_id = row.replaced_by_id if row.state == AssertionState.REPLACED else None
    return target

_ROW_COLUMNS = (  # the columns of an AssertionRow, in its order
    Assertion.id, Assertion.state, Assertion.document, Assertion.document_etag, Assertion.document_base,
    Assertion.updated_at, Assertion.revocation_reason, Assertion.revoked_at, Assertion.replaced_by_id,
)

_ASSERTION_STATE_MANY = select(Assertion.public_id, *_ROW_COLUMNS).where(
    Assertion.public_id.in_(bindparam("ids", expanding=True)), Assertion.format == "ob2")

_ASSERTION_STATE = select(*_ROW_COLUMNS).where(Assertion.public_id == bindparam("public_id"),
                                               Assertion.format == "ob2")


_BAKE_SOURCE = (
    select(Assertion.jws, Assertion.verification_type, StoredImage.id.label("image_id"), StoredImage.etag,
           StoredImage.content_type, StoredImage.created_at)
    .join(BadgeClass, BadgeClass.id == Assertion.badge_class_id)
    .join(StoredImage, StoredImage.id == BadgeClass.image_id)
    .where(Assertion.public_id == bindparam("public_id"))
)


def _stored_query(model: Any) -> Any:
    query = select(model.id, model.document, model.document_etag, model.document_base, model.updated_at)
    if model is not Issuer:
        query = query.join(Issuer, Issuer.id == model.issuer_id)
    return query.where(model.public_id == bindparam("public_id"))


_STORED = {model: _stored_query(model) for model in (Issuer, BadgeClass, SigningKey)}


@dataclass(frozen=True, slots=True)
class Served:
    body: bytes
    etag: str
    last_modified: datetime
    last_modified_http: str = ""

    def __post_init__(self) -> None:
        if not self.last_modified_http:
            object.__setattr__(self, "last_modified_http", http_date(self.last_modified))


@dataclass(frozen=True, slots=True)
class Redirect:
    public_id: str


@dataclass(frozen=True, slots=True)
class Revoked:
    public_id: str
    reason: str | None
    revoked_at: datetime | None


# A cache entry is a flat tuple of atoms, ``(until, kind, *fields)``, never one of the objects above: the cyclic
# garbage collector untracks such a tuple after the first collection it survives, so a full cache adds nothing to
# the full collections (which otherwise walked two objects per entry: a 50 ms pause with 50,000 entries cached,
# the p99 of a host reading many distinct badges).
_Entry = tuple[Any, ...]
_SERVED, _REDIRECT, _REVOKED = "served", "redirect", "revoked"


def _pack(until: float, value: Served | Redirect | Revoked) -> _Entry:
    if isinstance(value, Served):
        return (until, _SERVED, value.body, value.etag, value.last_modified, value.last_modified_http)
    if isinstance(value, Redirect):
        return (until, _REDIRECT, value.public_id)
    return (until, _REVOKED, value.public_id, value.reason, value.revoked_at)


def _unpack(entry: _Entry) -> Served | Redirect | Revoked:
    kind = entry[1]
    if kind == _SERVED:
        return Served(*entry[2:])
    if kind == _REDIRECT:
        return Redirect(entry[2])
    return Revoked(*entry[2:])


def _not_found(kind: str) -> NotFound:
    return NotFound(f"no {kind} with that id")


class PublicReader:
    """Public, read-mostly access to the store. Every method raises :class:`NotFound`."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], urls: PublicUrls, *,
                 cache_seconds: float = 0.0, cache_entries: int = 100_000,
                 baked_cache_bytes: int = DEFAULT_BAKED_CACHE_BYTES, rows: StoredRows | None = None) -> None:
        self._sessions = sessionmaker
        self._rows = rows if rows is not None and rows.direct else None
        self.baked = BakedImages(sessionmaker.kw["bind"], max_bytes=baked_cache_bytes)
        self._urls = urls
        self._cache_seconds = cache_seconds
        self._cache_entries = cache_entries
        self._cache: dict[str, _Entry] = {}
        self._stale: set[str] = set()
        self._refresher: asyncio.Task[None] | None = None
        # Reads in flight must not cache what they read before a forget(): each read notes the epoch it began
        # in, and a forget bumps it (per id while reads are in flight, or for every id).
        self._epoch = 0
        self._cleared_at = 0
        self._forgotten: dict[str, int] = {}
        # The cached redirects by their target: a change to the target (replaced again, revoked) drops them too.
        self._redirects_to: dict[str, set[str]] = {}
        self._reads = 0
        self._guard: Callable[[], bool] | None = None

    @property
    def cache_seconds(self) -> float:
        return self._cache_seconds

    def set_cache_guard(self, guard: Callable[[], bool] | None) -> None:
        """``guard()`` false: answer from the database, not the cache (the signal that tells this process about
        other processes' changes is down: :mod:`hosting.public.invalidation`)."""
        self._guard = guard

    def forget(self, public_id: str | None = None) -> None:
        """Drop one (or every) assertion from the in-process cache, and keep reads already in flight from
        caching what they read before. Called after a write in this process has COMMITTED
        (:mod:`hosting.app.transaction`), so no read can cache the state from before the write any more."""
        self._epoch += 1
        if public_id is None or len(self._forgotten) >= self._cache_entries:
            self._cache.clear()
            self._redirects_to.clear()
            self._cleared_at = self._epoch
            self._forgotten.clear()
        else:
            self._cache.pop(public_id, None)
            for source in self._redirects_to.pop(public_id, ()):
                self._drop_redirect(source, public_id)
            if self._reads:
                self._forgotten[public_id] = self._epoch

    def _unchanged_since(self, public_id: str, epoch: int) -> bool:
        """No :meth:`forget` of ``public_id`` (or of everything) since ``epoch``."""
        return self._cleared_at <= epoch and self._forgotten.get(public_id, 0) <= epoch

    def _read_started(self) -> int:
        self._reads += 1
        return self._epoch

    def _read_ended(self) -> None:
        self._reads -= 1
        if not self._reads:  # no read can be older than the forgets noted: forget them
            self._forgotten.clear()

    # --- assertions -------------------------------------------------------------------------------------
    async def assertion(self, public_id: str) -> Served | Redirect | Revoked:
        """The assertion's state, from a short-lived in-process cache when it is enabled
        (``OPENBADGES_PUBLIC_CACHE_SECONDS``; a change committed by another process evicts it within 1 s:
        :mod:`hosting.public.invalidation`).

        An entry past its time is still answered while one background task re-reads the stale entries in
        batches (stale-while-revalidate, at most one extra period), so hot assertions never wait for the
        database.
        """
        ttl = self._cache_seconds
        if ttl <= 0 or (self._guard is not None and not self._guard()):
            return await self._assertion(public_id)
        now = time.monotonic()
        hit = self._cache.get(public_id)
        if hit is not None:
            until = hit[0]
            if until > now:
                return _unpack(hit)
            if until + ttl > now:
                self._schedule_refresh(public_id)
                return _unpack(hit)
        epoch = self._read_started()
        try:
            result = await self._assertion(public_id)
            # Not kept when a write committed meanwhile, to the assertion or to the one a redirect names.
            if self._unchanged_since(public_id, epoch) and not (
                    isinstance(result, Redirect) and not self._unchanged_since(result.public_id, epoch)):
                self._remember(public_id, result, now)
        finally:
            self._read_ended()
        return result

    def _remember(self, public_id: str, result: Served | Redirect | Revoked, now: float) -> None:
        cache = self._cache
        if public_id not in cache and len(cache) >= self._cache_entries:
            # Full: drop what is past serving and, up to a tenth of the size, the oldest (insertion order): reading
            # many distinct ids then scans the cache once per tenth of its size, not once per read.
            tenth = max(1, self._cache_entries // 10)
            victims = [k for k, entry in cache.items() if entry[0] + self._cache_seconds <= now]
            if len(victims) < tenth:
                victims += itertools.islice(cache, tenth - len(victims))
            for key in victims:
                cache.pop(key, None)
        if isinstance(result, Redirect):
            if len(self._redirects_to) >= self._cache_entries:  # links of evicted entries pile up: start again
                for sources in self._redirects_to.values():
                    for source in sources:
                        self._drop_redirect(source)
                self._redirects_to.clear()
            self._redirects_to.setdefault(result.public_id, set()).add(public_id)
        # Jitter (80-120% of the period) so entries cached together do not all refresh at once.
        cache[public_id] = _pack(now + self._cache_seconds * (0.8 + 0.4 * random.random()), result)

    def _drop_redirect(self, source: str, target: str | None = None) -> None:
        """Drop ``source`` from the cache if it is a redirect (to ``target``, when given)."""
        hit = self._cache.get(source)
        if hit is not None and hit[1] == _REDIRECT and target in (None, hit[2]):
            del self._cache[source]

    def _schedule_refresh(self, public_id: str) -> None:
        self._stale.add(public_id)
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.get_running_loop().create_task(self._refresh_stale())

    async def _refresh_stale(self) -> None:
        """Re-read stale cache entries in batches (one SELECT for up to 500 ids), off the request path."""
        while self._stale:
            batch = list(itertools.islice(self._stale, 500))
            self._stale.difference_update(batch)
            epoch = self._read_started()
            try:
                await self._refresh(batch, epoch)
            finally:
                self._read_ended()
            await asyncio.sleep(0.01)  # let requests run between batches (and let more stale ids gather)

    async def _refresh(self, batch: list[str], epoch: int) -> None:
        try:
            rows = await self._assertion_rows(batch)
        except Exception:  # noqa: BLE001 - database down: stop serving the old copies
            rows = {}
        now = time.monotonic()
        fresh: set[str] = set()
        for public_id, row in rows.items():
            if not self._unchanged_since(public_id, epoch):  # a write committed meanwhile
                continue
            if row.state == AssertionState.ACTIVE and row.document is not None \
                    and row.document_base == self._urls.base and row.document_etag:
                self._remember(public_id, Served(row.document, row.document_etag, row.updated_at), now)
                fresh.add(public_id)
            elif row.state == AssertionState.REVOKED:
                self._remember(public_id, Revoked(public_id, row.revocation_reason, row.revoked_at), now)
                fresh.add(public_id)
        for public_id in batch:  # replaced, to be re-rendered, gone or just changed: read in full next time
            if public_id not in fresh:
                self._cache.pop(public_id, None)

    async def close(self) -> None:
        """Release the direct read path's connections (app shutdown)."""
        if self._rows is not None:
            await self._rows.close()

    async def _assertion_rows(self, public_ids: list[str]) -> dict[str, AssertionRow]:
        """The rows of many assertions (the background refresh), through the driver when the backend allows, else
        (or when that fails) one Core SELECT on a pooled connection."""
        if self._rows is not None:
            with contextlib.suppress(DirectReadFailed):
                return await self._rows.get_many(public_ids)
        async with self._sessions.kw["bind"].connect() as conn:
            rows = (await conn.execute(_ASSERTION_STATE_MANY, {"ids": public_ids})).all()
        return {row[0]: AssertionRow(*row[1:]) for row in rows}

    async def _assertion_row(self, public_id: str) -> AssertionRow | None:
        """The cold path: one indexed read of the stored bytes, through the driver when the backend allows
        (:mod:`hosting.public.rows`), else (or when that fails) one Core SELECT on a pooled connection."""
        if self._rows is not None:
            with contextlib.suppress(DirectReadFailed):
                return await self._rows.get(public_id)
        async with self._sessions.kw["bind"].connect() as conn:
            row = (await conn.execute(_ASSERTION_STATE, {"public_id": public_id})).first()
        return None if row is None else AssertionRow(*row)

    async def _assertion(self, public_id: str) -> Served | Redirect | Revoked:
        if not is_public_id(public_id):
            raise _not_found("assertion")
        row = await self._assertion_row(public_id)
        if row is None or row.state in AssertionState.UNPUBLISHED:  # pending or rejected: not published
            raise _not_found("assertion")
        if row.state == AssertionState.ACTIVE and row.document is not None \
                and row.document_base == self._urls.base and row.document_etag:
            return Served(row.document, row.document_etag, row.updated_at)
        if row.state == AssertionState.REVOKED:
            return Revoked(public_id, row.revocation_reason, row.revoked_at)
        async with self._sessions() as session:
            if row.state == AssertionState.REPLACED:
                return await self._newest(session, row.replaced_by_id)
            return await self._render_assertion(session, row.id)

    async def _newest(self, session: AsyncSession, next_id: int | None) -> Redirect:
        target = await newest_replacement(session, next_id)
        if target is None:
            raise _not_found("assertion")
        return Redirect(target)

    async def _render_assertion(self, session: AsyncSession, assertion_id: int) -> Served:
        """An active row without a document for the current base URL (issued under another base URL, or
        before documents were stored at issue): rendered on the fly and served, never written here."""
        assertion = await session.get_one(Assertion, assertion_id)
        badge_public_id = (
            await session.execute(select(BadgeClass.public_id).where(BadgeClass.id == assertion.badge_class_id))
        ).scalar_one()
        key_public_id = None
        if assertion.key_id is not None:
            key_public_id = (
                await session.execute(select(SigningKey.public_id).where(SigningKey.id == assertion.key_id))
            ).scalar_one()
        body = docs.assertion_document(assertion, badge_public_id, self._urls, key_public_id=key_public_id)
        return Served(body, strong_etag(body), assertion.updated_at)

    async def signed_jws(self, public_id: str) -> Served | Redirect | Revoked | None:
        """A signed assertion's compact JWS (its state as :meth:`assertion`); ``None`` for a hosted one."""
        state = await self.assertion(public_id)
        if not isinstance(state, Served):
            return state
        async with self._sessions.kw["bind"].connect() as conn:
            row = (await conn.execute(
                select(Assertion.jws, Assertion.verification_type).where(Assertion.public_id == public_id))).first()
        if row is None or row.verification_type != "signed" or not row.jws:
            return None
        body = row.jws.encode()
        return Served(body, strong_etag(body), state.last_modified, state.last_modified_http)

    async def baked_image(self, public_id: str) -> ImageBytes | Redirect | Revoked:
        """The badge image with this assertion baked in (its JWS when signed, else its document): baked on
        request and kept in memory (:class:`~hosting.public.baking.BakedImages`), never written."""
        state = await self.assertion(public_id)
        if not isinstance(state, Served):
            return state
        async with self._sessions.kw["bind"].connect() as conn:
            row = (await conn.execute(_BAKE_SOURCE, {"public_id": public_id})).first()
        if row is None:
            raise _not_found("assertion")
        payload: str = row.jws if row.verification_type == "signed" and row.jws else state.body.decode()
        source = ImageRef(row.image_id, row.etag, row.content_type, row.created_at)
        return await self.baked.image(public_id, payload, source, state.last_modified)

    # --- issuers, badges, keys ------------------------------------------------------------------------
    async def _stored(self, model: Any, public_id: str, label: str) -> Served | int:
        """An issuer's, badge class's or key's stored document (one Core SELECT, no ORM object) when it is current
        for this base URL; else the row's id, to render it from. :class:`NotFound` when there is no such row (a
        badge class or key must belong to an issuer)."""
        async with self._sessions.kw["bind"].connect() as conn:
            row = (await conn.execute(_STORED[model], {"public_id": public_id})).first()
        if row is None:
            raise _not_found(label)
        if row.document is not None and row.document_base == self._urls.base and row.document_etag:
            return Served(row.document, row.document_etag, row.updated_at)
        return int(row.id)

    async def _render(self, model: Any, row_id: int, label: str) -> Served:
        """Render a document that is not stored for this base URL (:mod:`hosting.public.stored`); never written
        here: no write in a GET."""
        async with self._sessions() as session:
            obj = await session.get(model, row_id)
            if obj is None:  # deleted meanwhile
                raise _not_found(label)
            body = await render_document(session, obj, self._urls)
        return Served(body, strong_etag(body), obj.updated_at)

    async def issuer(self, public_id: str) -> Served:
        return await self._stored_document(Issuer, public_id, "issuer")

    async def badge(self, public_id: str) -> Served:
        return await self._stored_document(BadgeClass, public_id, "badge class")

    async def key(self, public_id: str) -> Served:
        return await self._stored_document(SigningKey, public_id, "key")

    async def _stored_document(self, model: Any, public_id: str, label: str) -> Served:
        """Serve an issuer's, badge class's or key's document: the stored bytes, else rendered now."""
        if not is_public_id(public_id):
            raise _not_found(label)
        stored = await self._stored(model, public_id, label)
        if isinstance(stored, Served):
            return stored
        return await self._render(model, stored, label)

    async def revocation_list(self, issuer_public_id: str) -> Served:
        if not is_public_id(issuer_public_id):
            raise _not_found("issuer")
        async with self._sessions() as session:
            issuer_row = (
                await session.execute(select(Issuer.id).where(Issuer.public_id == issuer_public_id))
            ).first()
            if issuer_row is None:
                raise _not_found("issuer")
            rows = (
                await session.execute(
                    select(Assertion.public_id, Assertion.revocation_reason, Assertion.revoked_at)
                    .where(Assertion.issuer_id == issuer_row.id, Assertion.state == AssertionState.REVOKED,
                           Assertion.format == "ob2")
                    .order_by(Assertion.id)
                )
            ).all()
            body = docs.revocation_list_document(
                issuer_public_id, [(r.public_id, r.revocation_reason) for r in rows], self._urls
            )
            stamps = [r.revoked_at for r in rows if r.revoked_at is not None]
            last = max(stamps) if stamps else None
            return Served(body, strong_etag(body), last or utcnow())

    async def issuer_image(self, public_id: str) -> ImageBytes:
        return await self._image(Issuer, public_id, "issuer")

    async def badge_image(self, public_id: str) -> ImageBytes:
        return await self._image(BadgeClass, public_id, "badge class")

    async def _image(self, model: Any, public_id: str, kind: str) -> ImageBytes:
        if not is_public_id(public_id):
            raise _not_found(kind)
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(StoredImage.data, StoredImage.content_type, StoredImage.etag, StoredImage.created_at)
                    .join(model, model.image_id == StoredImage.id)
                    .where(model.public_id == public_id)
                )
            ).first()
            if row is None:
                raise _not_found(f"{kind} image")
            return ImageBytes(row.data, row.content_type, row.etag, row.created_at)
