"""Two hosts on one PostgreSQL: ``python -m benchmarks two_hosts [--quick]``.

Two ``openbadges-server run`` processes (hosts A and B, one worker each, the same public base URL as behind a
load balancer, a 60 s in-process public cache) share one throw-away PostgreSQL database (the server named by
``OPENBADGES_TEST_DATABASE_URL``). In one run:

* **read rate**: ``wrk`` reads ``GET /public/assertions/{id}`` rotating over 1,000 assertions, first through A
  alone (the baseline, 64 connections), then through A and B together (32 connections each); the combined rate is
  printed beside the baseline's. On this 2-core machine the load generator and both servers share the cores, so
  the combined rate shows the cost of a second host here, not a second machine's gain.
* **revocation visibility**: 200 assertions, each first read through B (so B caches it), revoked through A's
  ``/v1`` API, then read through B every 2 ms until it answers 410; the delay counts from A's answer to the
  revoke. B is kept under read load meanwhile. Prints p50, p95 and max; the promise (docs/deployment.md) is
  1 second.

Exit 1 when a revocation took longer than the promise or a read saw an error answer.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from benchmarks._live import live_server, postgres_database
from benchmarks._wrk import Load, WrkRun, find_wrk, rotate_script
from hosting.api.auth import create_token
from hosting.app.demo import seed_demo
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine
from hosting.lib.urls import PublicUrls
from hosting.storage.models import BadgeClass
from hosting.storage.store import Award, HostingStore

SECRET = "two-hosts-secret-" + "q" * 24
PUBLIC_BASE = "https://badges.example.org"  # both hosts answer for one public name
PROMISE = 1.0
CONNECTIONS = 64
READ_IDS = 1_000


async def _fill(url: str, total: int) -> tuple[str, list[str]]:
    """Demo data, an admin token and ``total`` hosted assertions issued by the store's pipeline."""
    engine = create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            keybox = KeyBox(SECRET)
            demo = await seed_demo(session, PublicUrls(PUBLIC_BASE), keybox)
            token = await create_token(session, "ops@example.org", admin=True)
            await session.commit()
            badge = (await session.execute(select(BadgeClass).where(BadgeClass.public_id == demo.badge_png))
                     ).scalar_one()
            awarded = await HostingStore(session, PublicUrls(PUBLIC_BASE), keybox).award(
                badge, [Award(recipient=f"learner{i}@example.org") for i in range(total)])
            await session.commit()
            return token, [a.public_id for a in awarded]
    finally:
        await engine.dispose()


def _reads(wrk: str, targets: list[tuple[str, int]], script: Path, seconds: float) -> list[Load]:
    runs = [WrkRun(wrk, base, connections=connections, seconds=seconds, script=script) for base, connections in targets]
    return [run.result() for run in runs]


@dataclass(frozen=True)
class Delay:
    """After A acknowledged a revoke: when the last request B still answered 200 was sent (0 when none was), and
    when B's first 410 arrived (includes that request's own latency under load)."""

    stale: float
    seen: float


def _revocation_delays(a: str, b: str, token: str, ids: list[str]) -> list[Delay]:
    delays: list[Delay] = []
    headers = {"Accept": "application/json"}
    with httpx.Client(timeout=10, headers=headers) as client:
        for public_id in ids:
            url = f"{b}/public/assertions/{public_id}"
            first = client.get(url)
            if first.status_code != 200:
                raise RuntimeError(f"B answered {first.status_code} before the revoke of {public_id}")
            res = client.post(f"{a}/v1/assertions/{public_id}/revoke", json={"reason": "bench", "notify": False},
                              headers={"Authorization": f"Bearer {token}"})
            acknowledged = time.perf_counter()
            if res.status_code != 200:
                raise RuntimeError(f"revoke through A: {res.status_code} {res.text[:200]}")
            stale = 0.0  # when the last request that B still answered 200 was sent, after the acknowledgement
            while True:
                sent = time.perf_counter()
                status = client.get(url).status_code
                if status == 410:
                    break
                if status != 200 or sent - acknowledged > 30:
                    raise RuntimeError(f"B answers {status} for {public_id} {sent - acknowledged:.1f} s after "
                                       "its revoke")
                stale = sent - acknowledged
                time.sleep(0.002)
            delays.append(Delay(stale, time.perf_counter() - acknowledged))
    return delays


def main(argv: list[str] | None = None) -> int:
    quick = "--quick" in (argv or [])
    seconds = 4 if quick else 10
    revocations = 50 if quick else 200
    wrk = find_wrk()
    if not wrk:
        print("skipped: wrk is not installed (apt-get install wrk)")
        return 0
    with postgres_database() as url, tempfile.TemporaryDirectory() as tmpdir:
        if url is None:
            print("skipped: no PostgreSQL (set OPENBADGES_TEST_DATABASE_URL)")
            return 0
        tmp = Path(tmpdir)
        token, ids = asyncio.run(_fill(url, READ_IDS + revocations))
        reads = rotate_script([f"/public/assertions/{pid}" for pid in ids[:READ_IDS]], tmp, "reads")
        doomed = ids[READ_IDS:]
        def host(name: str) -> AbstractContextManager[str]:
            return live_server(url, SECRET, tmp / f"{name}.log", OPENBADGES_BASE_URL=PUBLIC_BASE,
                               OPENBADGES_PUBLIC_CACHE_SECONDS="60")

        with host("a") as a, host("b") as b:
            print(f"hosts A {a} and B {b} on PostgreSQL; wrk {CONNECTIONS} connections, {seconds} s per phase")
            _reads(wrk, [(a, CONNECTIONS), (b, CONNECTIONS)], reads, 2)  # warm both caches
            (alone,) = _reads(wrk, [(a, CONNECTIONS)], reads, seconds)
            both = _reads(wrk, [(a, CONNECTIONS // 2), (b, CONNECTIONS // 2)], reads, seconds)
            background = WrkRun(wrk, b, connections=16, seconds=max(30, revocations * 0.5), script=reads)
            delays = _revocation_delays(a, b, token, doomed)
            under_load = background.result()
    combined = sum(load.rps for load in both)
    print(f"{'reads':<26}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'A alone (baseline)':<26}{alone.rps:>10.0f}{alone.p50:>10.2f}{alone.p99:>10.2f}")
    for name, load in zip(("A, with B", "B, with A"), both, strict=True):
        print(f"{name:<26}{load.rps:>10.0f}{load.p50:>10.2f}{load.p99:>10.2f}")
    print(f"combined A + B: {combined:.0f} req/s = {combined / alone.rps:.0%} of A alone")
    seen = sorted(d.seen * 1000 for d in delays)
    stale = sorted(d.stale * 1000 for d in delays)
    print(f"revocations: {len(delays)} through A, B under read load ({under_load.rps:.0f} req/s, p99 "
          f"{under_load.p99:.0f} ms)")
    for label, ms in (("B's first 410 arrived after", seen), ("B's last 200 was asked for after", stale)):
        p95 = statistics.quantiles(ms, n=20)[18]
        print(f"  {label:<34} p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  max {ms[-1]:7.1f} ms")
    errors = alone.errors + sum(load.errors for load in both)
    checks = [(f"no request sent {PROMISE:.0f} s after a revoke answered 200", stale[-1] < PROMISE * 1000),
              ("no error answer to a read", errors == 0)]
    for label, ok in checks:
        print(f"target {label}: {'met' if ok else 'MISSED'}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
