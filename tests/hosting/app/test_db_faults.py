"""Fault injection on the database (issue #12): a lost COMMIT is never a 2xx, an outage is a fast 503 with
Retry-After and the app recovers, ``/readyz`` sees unmigrated/read-only/frozen databases, a busy SQLite is 503
anywhere, a deleted SQLite file is never recreated empty, and the file is 0600."""

from __future__ import annotations

import dataclasses
import logging
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from _api_support import bearer, make_token, unique_email, unique_slug
from _db_faults import PgProxy, pg_proxy
from _issue_support import count_assertions, new_team, stored
from conftest import BASE_URL, SECRET
from litestar.testing import TestClient

from hosting import Settings, create_app
from hosting.lib.db import is_sqlite
from hosting.storage.migrate import migrate

Client = TestClient[Any]
FAST = {"db_connect_timeout": 1.0, "db_statement_timeout": 1.0, "db_pool_timeout": 1.0, "readiness_timeout": 1.0}


def _postgres_only(settings: Settings) -> None:
    if is_sqlite(settings.database_url):
        pytest.skip("a network fault: PostgreSQL only")


@contextmanager
def _through_proxy(settings: Settings) -> Iterator[tuple[PgProxy, Client]]:
    with pg_proxy(settings.database_url) as proxy:
        faulty = dataclasses.replace(settings, database_url=proxy.url(settings.database_url), **FAST)
        with TestClient(create_app(faulty), base_url=BASE_URL) as client:
            yield proxy, client


def _issuer_body() -> dict[str, Any]:
    return {"name": "Fault Issuer", "url": "https://issuer.example.org", "email": "b@issuer.example.org",
            "slug": unique_slug("fault")}


def _assert_503(res: Any) -> None:
    assert res.status_code == 503, res.text
    assert res.json()["code"] == "ServiceUnavailable"
    assert int(res.headers["retry-after"]) > 0


# --- 1. a failed COMMIT is never a 2xx -----------------------------------------------------------------------

def test_a_commit_lost_on_the_way_is_a_503_and_every_201_is_stored(settings: Settings, api: Client,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    _postgres_only(settings)
    team = new_team(settings, api)
    badge = team.badge()
    with _through_proxy(settings) as (proxy, client), caplog.at_level(logging.ERROR, "hosting"):
        answers = []
        for i in range(6):
            proxy.drop_commits = i % 2  # every other request loses the connection at COMMIT
            answers.append(client.post(team.issue_path(badge), headers=bearer(team.owner),
                                       json={"recipient": unique_email("earner"), "notify": False}))
        assert proxy.dropped == 3
    created = [r for r in answers if r.status_code == 201]
    lost = [r for r in answers if r.status_code != 201]
    assert len(created) == 3 and len(lost) == 3
    for res in lost:
        _assert_503(res)
    for res in created:  # every acknowledged write is readable afterwards
        assert stored(settings, res.json()["assertion"]["id"]).public_id == res.json()["assertion"]["id"]
    assert count_assertions(settings, badge) == 3
    assert any("COMMIT failed" in r.getMessage() for r in caplog.records)


def test_a_revoke_whose_commit_is_lost_is_a_503_and_not_applied(settings: Settings, api: Client) -> None:
    _postgres_only(settings)
    team = new_team(settings, api)
    res = team.issue(team.badge(), notify=False)
    assert res.status_code == 201
    public_id = res.json()["assertion"]["id"]
    with _through_proxy(settings) as (proxy, client):
        proxy.drop_commits = 1
        _assert_503(client.post(f"/v1/assertions/{public_id}/revoke", json={"reason": "x"},
                                headers=bearer(team.owner)))
        assert stored(settings, public_id).revoked_at is None
        ok = client.post(f"/v1/assertions/{public_id}/revoke", json={"reason": "x"}, headers=bearer(team.owner))
        assert ok.status_code == 200, ok.text
    assert stored(settings, public_id).revoked_at is not None


# --- 3. an outage is a fast 503, and the app recovers ----------------------------------------------------------

def test_database_down_is_503_within_a_second_then_recovers(settings: Settings) -> None:
    _postgres_only(settings)
    token = make_token(settings, unique_email("ops"))
    with _through_proxy(settings) as (proxy, client):
        assert client.get("/v1/issuers", headers=bearer(token)).status_code == 200
        proxy.kill()
        for path in ("/v1/issuers", "/readyz"):
            start = time.monotonic()
            res = client.get(path, headers=bearer(token))
            assert time.monotonic() - start < 1.0
            _assert_503(res)
        _assert_503(client.post("/v1/issuers", json=_issuer_body(), headers=bearer(token)))
        proxy.revive()
        assert client.get("/v1/issuers", headers=bearer(token)).status_code == 200
        assert client.get("/readyz").status_code == 200


def test_frozen_network_is_503_within_the_timeouts_then_recovers(settings: Settings) -> None:
    _postgres_only(settings)
    token = make_token(settings, unique_email("ops"))
    with _through_proxy(settings) as (proxy, client):
        assert client.get("/v1/issuers", headers=bearer(token)).status_code == 200
        proxy.frozen = True
        start = time.monotonic()
        _assert_503(client.get("/v1/issuers", headers=bearer(token)))
        # statement timeout on the pooled connection, then the connect timeout of a new one: 1 s + 1 s
        assert time.monotonic() - start < 3.0
        start = time.monotonic()
        _assert_503(client.get("/readyz"))
        assert time.monotonic() - start < 1.5  # readiness_timeout
        proxy.thaw()
        assert client.get("/v1/issuers", headers=bearer(token)).status_code == 200
        assert client.get("/readyz").status_code == 200


# --- SQLite files ------------------------------------------------------------------------------------------

@pytest.fixture
def sqlite_db(tmp_path: Path) -> tuple[Path, Settings, str]:
    """A migrated SQLite file, its settings and a token."""
    path = tmp_path / "faults.db"
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", base_url=BASE_URL, secret_key=SECRET,
                        access_log=False, public_cache_seconds=0, db_busy_timeout=0.2, **FAST)
    migrate(settings.database_url)
    return path, settings, make_token(settings, unique_email("owner"))


