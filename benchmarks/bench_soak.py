"""Soak: a live server (uvicorn on 127.0.0.1, SQLite then PostgreSQL) under 50 concurrent clients issuing,
revoking and replacing — often racing each other on the same assertions — then an invariant check.

Invariants: no assertion in two terminal states (revoked and replaced, twice replaced, revoked with an active
replacement), no acknowledged change missing (every 2xx'd issue readable publicly, every 2xx'd revoke → 410,
every 2xx'd replace → 301), the badge classes' ``limit`` and ``unique`` held, no 5xx other than 503 ("not stored,
retry"). Prints the requests per kind and status and the violations; exits 1 when any invariant is broken. ``--seconds N`` per database
(default 60). This is a correctness soak, not a speed target: the request rate is printed for information.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from benchmarks._live import live_server, postgres_database, sqlite_database
from hosting.api.auth import create_token
from hosting.app.demo import demo_png
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine
from hosting.lib.urls import PublicUrls
from hosting.storage.models import Assertion, AssertionState
from hosting.storage.store import HostingStore

SECRET = "soak-secret-" + "s" * 24
CLIENTS = 50
LIMIT = 60
UNIQUE_POOL = 25
HOT = 30  # revokes and replaces pick among the latest assertions, so clients collide on them


@dataclass
class World:
    token: str
    issuer: str
    badges: dict[str, str]  # kind (plain, limited, unique) → public id
    badge_ids: dict[str, int]


@dataclass
class Ledger:
    """What the server acknowledged (2xx), and every response's status per request kind."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    issued: list[str] = field(default_factory=list)
    revoked: Counter[str] = field(default_factory=Counter)
    replaced: dict[str, list[str]] = field(default_factory=dict)


async def _world(url: str, base: str) -> World:
    engine = create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            store = HostingStore(session, PublicUrls(base), KeyBox(SECRET))
            token = await create_token(session, f"soak-{secrets.token_hex(4)}@example.org", admin=True)
            issuer = await store.create_issuer(slug=f"soak-{secrets.token_hex(4)}", name="Soak",
                                               url="https://soak.example.org", email="s@soak.example.org")
            rules: dict[str, dict[str, Any]] = {"plain": {}, "limited": {"limit": LIMIT}, "unique": {"unique": True}}
            badges = {kind: await store.create_badge_class(issuer, slug=kind, name=kind.title(), description="d",
                                                           image=demo_png(), criteria_narrative="c", **extra)
                      for kind, extra in rules.items()}
            await session.commit()
            return World(token, issuer.public_id, {k: b.public_id for k, b in badges.items()},
                         {k: b.id for k, b in badges.items()})
    finally:
        await engine.dispose()


class _Client:
    def __init__(self, http: httpx.AsyncClient, world: World, ledger: Ledger, rng: random.Random) -> None:
        self.http, self.world, self.ledger, self.rng = http, world, ledger, rng

    async def _call(self, kind: str, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response | None:
        try:
            res = await self.http.request(method, path, json=body)
        except httpx.HTTPError:
            self.ledger.statuses[(kind, 0)] += 1  # 0: no response (transport error, timeout)
            return None
        self.ledger.statuses[(kind, res.status_code)] += 1
        return res

    async def issue(self) -> None:
        kind = self.rng.choice(("plain", "plain", "limited", "unique"))
        recipient = (f"u{self.rng.randrange(UNIQUE_POOL)}@example.org" if kind == "unique"
                     else f"r-{secrets.token_hex(6)}@example.org")
        res = await self._call("issue", "POST", f"/v1/issuers/{self.world.issuer}/badges/"
                               f"{self.world.badges[kind]}/assertions", {"recipient": recipient})
        if res is not None and res.is_success:
            self.ledger.issued.append(res.json()["assertion"]["id"])

    async def revoke(self, target: str) -> None:
        res = await self._call("revoke", "POST", f"/v1/assertions/{target}/revoke", {"reason": "soak"})
        if res is not None and res.is_success:
            self.ledger.revoked[target] += 1

    async def replace(self, target: str) -> None:
        res = await self._call("replace", "POST", f"/v1/assertions/{target}/replace", {})
        if res is not None and res.is_success:
            new = res.json()["assertion"]["id"]
            self.ledger.replaced.setdefault(target, []).append(new)
            self.ledger.issued.append(new)

    async def read(self, target: str) -> None:
        await self._call("read", "GET", f"/public/assertions/{target}")

    async def step(self) -> None:
        roll, hot = self.rng.random(), self.ledger.issued[-HOT:]
        if roll < 0.35 or not hot:
            await self.issue()
            return
        target = self.rng.choice(hot)
        if roll < 0.55:
            await self.revoke(target)
        elif roll < 0.75:
            await self.replace(target)
        elif roll < 0.90:  # two changes of one assertion at once
            ops: list[Callable[[str], Awaitable[None]]] = [self.revoke, self.replace]
            await asyncio.gather(*(self.rng.choice(ops)(target) for _ in range(2)))
        else:
            await self.read(target)


async def _load(base: str, world: World, seconds: float, seed: int) -> Ledger:
    ledger = Ledger()
    headers = {"Authorization": f"Bearer {world.token}"}
    limits = httpx.Limits(max_connections=CLIENTS * 2, max_keepalive_connections=CLIENTS * 2)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30, limits=limits) as http:
        end = time.monotonic() + seconds

        async def _run(n: int) -> None:
            client = _Client(http, world, ledger, random.Random(seed * 1000 + n))
            while time.monotonic() < end:
                await client.step()

        await asyncio.gather(*(_run(n) for n in range(CLIENTS)))
    return ledger


