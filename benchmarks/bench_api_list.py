"""Listing assertions deep in a large issuer: ``python -m benchmarks api_list [--quick]``.

An SQLite file database holding 100,000 assertions of one issuer (20,000 with ``--quick``), bulk-inserted; the
issuer API app in-process (Litestar ``TestClient``, no sockets). Measured, as median and p90 of repeated
``GET /v1/issuers/{issuer}/assertions`` calls (50 a page):

* page 1 in page mode (with its ``total_count``) — the baseline,
* the first cursor page (``cursor=``),
* a cursor page after 90% of the rows (the cursor comes from ``metadata.next_cursor`` of a page there),
* the same position by page/offset (``page=N``), for contrast,
* a deep cursor page in ``-issued_at`` order, and on the badge-class path,
* for information, one recipient's assertions across the issuer (Badgr's ``recipient``).

Target: every deep cursor page within 2x of page 1 (keyset pagination: its cost must not grow with the offset);
the ratio to the first cursor page is printed too (page 1 itself pays an O(n) count).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hosting import Settings, create_app
from hosting.api.auth import create_token
from hosting.app.demo import demo_png
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine
from hosting.lib.ids import new_public_id
from hosting.lib.urls import PublicUrls
from hosting.storage.migrate import migrate
from hosting.storage.models import Assertion, AssertionState, BadgeClass, Role, StaffRole
from hosting.storage.store import HostingStore

BASE_URL = "http://bench.local"
SECRET = "bench-secret-" + "l" * 24
PER_PAGE = 50
DEEP = 0.9
TARGET = 2.0
T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def bulk_insert_assertions(session: AsyncSession, badge: BadgeClass, count: int, *, chunk: int = 5000,
                                 per_second: int = 1) -> None:
    """``count`` plain hosted assertions of ``badge`` in multi-row INSERTs; ``per_second`` of them share each
    created_at/issued_on second from 2026-01-01 (ties that keyset pagination must break by id). Recipients are
    ``earner{n}@example.org`` in insertion order. (Also used by tests/hosting/test_api_listing.py.)"""
    for start in range(0, count, chunk):
        rows: list[dict[str, Any]] = []
        for n in range(start, min(count, start + chunk)):
            moment = T0 + timedelta(seconds=n // per_second)
            rows.append({"public_id": new_public_id(), "badge_class_id": badge.id, "issuer_id": badge.issuer_id,
                         "recipient_type": "email", "recipient_identity": f"sha256${n:064x}",
                         "recipient_hashed": True, "recipient_plaintext": f"earner{n}@example.org",
                         "issued_on": moment, "created_at": moment, "updated_at": moment, "evidence": [],
                         "verification_type": "hosted", "state": AssertionState.ACTIVE, "format": "ob2"})
        await session.execute(insert(Assertion), rows)


async def _fill(settings: Settings, total: int) -> tuple[str, str, str]:
    """An issuer (owned by the token's user) with one badge class holding ``total`` assertions."""
    engine = create_engine(settings.database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            store = HostingStore(session, PublicUrls(settings.base_url), KeyBox(settings.secret_key))
            issuer = await store.create_issuer(slug="bench", name="Bench", url="https://bench.example.org",
                                               email="badges@bench.example.org")
            badge = await store.create_badge_class(issuer, slug="crowd", name="Crowd", description="d",
                                                   image=demo_png(size=16), criteria_narrative="c")
            session.add(StaffRole(issuer_id=issuer.id, email="owner@bench.example.org", role=Role.OWNER))
            token = await create_token(session, "owner@bench.example.org", scopes=["issuer:read"])
            await bulk_insert_assertions(session, badge, total)
            await session.commit()
            return token, issuer.public_id, badge.public_id
    finally:
        await engine.dispose()


@contextmanager
def filled_database(total: int) -> Iterator[tuple[Settings, tuple[str, str, str], float]]:
    """A migrated SQLite file filled by :func:`_fill` with ``total`` assertions, removed on exit; yields the app's
    settings, what ``_fill`` returned (token, issuer, badge class) and the seconds filling took."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", base_url=BASE_URL,
                            secret_key=SECRET, access_log=False)
        migrate(settings.database_url)
        started = time.perf_counter()
        result = asyncio.run(_fill(settings, total))
        yield settings, result, time.perf_counter() - started


def _timed(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    call()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def main(argv: list[str] | None = None) -> int:
    from litestar.testing import TestClient

    quick = "--quick" in (argv or [])
    total, repeat = (20_000, 15) if quick else (100_000, 50)
    deep_page = int(total * DEEP) // PER_PAGE  # the page ending at the deep position
    with filled_database(total) as (settings, (token, issuer, badge), seconds):
        print(f"{total:,} assertions inserted in {seconds:.1f} s; {PER_PAGE} a page, "
              f"deep = after {deep_page * PER_PAGE:,} rows; {repeat} calls each")
        headers = {"Authorization": f"Bearer {token}"}
        listing = f"/v1/issuers/{issuer}/assertions"
        on_badge = f"/v1/issuers/{issuer}/badges/{badge}/assertions"
        with TestClient(create_app(settings), base_url=BASE_URL) as client:
            def fetch(url: str) -> dict[str, Any]:
                res = client.get(url, headers=headers)
                assert res.status_code == 200, res.text
                body: dict[str, Any] = res.json()
                assert body["assertions"], url
                return body

            def deep_cursor(path: str, sort: str) -> str:
                meta = fetch(f"{path}?per_page={PER_PAGE}&sort={sort}&page={deep_page}")["metadata"]
                return f"{path}?per_page={PER_PAGE}&sort={sort}&cursor={quote(meta['next_cursor'])}"

            cases = {
                "page 1 (page mode, counts)": f"{listing}?per_page={PER_PAGE}",
                "cursor, first page": f"{listing}?per_page={PER_PAGE}&cursor=",
                "cursor, deep": deep_cursor(listing, "created_at"),
                "cursor, deep, -issued_at": deep_cursor(listing, "-issued_at"),
                "cursor, deep, badge path": deep_cursor(on_badge, "created_at"),
                "offset, deep (contrast)": f"{listing}?per_page={PER_PAGE}&page={deep_page + 1}",
                "one recipient (info)": f"{listing}?recipient=earner{total - 7}@example.org&cursor=",
            }
            deep_first = fetch(cases["cursor, deep"])["assertions"][0]["recipient"]["identity"]
            assert deep_first == f"earner{deep_page * PER_PAGE}@example.org", deep_first
            times = {name: _timed(partial(fetch, url), repeat) for name, url in cases.items()}
    baseline = times["page 1 (page mode, counts)"][0]
    first_cursor = times["cursor, first page"][0]
    status = 0
    print(f"{'case':<28} {'median ms':>10} {'p90 ms':>8} {'vs page 1':>10} {'vs cursor 1':>12} {'target':>12}")
    for name, (median, p90) in times.items():
        ratio = median / baseline
        target = TARGET if name.startswith("cursor, deep") else None
        ok = target is None or ratio <= target
        status |= not ok
        verdict = "-" if target is None else f"{target:.1f}x {'ok' if ok else 'MISSED'}"
        print(f"{name:<28} {median * 1000:>10.2f} {p90 * 1000:>8.2f} {ratio:>9.2f}x {median / first_cursor:>11.2f}x"
              f" {verdict:>12}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
