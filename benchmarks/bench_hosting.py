"""Load test of the hosting app on loopback: ``python -m benchmarks hosting [--quick]``.

A real ``openbadges-server run`` process (uvicorn, 1 worker) on SQLite holding 100,000 assertions; ``wrk``
(installed with apt-get when missing and we are root; else an async httpx load generator) drives, in one run:

* the hello-world route of the same app (the baseline),
* ``GET /public/assertions/{id}`` (JSON-LD) rotating over 1,000 assertions,
* the same with ``If-None-Match`` (a 304 revalidation),
  (in-process cache period: ``OPENBADGES_BENCH_CACHE_SECONDS``, default 10 as in production),
* the cold path: ``GET /public/assertions/{id}`` over the assertions never read before, each read once
  (many distinct badges read once: no in-process cache hit, the row's stored document or a render),
* and, for information, the assertion route with the in-process cache switched off
  (``OPENBADGES_PUBLIC_CACHE_SECONDS=0``: one SELECT per request).

Prints req/s, p50 and p99 for each and the ratios; targets: assertion >= 60% of the baseline's rate,
p99 < 50 ms at 64 connections, 304 >= 80% of the baseline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from hosting.app.demo import seed_demo
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine
from hosting.lib.urls import PublicUrls
from hosting.storage.migrate import migrate

CONNECTIONS = 64
ASSERTIONS = 100_000
ROTATE = 1_000
SECRET = "bench-secret-" + "z" * 24


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _fill(db: str, urls: PublicUrls, total: int) -> list[str]:
    """Demo data plus ``total`` hosted assertions, issued by the store's own pipeline (``HostingStore.award``,
    10,000 per transaction), so the rows have the shape the code under test gives them."""
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from hosting.storage.models import BadgeClass
    from hosting.storage.store import Award, HostingStore

    engine = create_engine(db)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            keybox = KeyBox(SECRET)
            demo = await seed_demo(session, urls, keybox)
            await session.commit()
            badge = (await session.execute(select(BadgeClass).where(BadgeClass.public_id == demo.badge_png))
                     ).scalar_one()
            store = HostingStore(session, urls, keybox)
            ids: list[str] = []
            batch = 10_000
            for start in range(0, total, batch):
                awards = [Award(recipient=f"learner{i}@example.org")
                          for i in range(start, min(total, start + batch))]
                ids.extend(a.public_id for a in await store.award(badge, awards))
                await session.commit()
            return ids
    finally:
        await engine.dispose()


def _ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or os.environ.get("OPENBADGES_BENCH_NO_APT"):
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("wrk")


_LUA_ROTATE = """
local ids = {}
for line in io.lines("%s") do ids[#ids + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", ids[(n %% #ids) + 1], {["Accept"] = "application/ld+json"%s})
end
"""


def _parse_wrk(out: str) -> tuple[float, float, float]:
    def ms(text: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"wrk saw {non2xx.group(1)} error responses:\n{out}")
    return rps, p50, p99


def _wrk(wrk: str, url: str, seconds: int, script: Path | None = None,
         header: str | None = None) -> tuple[float, float, float]:
    cmd = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", str(script)]
    if header:
        cmd += ["-H", header]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    return _parse_wrk(out)


async def _httpx_load(urls: list[str], seconds: float, headers: dict[str, str]) -> tuple[float, float, float]:
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(limits=limits, headers=headers) as client:
        async def worker(offset: int) -> None:
            n = offset
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                res = await client.get(urls[n % len(urls)])
                latencies.append((time.perf_counter() - t0) * 1000)
                if res.status_code >= 400:
                    raise RuntimeError(f"{res.status_code} from {res.url}")
                n += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(CONNECTIONS)))
        elapsed = time.perf_counter() - t0
    qs = statistics.quantiles(latencies, n=100)
    return len(latencies) / elapsed, qs[49], qs[98]


@contextlib.contextmanager
def _server(tmp: Path, port: int, env: dict[str, str]) -> Iterator[None]:
    proc = subprocess.Popen(
        [sys.executable, "-c", "from hosting.app.cli import main; main()", "run", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def main(argv: list[str] | None = None) -> int:
    quick = "--quick" in (argv or [])
    seconds = 4 if quick else 10
    total = 10_000 if quick else ASSERTIONS
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        db = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        t0 = time.perf_counter()
        migrate(db)
        ids = asyncio.run(_fill(db, PublicUrls(base), total))
        print(f"stored {total:,} assertions in {time.perf_counter() - t0:.1f} s (SQLite, {db})")
        env = {**os.environ, "OPENBADGES_DATABASE_URL": db, "OPENBADGES_BASE_URL": base,
               "OPENBADGES_SECRET_KEY": SECRET}
        sample = ids[:: max(1, len(ids) // ROTATE)][:ROTATE]
        urls = [f"{base}/public/assertions/{pid}" for pid in sample]
        wrk = _ensure_wrk()
        paths = tmp / "paths.txt"
        paths.write_text("\n".join(u.removeprefix(base) for u in urls) + "\n")
        script = tmp / "rotate.lua"
        script.write_text(_LUA_ROTATE % (paths, ""))
        sampled = set(sample)
        cold_ids = [pid for pid in ids if pid not in sampled]
        cold_paths = tmp / "cold.txt"
        cold_paths.write_text("\n".join(f"/public/assertions/{pid}" for pid in cold_ids) + "\n")
        cold_script = tmp / "cold.lua"
        cold_script.write_text(_LUA_ROTATE % (cold_paths, ""))
        gen = "wrk, 1 thread" if wrk else "async httpx (wrk unavailable)"
        print(f"load generator: {gen}, {CONNECTIONS} connections, {seconds} s per route, "
              f"assertions rotate over {len(urls):,} ids")

        def load(target: list[str], headers: dict[str, str] | None = None,
                 rotate: Path = script) -> tuple[float, float, float]:
            if wrk:
                if len(target) > 1:
                    return _wrk(wrk, base, seconds, rotate)
                header = "; ".join(f"{k}: {v}" for k, v in (headers or {}).items()) or None
                return _wrk(wrk, target[0], seconds, header=header)
            return asyncio.run(_httpx_load(target, seconds, headers or {}))

        results: dict[str, tuple[float, float, float]] = {}
        for cache in (os.environ.get("OPENBADGES_BENCH_CACHE_SECONDS", "10"), "0"):
            with _server(tmp, port, {**env, "OPENBADGES_PUBLIC_CACHE_SECONDS": cache}):
                etags = {}
                with httpx.Client() as c:  # read each sampled document once (and note its ETag)
                    for url in urls:
                        res = c.get(url)
                        res.raise_for_status()
                        etags[url] = res.headers["etag"]
                if cache != "0":
                    results["hello (baseline)"] = load([f"{base}/hello"])
                    results["GET cold, read once"] = load(
                        [f"{base}/public/assertions/{pid}" for pid in cold_ids], rotate=cold_script)
                    with httpx.Client() as c:  # warm the in-process cache right before measuring
                        for url in urls:
                            c.get(url).raise_for_status()
                    results["GET assertion"] = load(urls)
                    results["304 revalidation"] = load([urls[0]], {"If-None-Match": etags[urls[0]]})
                else:
                    results["GET assertion, no cache"] = load(urls)
    base_rps = results["hello (baseline)"][0]
    print(f"{'route':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs baseline':>13}")
    for name, (rps, p50, p99) in results.items():
        print(f"{name:<24}{rps:>10.0f}{p50:>10.2f}{p99:>10.2f}{rps / base_rps:>12.0%}")
    a_rps, _, a_p99 = results["GET assertion"]
    n_rps = results["304 revalidation"][0]
    checks = [
        ("assertion >= 60% of baseline", a_rps / base_rps >= 0.60),
        ("assertion p99 < 50 ms", a_p99 < 50),
        ("304 >= 80% of baseline", n_rps / base_rps >= 0.80),
    ]
    for label, ok in checks:
        print(f"target {label}: {'met' if ok else 'MISSED'}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
