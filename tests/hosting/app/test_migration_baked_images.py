"""Migration 0009_baked: the baked images an older version stored (on a public GET) are deleted with their
columns; the artwork, the assertions and their baked images (now made on request) are unharmed. The
downgrade restores the columns (empty)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conftest import BASE_URL, SECRET, run_on_connection, run_store, table_columns
from litestar.testing import TestClient
from sqlalchemy import DateTime, bindparam, text

import openbadges_core as ob
from hosting import Settings, create_app
from hosting.app.demo import seed_demo
from hosting.storage.migrate import downgrade, migrate
from hosting.storage.store import HostingStore

BEFORE = "0008_earners"


def test_stored_baked_images_are_dropped_and_baking_still_works(empty_database_url: str) -> None:
    settings = Settings(database_url=empty_database_url, base_url=BASE_URL, secret_key=SECRET, access_log=False)
    migrate(empty_database_url)
    demo = run_store(settings, lambda store: seed_demo(store.session, store.urls, store.keybox))
    downgrade(empty_database_url, BEFORE)
    assert "baked_image_id" in table_columns(empty_database_url, "assertions")

    def _store_a_baked_image(c: Any) -> tuple[int, int]:  # what the old public GET wrote
        c.execute(text("INSERT INTO images (public_id, content_type, data, etag, source_etag, created_at) "
                       "VALUES ('old-baked-image-000001', 'image/png', :data, '\"x\"', '\"doc\"', :now)")
                  .bindparams(bindparam("now", type_=DateTime(timezone=True))),
                  {"data": b"\x89PNG old", "now": datetime.now(UTC)})
        baked_id = c.execute(text("SELECT id FROM images WHERE source_etag IS NOT NULL")).scalar_one()
        c.execute(text("UPDATE assertions SET baked_image_id = :b WHERE public_id = :p"),
                  {"b": baked_id, "p": demo.active})
        return baked_id, c.execute(text("SELECT count(*) FROM images")).scalar_one()

    baked_id, images_before = run_on_connection(empty_database_url, _store_a_baked_image, migrating=True)
    migrate(empty_database_url)
    assert "baked_image_id" not in table_columns(empty_database_url, "assertions")
    assert "source_etag" not in table_columns(empty_database_url, "images")
    left = run_on_connection(empty_database_url, lambda c: c.execute(text("SELECT id FROM images")).scalars().all(), migrating=True)
    assert baked_id not in left and len(left) == images_before - 1  # the artwork stays

    async def _active(store: HostingStore) -> str | None:
        return (await store.get_assertion(demo.active)).state

    assert run_store(settings, _active) == "active"
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        document = client.get(f"/public/assertions/{demo.active}")
        image = client.get(f"/public/assertions/{demo.active}/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert ob.unbake(image.content).payload == document.text

    downgrade(empty_database_url, BEFORE)  # and back: the columns return, empty
    assert "source_etag" in table_columns(empty_database_url, "images")
    assert run_on_connection(empty_database_url, lambda c: c.execute(
        text("SELECT count(*) FROM assertions WHERE baked_image_id IS NOT NULL")).scalar_one(), migrating=True) == 0
