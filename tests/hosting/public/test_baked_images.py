"""Baked images made on request (hosting/public/baking.py): the cache answers only for the same payload and the
same artwork, re-bakes when either changes, and stays within its byte budget."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select

import openbadges_core as ob
from hosting import Settings
from hosting.app.demo import DemoData
from hosting.lib.db import create_engine
from hosting.public.baking import BakedImages, ImageRef
from hosting.storage.models import BadgeClass, StoredImage

NOW = datetime(2026, 12, 1, tzinfo=UTC)


async def _bake_calls(settings: Settings, demo: DemoData, max_bytes: int,
                      steps: list[tuple[str, str, str | None]]) -> tuple[list[bytes], int]:
    """Run ``(key, payload, artwork etag override)`` steps on one cache; the baked bytes and how many times
    the artwork's bytes were read (one read per bake)."""
    engine = create_engine(settings.database_url)
    reads: list[str] = []

    def _count(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if "images.data" in statement:
            reads.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", _count)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(
                select(StoredImage.id, StoredImage.etag, StoredImage.content_type, StoredImage.created_at)
                .join(BadgeClass, BadgeClass.image_id == StoredImage.id)
                .where(BadgeClass.public_id == demo.badge_png))).one()
        cache = BakedImages(engine, max_bytes=max_bytes)
        out = []
        for key, payload, etag in steps:
            source = ImageRef(row.id, etag or row.etag, row.content_type, row.created_at)
            out.append((await cache.image(key, payload, source, NOW)).data)
        return out, len(reads)
    finally:
        await engine.dispose()


def test_the_same_payload_and_artwork_are_baked_once(settings: Settings, demo: DemoData) -> None:
    baked, reads = asyncio.run(_bake_calls(settings, demo, 10_000_000, [
        ("a", "https://x.example/a", None), ("a", "https://x.example/a", None)]))
    assert reads == 1 and baked[0] == baked[1]
    assert ob.unbake(baked[0]).payload == "https://x.example/a"


@pytest.mark.parametrize("change", ["payload", "artwork"])
def test_a_changed_payload_or_artwork_is_baked_again(settings: Settings, demo: DemoData, change: str) -> None:
    second = ("a", "https://x.example/b", None) if change == "payload" else ("a", "https://x.example/a", '"new"')
    baked, reads = asyncio.run(_bake_calls(settings, demo, 10_000_000, [("a", "https://x.example/a", None), second]))
    assert reads == 2
    assert ob.unbake(baked[1]).payload == second[1]


def test_the_cache_keeps_within_its_byte_budget(settings: Settings, demo: DemoData) -> None:
    one, _ = asyncio.run(_bake_calls(settings, demo, 10_000_000, [("a", "https://x.example/a", None)]))
    budget = len(one[0]) + len(one[0]) // 2  # room for one image, not two
    _, reads = asyncio.run(_bake_calls(settings, demo, budget, [
        ("a", "https://x.example/a", None), ("b", "https://x.example/b", None),  # b pushes a out
        ("b", "https://x.example/b", None), ("a", "https://x.example/a", None)]))
    assert reads == 3  # a, b, then a again (b was still cached)
