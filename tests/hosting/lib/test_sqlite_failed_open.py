"""A SQLite file that cannot be opened fails the open, and nothing of the attempt outlives it: aiosqlite's worker
thread is gone when the error reaches the caller. A worker left running reports to the event loop after
``asyncio.run`` closed it and prints "RuntimeError: Event loop is closed" under a command's one-line error."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from hosting.lib.db import create_engine


async def _threads_left_by_a_failed_open(url: str) -> list[threading.Thread]:
    engine = create_engine(url)
    try:
        before = set(threading.enumerate())
        with pytest.raises(OperationalError, match="unable to open database file"):
            async with engine.connect():
                pass
        # aiosqlite's workers are daemon threads (the event loop's executor threads are not)
        return [t for t in threading.enumerate() if t not in before and t.daemon and t.is_alive()]
    finally:
        await engine.dispose()


def test_a_failed_sqlite_open_leaves_no_worker_thread(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    url = f"sqlite+aiosqlite:///{tmp_path / 'a-file' / 'openbadges.db'}"
    for _ in range(5):
        assert asyncio.run(_threads_left_by_a_failed_open(url)) == []