async def _public_statuses(base: str, ids: set[str]) -> dict[str, int]:
    gate = asyncio.Semaphore(20)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        async def _one(public_id: str) -> tuple[str, int]:
            async with gate:
                return public_id, (await http.get(f"/public/assertions/{public_id}")).status_code

        return dict(await asyncio.gather(*(_one(i) for i in sorted(ids))))


async def check(url: str, base: str, world: World, ledger: Ledger) -> Counter[str]:
    """The invariant violations after a run, by kind (empty: all held)."""
    v: Counter[str] = Counter()
    # A 503 is an honest "not stored, retry" (SQLite's write lock not free within its busy timeout under 50 writers,
    # with Retry-After); it is counted in the status table, not as a broken invariant. Any other 5xx is.
    v["5xx responses other than 503"] = sum(n for (_, status), n in ledger.statuses.items()
                                            if status >= 500 and status != 503)
    v["revoked twice (both 2xx)"] = sum(1 for n in ledger.revoked.values() if n > 1)
    v["replaced twice (both 2xx)"] = sum(1 for news in ledger.replaced.values() if len(news) > 1)
    v["revoked and replaced (both 2xx)"] = len(set(ledger.revoked) & set(ledger.replaced))
    engine = create_engine(url)
    try:
        async with async_sessionmaker(engine)() as session:
            rows = (await session.execute(select(
                Assertion.id, Assertion.public_id, Assertion.state, Assertion.replaced_by_id, Assertion.revoked_at,
                Assertion.badge_class_id, Assertion.recipient_plaintext))).all()
    finally:
        await engine.dispose()
    by_id = {r.id: r for r in rows}
    v["stored revoked and replaced"] = sum(
        1 for r in rows if (r.state == AssertionState.REVOKED and r.replaced_by_id is not None)
        or (r.state == AssertionState.REPLACED and r.revoked_at is not None))
    v["revoked with an active replacement"] = sum(
        1 for r in rows if r.state == AssertionState.REVOKED and r.replaced_by_id is not None
        and by_id[r.replaced_by_id].state == AssertionState.ACTIVE)
    counted = [r for r in rows if r.badge_class_id == world.badge_ids["limited"] and r.state != AssertionState.REPLACED]
    v["limit exceeded (assertions over the limit)"] = max(0, len(counted) - LIMIT)
    holders = Counter(r.recipient_plaintext for r in rows
                      if r.badge_class_id == world.badge_ids["unique"] and r.state == AssertionState.ACTIVE)
    v["unique broken (recipients holding it twice)"] = sum(1 for n in holders.values() if n > 1)
    public = await _public_statuses(base, set(ledger.issued) | set(ledger.revoked) | set(ledger.replaced))
    both = set(ledger.revoked) & set(ledger.replaced)  # counted above; the public answer shows one of them
    for i in ledger.issued:
        v[f"2xx'd issue answers {public[i]} publicly"] += public[i] not in (200, 301, 410)
    for i in set(ledger.revoked) - both:
        v[f"2xx'd revoke answers {public[i]} publicly, not 410"] += public[i] != 410
    for i in set(ledger.replaced) - both:
        v[f"2xx'd replace answers {public[i]} publicly, not 301"] += public[i] != 301
    return +v  # drop the zeros


def _logged_errors(log: Path) -> Counter[tuple[str, str]]:
    """The exceptions in the server's JSON log lines (type, first line of the message), counted."""
    found: Counter[tuple[str, str]] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"exc_type"' in line:
            entry = json.loads(line)
            found[(entry["exc_type"], str(entry.get("exc_message", "")).splitlines()[0][:200])] += 1
    return found


def soak(label: str, url: str, seconds: float, workdir: Path, seed: int = 1) -> Counter[str]:
    """One soak run against a fresh server on ``url``; prints the counts and returns the violations."""
    log = workdir / f"server-{label}.log"
    with live_server(url, SECRET, log) as base:
        world = asyncio.run(_world(url, base))
        t0 = time.perf_counter()
        ledger = asyncio.run(_load(base, world, seconds, seed))
        elapsed = time.perf_counter() - t0
        violations = asyncio.run(check(url, base, world, ledger))
    total = sum(ledger.statuses.values())
    print(f"[{label}] {elapsed:.1f} s, {CLIENTS} clients: {total:,} requests ({total / elapsed:,.0f}/s); "
          f"{len(ledger.issued):,} assertions acknowledged, {len(ledger.revoked):,} revoked, "
          f"{len(ledger.replaced):,} replaced")
    for kind in ("issue", "revoke", "replace", "read"):
        counts = sorted((status, n) for (k, status), n in ledger.statuses.items() if k == kind)
        print(f"[{label}]   {kind:<8}" + "  ".join(f"{status or 'no-response'}: {n:,}" for status, n in counts))
    for (exc_type, message), n in sorted(_logged_errors(log).items()):
        print(f"[{label}]   server logged {n:,} x {exc_type}: {message}")
    if violations:
        for name, n in sorted(violations.items()):
            print(f"[{label}]   VIOLATION {name}: {n:,}")
    else:
        print(f"[{label}]   invariants held")
    return violations


def main(argv: list[str] | None = None) -> int:
    args = list(argv or [])
    seconds = 60.0
    for i, arg in enumerate(args):
        if arg.startswith("--seconds"):
            seconds = float(arg.partition("=")[2] or args[i + 1])
    broken = False
    with tempfile.TemporaryDirectory() as tmp:
        broken |= bool(soak("SQLite", sqlite_database(Path(tmp)), seconds, Path(tmp)))
        with postgres_database() as pg:
            if pg is not None:
                broken |= bool(soak("PostgreSQL", pg, seconds, Path(tmp)))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
