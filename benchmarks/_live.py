"""Databases and a live server for the benchmarks: a migrated SQLite file or a throw-away PostgreSQL database
(on the server named by ``OPENBADGES_TEST_DATABASE_URL``), and ``openbadges-server run`` on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from hosting.storage.migrate import migrate

__all__ = ["START_SECONDS", "admin_execute", "free_port", "live_server", "postgres_database", "server_process",
           "sqlite_database", "stop_server", "wait_healthy"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sqlite_database(directory: Path) -> str:
    """A migrated SQLite file (mode 0600) in ``directory``; returns its URL."""
    path = directory / "bench.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate(url)
    path.chmod(0o600)
    return url


async def admin_execute(admin_url: str, statement: str) -> None:
    """Run one statement (``CREATE DATABASE`` …, outside a transaction) on the PostgreSQL server of ``admin_url``."""
    import asyncpg

    u = make_url(admin_url)
    conn = await asyncpg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
                                 password=u.password, database=u.database or "postgres", timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A migrated, fresh PostgreSQL database dropped on exit; ``None`` when no server is configured/reachable."""
    admin = os.environ.get("OPENBADGES_TEST_DATABASE_URL", "")
    if not admin.startswith("postgresql"):
        yield None
        return
    import asyncpg

    u = make_url(admin)
    name = f"obbench_{secrets.token_hex(4)}"

    try:
        asyncio.run(admin_execute(admin, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"[PostgreSQL] skipped: {exc!r}")
        yield None
        return
    try:
        url = u.set(database=name).render_as_string(hide_password=False)
        migrate(url)
        yield url
    finally:
        asyncio.run(admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# How long a server may take to start before it counts as hung. A guard, not a measure: a server that dies is
# reported at once. On a 2-core machine starved by other work a start (~3 s of CPU) took 27-45 s of wall time.
START_SECONDS = 120.0


def wait_healthy(proc: subprocess.Popen[bytes], base: str, log: Path, *, seconds: float = START_SECONDS) -> None:
    """Wait until the server at ``base`` answers ``/healthz`` 200; raise with its log if it died or took too long."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)


def stop_server(proc: subprocess.Popen[bytes], *, seconds: float = 15) -> None:
    """Stop a server process: SIGTERM (a graceful shutdown), then SIGKILL after ``seconds``."""
    proc.terminate()
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def server_process(database_url: str, secret: str, log: Path, *, workers: int = 1, port: int | None = None,
                   **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``openbadges-server run`` (uvicorn, ``workers`` processes) on 127.0.0.1 (``port``, else a free one), its
    output in ``log``, stopped on exit; yields its base URL (also its ``OPENBADGES_BASE_URL`` unless ``env`` sets
    one) and its process."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    environ = {**os.environ, "OPENBADGES_DATABASE_URL": database_url, "OPENBADGES_BASE_URL": base,
               "OPENBADGES_SECRET_KEY": secret, "OPENBADGES_ACCESS_LOG": "0", **env}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from hosting.app.cli import main; main()", "run", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(workers)], env=environ, stdout=out, stderr=subprocess.STDOUT,
            cwd=log.parent)
    try:
        wait_healthy(proc, base, log)
        yield base, proc
    finally:
        stop_server(proc)


@contextmanager
def live_server(database_url: str, secret: str, log: Path, *, workers: int = 1, port: int | None = None,
                **env: str) -> Iterator[str]:
    """:func:`server_process`, yielding its base URL."""
    with server_process(database_url, secret, log, workers=workers, port=port, **env) as (base, _proc):
        yield base
