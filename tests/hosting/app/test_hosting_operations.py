"""Operations: health, readiness, docs, settings, key encryption, the console script."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from hosting import Settings, SettingsError, create_app
from hosting.app.cli import cli
from hosting.lib.crypto import KeyBox, KeyBoxError

Client = TestClient[Any]


def test_healthz_is_up(client: Client) -> None:
    res = client.get("/healthz")
    assert (res.status_code, res.json()) == (200, {"status": "ok"})


def test_readyz_checks_the_database(client: Client) -> None:
    res = client.get("/readyz")
    assert (res.status_code, res.json()) == (200, {"status": "ready"})


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db", secret_key="s" * 20)
    with TestClient(create_app(settings)) as c:
        res = c.get("/readyz")
    assert res.status_code == 503
    assert res.json()["code"] == "ServiceUnavailable"


def test_openapi_document_and_docs_page(client: Client) -> None:
    spec = client.get("/schema/openapi.json").json()
    assert "/public/assertions/{public_id}" in spec["paths"]
    res = client.get("/docs", follow_redirects=False)
    assert res.status_code == 302
    assert client.get(res.headers["location"]).status_code == 200


def test_access_log_is_one_json_line_per_request(settings: Settings, demo: Any,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    from dataclasses import replace

    logging.getLogger("hosting.access").setLevel(logging.INFO)
    try:
        with caplog.at_level(logging.INFO, logger="hosting.access"), \
                TestClient(create_app(replace(settings, access_log=True))) as c:
            c.get("/healthz")
    finally:
        logging.getLogger("hosting.access").setLevel(logging.WARNING)
    import json

    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "hosting.access"]
    assert lines and lines[-1]["path"] == "/healthz" and lines[-1]["status"] == 200
    assert {"method", "ms", "bytes"} <= set(lines[-1])


def test_settings_from_env_reads_every_variable(tmp_path: Path) -> None:
    s = Settings.from_env({
        "OPENBADGES_DATABASE_URL": "postgresql+asyncpg://u@h/db",
        "OPENBADGES_BASE_URL": "https://badges.example.org/",
        "OPENBADGES_SECRET_KEY": "k" * 32,
        "OPENBADGES_ASSERTION_MAX_AGE": "30",
        "OPENBADGES_ACCESS_LOG": "0",
    }, cwd=tmp_path)
    assert s.database_url == "postgresql+asyncpg://u@h/db"
    assert s.base_url == "https://badges.example.org"
    assert s.assertion_max_age == 30 and s.access_log is False


def test_default_database_is_a_sqlite_file_in_the_working_directory(tmp_path: Path) -> None:
    s = Settings.from_env({"OPENBADGES_SECRET_KEY": "k" * 32}, cwd=tmp_path)
    assert s.database_url == "sqlite+aiosqlite:///openbadges.db"


def test_production_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="OPENBADGES_SECRET_KEY"):
        Settings.from_env({"OPENBADGES_ENV": "production"}, cwd=tmp_path)


def test_development_generates_and_reuses_a_secret_file(tmp_path: Path) -> None:
    first = Settings.from_env({}, cwd=tmp_path)
    second = Settings.from_env({}, cwd=tmp_path)
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert (os.stat(tmp_path / ".openbadges-secret").st_mode & 0o777) == 0o600


@pytest.mark.parametrize("env", [{"OPENBADGES_BASE_URL": "ftp://x"}, {"OPENBADGES_ASSERTION_MAX_AGE": "soon"},
                                 {"OPENBADGES_SECRET_KEY": "short"}])
def test_bad_settings_are_refused_with_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"OPENBADGES_SECRET_KEY": "k" * 32, **env}, cwd=tmp_path)


def test_keybox_round_trip_and_wrong_secret() -> None:
    token = KeyBox("a" * 32).encrypt(b"-----BEGIN PRIVATE KEY-----")
    assert KeyBox("a" * 32).decrypt(token) == b"-----BEGIN PRIVATE KEY-----"
    with pytest.raises(KeyBoxError):
        KeyBox("b" * 32).decrypt(token)


def test_cli_migrate_then_seed_demo_prints_one_url_per_line(tmp_path: Path) -> None:
    env = {"OPENBADGES_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
           "OPENBADGES_BASE_URL": "http://127.0.0.1:8000", "OPENBADGES_SECRET_KEY": "c" * 32}
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"], env=env).exit_code == 0
    res = runner.invoke(cli, ["seed-demo"], env=env)
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert len(lines) >= 10
    assert all(line.startswith("http://127.0.0.1:8000/public/") for line in lines)
    again = runner.invoke(cli, ["seed-demo"], env=env)
    assert again.exit_code != 0 and "already seeded" in again.output


def test_alembic_migrations_match_the_models(database_url: str) -> None:
    """The migrated schema is exactly what the models declare (nothing created outside Alembic)."""
    import asyncio

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from hosting.lib.db import create_engine
    from hosting.storage.models import Base

    async def _diff() -> list[Any]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata))
        finally:
            await engine.dispose()

    assert asyncio.run(_diff()) == []
