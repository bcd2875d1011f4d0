"""Migration 0008_earners: existing rows get ``state_updated_at`` from ``updated_at``; it downgrades cleanly (on
SQLite by a table copy of ``assertions`` that keeps every row and every reference to them). Migration 0020: claim
codes unique per badge class (SQLite and PostgreSQL), its downgrade refused while two badge classes share a code."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import run_on_connection, table_columns
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hosting.app.demo import seed_demo
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine
from hosting.lib.urls import PublicUrls
from hosting.storage.migrate import downgrade, migrate


def test_upgrade_fills_state_updated_at_from_updated_at(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    _seed(url)
    run_on_connection(url, lambda c: c.execute(text(
        "INSERT INTO notification_outbox (kind, assertion_id, recipient, context, token, status, attempts, "
        "next_attempt_at, created_at) SELECT 'issued', MIN(id), 'e@example.org', '{}', 't', 'queued', 0, "
        "'2026-01-01 00:00:00', '2026-01-01 00:00:00' FROM assertions")))
    queued = run_on_connection(url, lambda c: c.execute(text("SELECT assertion_id FROM notification_outbox")).all())
    assertions = run_on_connection(url, lambda c: c.execute(text("SELECT id, public_id FROM assertions")).all())
    downgrade(url, "0007_users_oauth")
    assert "claim_code_id" not in table_columns(url, "assertions")
    # The table copy's DROP TABLE runs no ON DELETE action (SET NULL here): foreign keys are off while migrating.
    assert run_on_connection(url, lambda c: c.execute(text("SELECT assertion_id FROM notification_outbox")).all()) \
        == queued != [(None,)]
    assert run_on_connection(url, lambda c: c.execute(text("SELECT id, public_id FROM assertions")).all()) \
        == assertions
    run_on_connection(url, lambda c: c.execute(text("UPDATE assertions SET updated_at = '2026-02-03 04:05:06.000000'")))
    migrate(url, "0008_earners")
    rows = run_on_connection(url, lambda c: c.execute(text(
        "SELECT state_updated_at, updated_at, recipient_name_shown, claim_code_id FROM assertions")).all())
    assert rows and all(r[0] == r[1] == "2026-02-03 04:05:06.000000" for r in rows)
    assert all(r[2] in (0, False) and r[3] is None for r in rows)
    acceptance = run_on_connection(url, lambda c: c.execute(text("SELECT DISTINCT acceptance FROM badge_classes")).scalars().all())
    assert acceptance == ["issuer"]
    migrate(url)  # 0019 folds the default ('issuer', not issued as accepted by Credly) into "not set"
    acceptance = run_on_connection(url, lambda c: c.execute(text("SELECT DISTINCT acceptance FROM badge_classes")).scalars().all())
    assert acceptance == [None]


def _seed(url: str) -> list[int]:
    """The demo issuer's badge classes (two) at the head; their ids."""
    async def _go() -> None:
        from sqlalchemy.ext.asyncio import async_sessionmaker

        engine = create_engine(url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                await seed_demo(session, PublicUrls("http://m.example"), KeyBox("m" * 20), slug="m")
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(_go())
    return run_on_connection(url, lambda c: c.execute(text("SELECT id FROM badge_classes ORDER BY id")).scalars().all())


def _add_code(url: str, badge_id: int, code: str) -> None:
    run_on_connection(url, lambda c: c.execute(text(
        "INSERT INTO claim_codes (code, badge_class_id, multiuse, uses, created_at) "
        "VALUES (:code, :badge, false, 0, '2026-01-01 00:00:00')"), {"code": code, "badge": badge_id}))


def test_0020_makes_codes_unique_per_badge_class_and_its_downgrade_refuses_shared_codes(
        empty_database_url: str) -> None:
    url = empty_database_url
    migrate(url)
    first, second = _seed(url)[:2]
    downgrade(url, "0019_fold_issued_as_accepted")
    _add_code(url, first, "SPRING-2026")
    with pytest.raises(IntegrityError):  # before: one namespace for the whole server
        _add_code(url, second, "SPRING-2026")
    before = run_on_connection(url, lambda c: c.execute(text("SELECT id, code, badge_class_id FROM claim_codes")).all())
    migrate(url)
    assert run_on_connection(url, lambda c: c.execute(text(
        "SELECT id, code, badge_class_id FROM claim_codes")).all()) == before
    _add_code(url, second, "SPRING-2026")  # after: per badge class
    with pytest.raises(IntegrityError):
        _add_code(url, second, "SPRING-2026")
    with pytest.raises(RuntimeError, match=r"1 claim code\(s\) are held by more than one badge class \(SPRING-2026\)"):
        downgrade(url, "0019_fold_issued_as_accepted")
    assert run_on_connection(url, lambda c: c.execute(text("SELECT COUNT(*) FROM claim_codes")).scalar()) == 2
    run_on_connection(url, lambda c: c.execute(text("DELETE FROM claim_codes WHERE badge_class_id = :b"), {"b": second}))
    downgrade(url, "0019_fold_issued_as_accepted")
    assert run_on_connection(url, lambda c: c.execute(text(
        "SELECT id, code, badge_class_id FROM claim_codes")).all()) == before
    with pytest.raises(IntegrityError):
        _add_code(url, second, "SPRING-2026")
