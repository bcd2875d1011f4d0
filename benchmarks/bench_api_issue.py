"""Batch issuing through the issuer API: 10,000 hosted and 1,000 signed (RS256) assertions, one request each.

Runs the real app in-process (Litestar ``TestClient``, SQLite file; PostgreSQL too when
``OPENBADGES_TEST_DATABASE_URL`` names a reachable server) and compares with a baseline measured in the same run:
the raw bulk INSERT of the same number of prepared rows, without the API. Target: 10k hosted < 10 s.
``--quick``: 2,000 hosted and 200 signed.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import async_sessionmaker

from benchmarks._live import postgres_database, sqlite_database
from hosting import Settings, create_app
from hosting.api.auth import create_token
from hosting.app.demo import demo_png
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine
from hosting.lib.urls import PublicUrls
from hosting.storage.models import Assertion, utcnow
from hosting.storage.store import Award, HostingStore, _row

BASE = "http://bench.local"
SECRET = "bench-secret-" + "z" * 24
TARGET_HOSTED_SECONDS = 10.0


async def _setup(url: str) -> tuple[str, str, str]:
    """A token, an issuer with an RS256 key and two badge classes; returns (token, issuer path, badge ids)."""
    engine = create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            store = HostingStore(session, PublicUrls(BASE), KeyBox(SECRET))
            email = f"bench-{secrets.token_hex(4)}@example.org"
            token = await create_token(session, email, admin=True)
            issuer = await store.create_issuer(slug=f"bench-{secrets.token_hex(4)}", name="Bench",
                                               url="https://bench.example.org", email="b@bench.example.org")
            await store.create_key(issuer, "RS256")
            badge = await store.create_badge_class(issuer, slug="hosted", name="Hosted", description="d",
                                                   image=demo_png(), criteria_narrative="c")
            await session.commit()
            return token, issuer.public_id, badge.public_id
    finally:
        await engine.dispose()


async def _baseline(url: str, badge_public_id: str, count: int) -> float:
    """Seconds for the bare bulk INSERT (and commit) of ``count`` prepared rows."""
    engine = create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            from sqlalchemy import select

            from hosting.storage.models import BadgeClass
            badge = await session.scalar(select(BadgeClass).where(BadgeClass.public_id == badge_public_id))
            assert badge is not None
            now = utcnow()
            rows = [_row(badge, Award(recipient=f"base-{i}@example.org"), now) for i in range(count)]
            t0 = time.perf_counter()
            await session.execute(insert(Assertion), rows)
            await session.commit()
            return time.perf_counter() - t0
    finally:
        await engine.dispose()


def _post_batch(client: TestClient[Any], path: str, token: str, items: list[dict[str, Any]]) -> float:
    t0 = time.perf_counter()
    res = client.post(path, json={"assertions": items}, headers={"Authorization": f"Bearer {token}"})
    elapsed = time.perf_counter() - t0
    if res.status_code != 201:
        raise RuntimeError(f"batch failed: {res.status_code} {res.text[:300]}")
    return elapsed


def _run(label: str, url: str, hosted: int, signed: int) -> bool:
    token, issuer, badge = asyncio.run(_setup(url))
    baseline = asyncio.run(_baseline(url, badge, hosted))
    settings = Settings(database_url=url, base_url=BASE, secret_key=SECRET, access_log=False)
    path = f"/v1/issuers/{issuer}/badges/{badge}/assertions/batch"
    with TestClient(create_app(settings), base_url=BASE) as client:
        hosted_s = _post_batch(client, path, token,
                               [{"recipient": f"h{i}@example.org", "recipient_name": f"Earner {i}"}
                                for i in range(hosted)])
        signed_s = _post_batch(client, path, token,
                               [{"recipient": f"s{i}@example.org", "verification": "signed"} for i in range(signed)])
    ok = hosted_s < TARGET_HOSTED_SECONDS * hosted / 10_000
    print(f"[{label}] baseline: raw bulk INSERT of {hosted:,} rows: {baseline:.2f} s")
    print(f"[{label}] batch {hosted:,} hosted (notify on) in one request: {hosted_s:.2f} s "
          f"({hosted / hosted_s:,.0f}/s; target < {TARGET_HOSTED_SECONDS * hosted / 10_000:.1f} s: "
          f"{'met' if ok else 'MISSED'}; {hosted_s / baseline:.1f}x the raw insert)")
    print(f"[{label}] batch {signed:,} signed RS256 in one request: {signed_s:.2f} s "
          f"({signed_s / signed * 1000:.2f} ms each)")
    return ok


def main(argv: list[str] | None = None) -> int:
    quick = "--quick" in (argv or [])
    hosted, signed = (2_000, 200) if quick else (10_000, 1_000)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= _run("SQLite", sqlite_database(Path(tmp)), hosted, signed)
    with postgres_database() as url:
        if url is not None:
            ok &= _run("PostgreSQL", url, hosted, signed)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
