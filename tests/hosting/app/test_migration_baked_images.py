"""Migration 0009_baked: the baked images an older version stored (on a public GET) are deleted with their
columns; the artwork, the assertions and their baked images (now made on request) are unharmed. The
downgrade restores the columns (empty)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import BASE_URL, SECRET, empty_postgres, run_on_connection, run_store
from litestar.testing import TestClient
from sqlalchemy import DateTime, bindparam, inspect, text

import openbadges_core as ob
from hosting import Settings, create_app
from hosting.app.demo import seed_demo
from hosting.storage.migrate import downgrade, migrate
from hosting.storage.store import HostingStore

BEFORE = "0008_earners"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database of each backend, for this test only."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    with empty_postgres("obmig") as url:
        yield url


def _columns(url: str, table: str) -> set[str]:
    return set(run_on_connection(url, lambda c: {col["name"] for col in inspect(c).get_columns(table)}, migrating=True))


def test_stored_baked_images_are_dropped_and_baking_still_works(fresh_url: str) -> None:
    settings = Settings(database_url=fresh_url, base_url=BASE_URL, secret_key=SECRET, access_log=False)
    migrate(fresh_url)
    demo = run_store(settings, lambda store: seed_demo(store.session, store.urls, store.keybox))
    downgrade(fresh_url, BEFORE)
    assert "baked_image_id" in _columns(fresh_url, "assertions")

    def _store_a_baked_image(c: Any) -> tuple[int, int]:  # what the old public GET wrote
        c.execute(text("INSERT INTO images (public_id, content_type, data, etag, source_etag, created_at) "
                       "VALUES ('old-baked-image-000001', 'image/png', :data, '\"x\"', '\"doc\"', :now)")
                  .bindparams(bindparam("now", type_=DateTime(timezone=True))),
                  {"data": b"\x89PNG old", "now": datetime.now(UTC)})
        baked_id = c.execute(text("SELECT id FROM images WHERE source_etag IS NOT NULL")).scalar_one()
        c.execute(text("UPDATE assertions SET baked_image_id = :b WHERE public_id = :p"),
                  {"b": baked_id, "p": demo.active})
        return baked_id, c.execute(text("SELECT count(*) FROM images")).scalar_one()

    baked_id, images_before = run_on_connection(fresh_url, _store_a_baked_image, migrating=True)
    migrate(fresh_url)
    assert "baked_image_id" not in _columns(fresh_url, "assertions")
    assert "source_etag" not in _columns(fresh_url, "images")
    left = run_on_connection(fresh_url, lambda c: c.execute(text("SELECT id FROM images")).scalars().all(), migrating=True)
    assert baked_id not in left and len(left) == images_before - 1  # the artwork stays

    async def _active(store: HostingStore) -> str | None:
        return (await store.get_assertion(demo.active)).state

    assert run_store(settings, _active) == "active"
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        document = client.get(f"/public/assertions/{demo.active}")
        image = client.get(f"/public/assertions/{demo.active}/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert ob.unbake(image.content).payload == document.text

    downgrade(fresh_url, BEFORE)  # and back: the columns return, empty
    assert "source_etag" in _columns(fresh_url, "images")
    assert run_on_connection(fresh_url, lambda c: c.execute(
        text("SELECT count(*) FROM assertions WHERE baked_image_id IS NOT NULL")).scalar_one(), migrating=True) == 0
