"""Credly's Get Badges in Bulk deep in a large organisation: ``python -m benchmarks credly_search [--quick]``.

An SQLite file database holding 100,000 badges of one organisation (20,000 with ``--quick``), bulk-inserted
(as ``bench_api_list``); the app in-process (Litestar ``TestClient``, no sockets), HTTP Basic with an API token as
a Credly client sends it. Measured, as median and p90 of repeated calls (50 badges a page):

* ``GET …/high_volume_issued_badge_search`` page 1, ``badge_format=default`` and ``minimal`` — the baselines,
* the same with the cursor at depth 90% (90,000 of 100,000): the cursor of the badge there, made as the server
  makes it (checked first against a cursor the server answered),
* for contrast, Get Issued Badges (``GET …/badges``) page 1 (with its count) and the page at that depth by
  ``page=`` (an offset).

Target: each deep cursor page within 2x of its format's page 1 (keyset: the cost must not grow with depth).
"""

from __future__ import annotations

import asyncio
import sys
from functools import partial
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from benchmarks.bench_api_list import BASE_URL, PER_PAGE, _timed, filled_database
from hosting import Settings, create_app
from hosting.credly.search import next_cursor
from hosting.lib.db import create_engine
from hosting.storage.models import Assertion, Issuer

DEEP = 90_000 / 100_000
TARGET = 2.0


async def _deep_cursor(settings: Settings, issuer_public_id: str, position: int) -> tuple[str, str]:
    """(cursor after the badge at ``position`` in creation order, the recipient of the badge after it)."""
    engine = create_engine(settings.database_url)
    try:
        async with async_sessionmaker(engine)() as session:
            issuer_id = await session.scalar(select(Issuer.id).where(Issuer.public_id == issuer_public_id))
            assert issuer_id is not None
            rows = (await session.execute(
                select(Assertion.created_at, Assertion.id, Assertion.recipient_plaintext)
                .where(Assertion.issuer_id == issuer_id).order_by(Assertion.created_at, Assertion.id)
                .offset(position - 1).limit(2))).all()
            return next_cursor(settings.secret_key, issuer_id, "", rows[0][0], rows[0][1]), str(rows[1][2])
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    from litestar.testing import TestClient

    quick = "--quick" in (argv or [])
    total, repeat = (20_000, 15) if quick else (100_000, 40)
    depth = int(total * DEEP)
    with filled_database(total) as (settings, (token, issuer, _), seconds):
        print(f"{total:,} badges inserted in {seconds:.1f} s; {PER_PAGE} a page, "
              f"deep = after {depth:,} badges; {repeat} calls each")
        deep, deep_first = asyncio.run(_deep_cursor(settings, issuer, depth))
        second, _ = asyncio.run(_deep_cursor(settings, issuer, PER_PAGE))
        search = f"/v1/organizations/{issuer}/high_volume_issued_badge_search"
        listing = f"/v1/organizations/{issuer}/badges"
        with TestClient(create_app(settings), base_url=BASE_URL) as client:
            client.auth = (token, "")  # HTTP Basic: the token as the user name, an empty password

            def fetch(url: str) -> dict[str, Any]:
                res = client.get(url)
                assert res.status_code == 200, res.text
                body: dict[str, Any] = res.json()
                assert body["data"], url
                return body

            # the cursor made here is the one the server hands out
            answered = fetch(search)["metadata"]["next_page_url"]
            assert parse_qs(urlsplit(answered).query)["cursor"][0], answered
            assert fetch(answered.removeprefix(BASE_URL))["data"] == fetch(f"{search}?cursor={quote(second)}")["data"]
            cases = {
                "search page 1, default": search,
                "search deep, default": f"{search}?cursor={quote(deep)}",
                "search page 1, minimal": f"{search}?badge_format=minimal",
                "search deep, minimal": f"{search}?badge_format=minimal&cursor={quote(deep)}",
                "list page 1 (counts)": listing,
                "list deep by page (offset)": f"{listing}?page={depth // PER_PAGE + 1}",
            }
            got = fetch(cases["search deep, minimal"])["data"][0]["recipient_email"]
            assert got == deep_first, (got, deep_first)
            times = {name: _timed(partial(fetch, url), repeat) for name, url in cases.items()}
    status = 0
    print(f"{'case':<28} {'median ms':>10} {'p90 ms':>8} {'vs its page 1':>14} {'target':>12}")
    for name, (median, p90) in times.items():
        baseline = times[f"search page 1, {name.rsplit(' ', 1)[-1]}"][0] if name.startswith("search") \
            else times["list page 1 (counts)"][0]
        ratio = median / baseline
        target = TARGET if name.startswith("search deep") else None
        ok = target is None or ratio <= target
        status |= not ok
        verdict = "-" if target is None else f"{target:.1f}x {'ok' if ok else 'MISSED'}"
        print(f"{name:<28} {median * 1000:>10.2f} {p90 * 1000:>8.2f} {ratio:>13.2f}x {verdict:>12}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
