"""The cold path's direct read (:mod:`hosting.public.rows`): the same row SQLAlchemy reads, every committed change
seen by the next read (no read snapshot outlives a request), and a failing direct path reads through."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker

from hosting.app.demo import DemoData
from hosting.app.settings import Settings
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine, immediate_transactions
from hosting.lib.http import strong_etag
from hosting.lib.urls import PublicUrls
from hosting.public.rows import AssertionRow, DirectReadFailed, StoredRows
from hosting.public.service import _ASSERTION_STATE, PublicReader, Revoked, Served
from hosting.storage.models import AssertionState, BadgeClass
from hosting.storage.store import Award, HostingStore


async def _core_row(engine: Any, public_id: str) -> AssertionRow:
    row = await _core_row_or_none(engine, public_id)
    assert row is not None
    return row


async def _core_row_or_none(engine: Any, public_id: str) -> AssertionRow | None:
    async with engine.connect() as conn:
        row = (await conn.execute(_ASSERTION_STATE, {"public_id": public_id})).first()
    return None if row is None else AssertionRow(*row)


def test_direct_read_is_sqlalchemys_row_and_sees_each_commit(database_url: str, settings: Settings,
                                                              demo: DemoData) -> None:
    async def _go() -> None:
        engine = create_engine(database_url)
        rows = StoredRows(database_url)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        urls, keybox = PublicUrls(settings.base_url), KeyBox(settings.secret_key)
        assert rows.direct
        try:
            with immediate_transactions():
                async with sessions() as session:
                    badge = (await session.execute(select(BadgeClass).where(BadgeClass.public_id == demo.badge_png))
                             ).scalar_one()
                    [made] = await HostingStore(session, urls, keybox).award(badge, [Award("rows@example.org")])
                    await session.commit()
            public_id = made.public_id
            first = await rows.get(public_id)
            assert first == await _core_row(engine, public_id)
            assert first is not None and first.state == AssertionState.ACTIVE
            assert first.document and first.document_etag == strong_etag(first.document)
            assert first.document_base == settings.base_url  # stored at issue, for this base URL

            with immediate_transactions():  # committed right after a direct read: the next one sees it
                async with sessions() as session:
                    store = HostingStore(session, urls, keybox)
                    await store.revoke(await store.get_assertion(public_id), "seen at once")
                    await session.commit()
            second = await rows.get(public_id)
            assert second == await _core_row(engine, public_id)
            assert second is not None and second.state == AssertionState.REVOKED
            assert second.revocation_reason == "seen at once" and second.revoked_at is not None

            assert await rows.get("no-such-assertion") is None
            assert await rows.get(demo.credential_di or "no-such-assertion") is None  # OB 3.0: not on this route
        finally:
            await rows.close()
            await engine.dispose()

    asyncio.run(_go())


def test_concurrent_direct_reads_each_get_their_own_row(database_url: str, demo: DemoData) -> None:
    """On PostgreSQL the reads of one turn of the event loop share a query: each still gets its own row."""
    ids = [demo.active, demo.revoked, demo.replaced, demo.signed, "no-such-assertion", demo.active,
           demo.credential_di or "no-such-assertion", demo.replacement]

    async def _go() -> None:
        engine = create_engine(database_url)
        rows = StoredRows(database_url)
        try:
            got = await asyncio.gather(*(rows.get(public_id) for public_id in ids * 4))
            expected = {public_id: await _core_row_or_none(engine, public_id) for public_id in ids}
            assert got == [expected[public_id] for public_id in ids * 4]
            assert expected[demo.active] is not None and expected["no-such-assertion"] is None
        finally:
            await rows.close()
            await engine.dispose()

    asyncio.run(_go())


def _unreachable(database_url: str, tmp: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite+aiosqlite:///{tmp}/missing.db"
    return url.set(host="127.0.0.1", port=1).render_as_string(hide_password=False)


def test_a_failing_direct_read_reads_through(database_url: str, settings: Settings, demo: DemoData,
                                             tmp_path: Any) -> None:
    async def _go() -> None:
        broken = StoredRows(_unreachable(database_url, str(tmp_path)))
        try:
            try:
                await broken.get(demo.active)
            except DirectReadFailed:
                pass
            else:
                raise AssertionError("an unreachable database must fail the direct read")
            engine = create_engine(database_url)
            try:
                reader = PublicReader(async_sessionmaker(engine), PublicUrls(settings.base_url), rows=broken)
                active = await reader.assertion(demo.active)
                assert isinstance(active, Served) and active.body == (await _core_row(engine, demo.active)).document
                assert isinstance(await reader.assertion(demo.revoked), Revoked)
            finally:
                await engine.dispose()
        finally:
            await broken.close()

    asyncio.run(_go())


def test_reading_many_distinct_ids_keeps_the_cache_within_its_size(database_url: str, settings: Settings,
                                                                    demo: DemoData) -> None:
    async def _go() -> None:
        engine = create_engine(database_url)
        reader = PublicReader(async_sessionmaker(engine), PublicUrls(settings.base_url), cache_seconds=60,
                              cache_entries=3, rows=StoredRows(database_url))
        ids = [demo.active, demo.signed, demo.svg_assertion, demo.revoked, demo.expired, demo.replacement]
        try:
            for public_id in ids:
                await reader.assertion(public_id)
                assert len(reader._cache) <= 3
                assert public_id in reader._cache  # the newest read is kept, the oldest make room
        finally:
            await reader.close()
            await engine.dispose()

    asyncio.run(_go())


def test_many_rows_at_once_are_the_rows_read_one_by_one(database_url: str, demo: DemoData) -> None:
    """The cache's background refresh reads many ids in one go: the same rows as one by one, the unknown and the
    OB 3.0 ids left out."""
    ids = [demo.active, demo.revoked, demo.replaced, demo.signed, "no-such-assertion",
           demo.credential_di or "no-such-assertion", demo.replacement]

    async def _go() -> None:
        rows = StoredRows(database_url)
        try:
            one_by_one = {public_id: await rows.get(public_id) for public_id in ids}
            many = await rows.get_many(ids * 80)  # more ids than one SQLite statement takes
            assert many == {public_id: row for public_id, row in one_by_one.items() if row is not None}
            assert "no-such-assertion" not in many and demo.active in many
        finally:
            await rows.close()

    asyncio.run(_go())


def test_cached_entries_are_invisible_to_the_garbage_collector(database_url: str, settings: Settings,
                                                               demo: DemoData) -> None:
    """A full cache must not lengthen the cyclic collector's full collections (they walked two objects per entry:
    the p99 of a host reading many distinct badges): after one collection no entry is tracked, and what the cache
    answers is what the database read answers, for each kind of state."""
    import gc

    async def _go() -> None:
        engine = create_engine(database_url)
        cached = PublicReader(async_sessionmaker(engine), PublicUrls(settings.base_url), cache_seconds=60,
                              rows=StoredRows(database_url))
        uncached = PublicReader(async_sessionmaker(engine), PublicUrls(settings.base_url))
        ids = [demo.active, demo.signed, demo.revoked, demo.replaced, demo.replacement]
        try:
            first = [await cached.assertion(public_id) for public_id in ids]
            assert {type(value).__name__ for value in first} == {"Served", "Revoked", "Redirect"}
            gc.collect()
            assert len(cached._cache) == len(ids)
            assert not any(gc.is_tracked(entry) for entry in cached._cache.values())
            for public_id, value in zip(ids, first, strict=True):
                again = await cached.assertion(public_id)  # from the cache
                assert again == value == await uncached.assertion(public_id)
        finally:
            await cached.close()
            await engine.dispose()

    asyncio.run(_go())
