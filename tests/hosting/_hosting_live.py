"""A real ``openbadges-server run`` process on 127.0.0.1 (free port) with migrated, seeded SQLite."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from benchmarks._live import START_SECONDS, stop_server, wait_healthy
from hosting.app.demo import DemoData, seed_demo
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine
from hosting.lib.urls import PublicUrls
from hosting.storage.migrate import migrate

SECRET = "live-secret-" + "y" * 24
_ROOT = Path(__file__).resolve().parents[2]
_OPENBADGES = [sys.executable, "-c", "from openbadges_core._cli import main; main()"]


def openbadges(*args: str) -> subprocess.CompletedProcess[str]:
    """The library's ``openbadges`` command with ``args`` in a child process (from this tree)."""
    path = os.pathsep.join(p for p in (str(_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run(check=False, args=[*_OPENBADGES, *args], env={**os.environ, "PYTHONPATH": path},
                          capture_output=True, text=True, timeout=120)


def openbadges_verify(url: str) -> subprocess.CompletedProcess[str]:
    """``openbadges verify --allow-private-network URL`` (the live server listens on loopback)."""
    return openbadges("verify", "--allow-private-network", url)


@dataclass
class LiveServer:
    base_url: str
    urls: PublicUrls
    demo: DemoData
    log: Path
    database_url: str = ""
    secret: str = SECRET


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(tmp: Path) -> Iterator[LiveServer]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db = f"sqlite+aiosqlite:///{tmp / 'live.db'}"
    migrate(db)
    urls = PublicUrls(base)

    async def _seed() -> DemoData:
        engine = create_engine(db)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                data = await seed_demo(session, urls, KeyBox(SECRET))
                await session.commit()
                return data
        finally:
            await engine.dispose()

    demo = asyncio.run(_seed())
    env = {**os.environ, "OPENBADGES_DATABASE_URL": db, "OPENBADGES_BASE_URL": base,
           "OPENBADGES_SECRET_KEY": SECRET}
    log = tmp / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from hosting.app.cli import main; main()", "run", "--host", "127.0.0.1",
             "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp,
        )
    try:
        wait_healthy(proc, base, log)
        yield LiveServer(base, urls, demo, log, database_url=db)
    finally:
        stop_server(proc, seconds=10)


@contextmanager
def serve_app(app: Any, *, timeout: float = START_SECONDS) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port in a background thread; yields its base URL."""
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