def _issuer_count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM issuers").fetchone()[0])


def test_read_only_sqlite_is_503_not_a_lost_201(sqlite_db: tuple[Path, Settings, str]) -> None:
    path, settings, token = sqlite_db
    read_only = dataclasses.replace(settings, database_url=f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    before = _issuer_count(path)
    with TestClient(create_app(read_only), base_url=BASE_URL) as client:
        _assert_503(client.post("/v1/issuers", json=_issuer_body(), headers=bearer(token)))
        assert client.get("/v1/issuers", headers=bearer(token)).status_code == 200  # reads still work
        res = client.get("/readyz")
        assert res.status_code == 503 and "readonly" in res.json()["message"]
    assert _issuer_count(path) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to a 0400 file anyway")
def test_read_only_file_mode_is_503(sqlite_db: tuple[Path, Settings, str]) -> None:
    path, settings, token = sqlite_db
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        path.chmod(0o400)
        try:
            _assert_503(client.post("/v1/issuers", json=_issuer_body(), headers=bearer(token)))
            assert client.get("/readyz").status_code == 503
        finally:
            path.chmod(0o600)


def test_held_write_lock_is_503_with_retry_after_even_at_the_token_lookup(
        sqlite_db: tuple[Path, Settings, str]) -> None:
    path, settings, token = sqlite_db
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            start = time.monotonic()
            res = client.post("/v1/issuers", json=_issuer_body(), headers=bearer(token))
            assert time.monotonic() - start < 1.0
            _assert_503(res)
            assert res.headers["retry-after"] == "1"
            assert client.get("/readyz").status_code == 503
            assert client.get("/v1/issuers", headers=bearer(token)).status_code == 200  # WAL: reads go on
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert client.post("/v1/issuers", json=_issuer_body(), headers=bearer(token)).status_code == 201
        assert client.get("/readyz").status_code == 200


def test_a_deleted_sqlite_file_is_503_and_never_recreated(sqlite_db: tuple[Path, Settings, str]) -> None:
    path, settings, token = sqlite_db
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        assert client.get("/readyz").status_code == 200
        client.app.state["hosting"].engine.sync_engine.pool.dispose()  # new connections from now on
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        _assert_503(client.post("/v1/issuers", json=_issuer_body(), headers=bearer(token)))
        _assert_503(client.get("/v1/issuers", headers=bearer(token)))
        assert client.get("/readyz").status_code == 503
    assert not path.exists()


def test_a_missing_sqlite_file_is_reported_at_start_up(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "never-migrated.db"
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", base_url=BASE_URL, secret_key=SECRET,
                        access_log=False)
    with caplog.at_level(logging.ERROR, "hosting"), TestClient(create_app(settings), base_url=BASE_URL) as client:
        assert any("does not exist" in r.getMessage() and "migrate" in r.getMessage() for r in caplog.records)
        _assert_503(client.get("/v1/issuers", headers=bearer("obt_no-database-to-look-this-up-in")))
        assert client.get("/readyz").status_code == 503
    assert not path.exists()


def test_readyz_is_503_below_the_migration_head(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate(url, "0005")
    settings = Settings(database_url=url, base_url=BASE_URL, secret_key=SECRET, access_log=False)
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        res = client.get("/readyz")
        assert res.status_code == 503 and "migrate" in res.json()["message"]
    migrate(url)
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        assert client.get("/readyz").status_code == 200


def test_readyz_is_503_on_an_empty_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", base_url=BASE_URL, secret_key=SECRET,
                        access_log=False)
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        assert client.get("/readyz").status_code == 503


def test_sqlite_file_wal_and_shm_are_0600(sqlite_db: tuple[Path, Settings, str]) -> None:
    path, settings, token = sqlite_db
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        assert client.post("/v1/issuers", json=_issuer_body(), headers=bearer(token)).status_code == 201
        for suffix in ("", "-wal", "-shm"):
            file = Path(f"{path}{suffix}")
            assert file.exists(), file
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, (file, oct(file.stat().st_mode))


# --- the server command ------------------------------------------------------------------------------------

def test_run_passes_the_connection_limits_to_uvicorn(sqlite_db: tuple[Path, Settings, str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from click.testing import CliRunner

    from hosting.app.cli import cli

    path, settings, _ = sqlite_db
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    env = {"OPENBADGES_DATABASE_URL": settings.database_url, "OPENBADGES_SECRET_KEY": SECRET}
    res = CliRunner().invoke(cli, ["run", "--limit-concurrency", "7", "--timeout-keep-alive", "3"], env=env)
    assert res.exit_code == 0, res.output
    assert (seen["limit_concurrency"], seen["timeout_keep_alive"]) == (7, 3)
    assert seen["h11_max_incomplete_event_size"] == 16384
    path.unlink()
    res = CliRunner().invoke(cli, ["run"], env=env)
    assert res.exit_code != 0 and "does not exist" in res.output and "migrate" in res.output
    assert not path.exists()


def test_full_sqlite_database_is_503_and_nothing_half_stored(sqlite_db: tuple[Path, Settings, str]) -> None:
    from sqlalchemy import event

    path, settings, token = sqlite_db
    # No free page left (a migration that recreated a table leaves some): the file must grow to take a write.
    with closing(sqlite3.connect(path)) as db:
        db.execute("VACUUM")
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        engine = client.app.state["hosting"].engine

        @event.listens_for(engine.sync_engine, "connect")
        def _full(dbapi_connection: Any, _record: Any) -> None:  # no page may be added: "database or disk is full"
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA max_page_count = 1")  # clamps to the current size
            cursor.close()

        engine.sync_engine.pool.dispose()
        before = _issuer_count(path)
        big = {**_issuer_body(), "description": "x" * 9_000}
        _assert_503(client.post("/v1/issuers", json=big, headers=bearer(token)))
    assert _issuer_count(path) == before


def test_readyz_is_503_on_an_unmigrated_postgres_database(settings: Settings) -> None:
    from conftest import empty_postgres

    _postgres_only(settings)
    with empty_postgres("obtest") as url:
        bare = dataclasses.replace(settings, database_url=url)
        with TestClient(create_app(bare), base_url=BASE_URL) as client:
            res = client.get("/readyz")
            assert res.status_code == 503 and "alembic_version" in res.json()["message"]
