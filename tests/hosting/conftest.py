"""Fixtures for the hosting tests: a migrated database per backend (SQLite file, PostgreSQL), demo data,
an in-process client and helpers that write through the store.

PostgreSQL comes from ``OPENBADGES_TEST_DATABASE_URL`` (e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``);
each test session creates a fresh database next to it and drops it afterwards. Unset or unreachable: the
PostgreSQL tests skip with the reason, or fail when ``OPENBADGES_REQUIRE_POSTGRES=1``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks._live import admin_execute
from hosting import Settings, create_app
from hosting.app.demo import DemoData, seed_demo
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine, immediate_transactions
from hosting.lib.urls import PublicUrls
from hosting.storage.migrate import migrate
from hosting.storage.store import HostingStore

T = TypeVar("T")

BASE_URL = "http://testserver.local"
SECRET = "test-secret-" + "x" * 20
REQUIRE_POSTGRES = os.environ.get("OPENBADGES_REQUIRE_POSTGRES") == "1"


def _unavailable(reason: str) -> None:
    if REQUIRE_POSTGRES:
        pytest.fail(f"PostgreSQL required (OPENBADGES_REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@contextmanager
def empty_postgres(prefix: str) -> Iterator[str]:
    """A new, empty database ``<prefix>_<random>`` on the server of ``OPENBADGES_TEST_DATABASE_URL``, dropped on exit
    (the test is skipped, or failed under ``OPENBADGES_REQUIRE_POSTGRES=1``, when there is no server)."""
    admin_url = os.environ.get("OPENBADGES_TEST_DATABASE_URL", "")
    if not admin_url:
        _unavailable("OPENBADGES_TEST_DATABASE_URL is not set")
    name = f"{prefix}_{secrets.token_hex(6)}"
    try:
        asyncio.run(admin_execute(admin_url, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - unreachable server, bad credentials ...
        _unavailable(f"cannot reach {make_url(admin_url).render_as_string(hide_password=True)}: {exc!r}")
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def migrated_database(backend: str, tmp_path_factory: pytest.TempPathFactory, prefix: str) -> Iterator[str]:
    """A new database of ``backend`` (``sqlite``: a file; ``postgres``: ``<prefix>_<random>``, dropped on exit),
    migrated to head (Alembic)."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp(prefix) / 'hosting.db'}"
        migrate(url)
        yield url
        return
    with empty_postgres(prefix) as url:
        migrate(url)
        yield url


def settings_on(database_url: str) -> Settings:
    """The tests' settings on ``database_url``."""
    return Settings(database_url=database_url, base_url=BASE_URL, secret_key=SECRET, access_log=False,
                    public_cache_seconds=0)


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated (Alembic) database for this test session."""
    logging.getLogger("hosting.access").setLevel(logging.WARNING)
    with migrated_database(request.param, tmp_path_factory, "db" if request.param == "sqlite" else "obtest") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database of each backend, for this test only (migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    with empty_postgres("obmig") as url:
        yield url


def table_columns(url: str, table: str) -> set[str]:
    """The column names of ``table`` as the database has them now."""
    from sqlalchemy import inspect

    return set(run_on_connection(url, lambda c: {col["name"] for col in inspect(c).get_columns(table)},
                                 migrating=True))


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return settings_on(database_url)


def run_on_connection(url: str, fn: Callable[[Any], T], *, migrating: bool = False) -> T:
    """Run ``fn(sync_connection)`` in one committed transaction on ``url`` (on the migration engine, which leaves
    SQLite's foreign keys to the COMMIT check, when ``migrating``), from a sync test."""
    from hosting.storage.migrate import migration_engine

    async def _go() -> T:
        engine = migration_engine(url) if migrating else create_engine(url)
        try:
            async with engine.begin() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(_go())


def run_store(settings: Settings, fn: Callable[[HostingStore], Awaitable[T]]) -> T:
    """Run ``fn(store)`` in its own engine and transaction (committed), from a sync test."""

    async def _go() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                store = HostingStore(session, PublicUrls(settings.base_url), KeyBox(settings.secret_key))
                result = await fn(store)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    # BEGIN IMMEDIATE on SQLite, as the app's writing requests: a read-then-write transaction would fail at
    # once ("database is locked") when a background sender commits in between.
    with immediate_transactions():
        return asyncio.run(_go())


@pytest.fixture(scope="session")
def demo(settings: Settings) -> DemoData:
    async def _seed(store: HostingStore) -> DemoData:
        return await seed_demo(store.session, store.urls, store.keybox, slug="demo")

    return run_store(settings, _seed)


@pytest.fixture(scope="session")
def client(settings: Settings, demo: DemoData) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings), base_url=BASE_URL) as c:
        yield c


@pytest.fixture(scope="session")
def api(settings: Settings) -> Iterator[TestClient[Any]]:
    """An in-process client of the app with the issuer API (``/v1``) mounted."""

    with TestClient(create_app(settings), base_url=BASE_URL) as c:
        yield c


@pytest.fixture
def owner(settings: Settings) -> str:
    """A fresh API token (default scopes) for a new user, who will own the issuers it creates."""
    from _api_support import make_token, unique_email

    return make_token(settings, unique_email("owner"))


@pytest.fixture(scope="session")
def urls() -> PublicUrls:
    return PublicUrls(BASE_URL)


@pytest.fixture
def store_runner(settings: Settings) -> Callable[[Callable[[HostingStore], Awaitable[Any]]], Any]:
    return lambda fn: run_store(settings, fn)


async def session_of(store: HostingStore) -> AsyncSession:
    return store.session


# The Badgr v2 and OAuth2 tests (tests/hosting/badgr/): the app with OAuth2 allowed over the tests' plain-http base
# URL. (Here rather than in a conftest.py of that folder: the tests import helpers `from conftest import …`, and a
# second module named conftest would shadow this one.)
@pytest.fixture(scope="session")
def badgr_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, oauth_allow_http=True, allow_private_image_urls=False)


@pytest.fixture(scope="session")
def badgr(badgr_settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(badgr_settings), base_url=BASE_URL) as c:
        yield c
