"""Migration 0015_badgekit_hierarchy: existing issuers become systems (no parent), existing badges system badges
(no program); it downgrades and upgrades again cleanly, with the data kept."""

from __future__ import annotations

from pathlib import Path

from conftest import run_on_connection, run_store
from sqlalchemy import text

from hosting import Settings
from hosting.app.demo import seed_demo
from hosting.storage.migrate import downgrade, migrate
from hosting.storage.store import HostingStore


def test_hierarchy_migration_round_trip(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"
    migrate(url, "0014_credly_badge_fields")
    migrate(url)  # seed_demo writes today's columns: upgrade from 0014, seed, then go down and up again

    async def _seed(store: HostingStore) -> None:
        await seed_demo(store.session, store.urls, store.keybox, slug="h")

    run_store(Settings(database_url=url, secret_key="h" * 32, base_url="http://h.example"), _seed)
    downgrade(url, "0014_credly_badge_fields")
    columns = run_on_connection(url, lambda c: [r[1] for r in c.execute(text("PRAGMA table_info(issuers)"))])
    assert "parent_id" not in columns and "badgekit_slug" not in columns
    migrate(url)
    issuers = run_on_connection(url, lambda c: c.execute(text(
        "SELECT slug, parent_id, badgekit_slug FROM issuers")).all())
    assert [tuple(r) for r in issuers] == [("h", None, None)]
    programs = run_on_connection(url, lambda c: c.execute(text(
        "SELECT DISTINCT program_id FROM badge_classes")).scalars().all())
    assert programs == [None]
    assert run_on_connection(url, lambda c: c.execute(text("SELECT count(*) FROM badgekit_programs")).scalar()) == 0
