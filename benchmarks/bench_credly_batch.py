"""The Credly batch (``POST /v1/organizations/{org}/badges/batch``) against ``/v1``'s batch, same run, same
database: 1,000 items in one request each (Credly's limit), emails on. Credly's badges wait for their earner
(pending, with an accept link), so ``/v1`` is measured both as issued (accepted) and with ``acceptance: earner``.
Target: the Credly batch within 1.5x of ``/v1``'s earner batch. ``--quick``: 300 items.

Runs the real app in-process (Litestar ``TestClient``) on a SQLite file, and on a throw-away PostgreSQL database
when ``OPENBADGES_TEST_DATABASE_URL`` names a reachable server.
"""

from __future__ import annotations

import asyncio
import base64
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from benchmarks._live import postgres_database, sqlite_database
from benchmarks.bench_api_issue import BASE, SECRET, _setup
from hosting import Settings, create_app

TARGET_RATIO = 1.5


def _timed(client: TestClient[Any], path: str, body: dict[str, Any], headers: dict[str, str]) -> float:
    t0 = time.perf_counter()
    res = client.post(path, json=body, headers=headers)
    elapsed = time.perf_counter() - t0
    if res.status_code != 201:
        raise RuntimeError(f"batch failed: {res.status_code} {res.text[:300]}")
    return elapsed


def _run(label: str, url: str, count: int) -> bool:
    token, issuer, badge = asyncio.run(_setup(url))
    settings = Settings(database_url=url, base_url=BASE, secret_key=SECRET, access_log=False)
    bearer = {"Authorization": f"Bearer {token}"}
    basic = {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}
    v1 = f"/v1/issuers/{issuer}/badges/{badge}/assertions/batch"
    credly = f"/v1/organizations/{issuer}/badges/batch"

    def credly_items(tag: str) -> list[dict[str, Any]]:
        return [{"recipient_email": f"{tag}{i}@example.org", "issued_to_first_name": "Earner",
                 "issued_to_last_name": str(i), "badge_template_id": badge,
                 "issued_at": "2024-05-01 09:41:00 -0500"} for i in range(count)]

    with TestClient(create_app(settings), base_url=BASE) as client:
        _timed(client, credly, {"badges": credly_items("warm")[:20]}, basic)  # first-request costs aside
        issued = _timed(client, v1, {"assertions": [{"recipient": f"a{i}@example.org", "recipient_name": f"E {i}"}
                                                    for i in range(count)]}, bearer)
        earner = _timed(client, v1, {"acceptance": "earner", "assertions": [
            {"recipient": f"p{i}@example.org", "recipient_name": f"E {i}"} for i in range(count)]}, bearer)
        credly_s = _timed(client, credly, {"badges": credly_items("c")}, basic)
    ok = credly_s < TARGET_RATIO * earner
    print(f"[{label}] /v1 batch of {count:,} (accepted): {issued:.2f} s ({count / issued:,.0f}/s)")
    print(f"[{label}] /v1 batch of {count:,} (acceptance: earner, accept links): {earner:.2f} s "
          f"({count / earner:,.0f}/s)")
    print(f"[{label}] Credly batch of {count:,} (pending, accept links): {credly_s:.2f} s ({count / credly_s:,.0f}/s; "
          f"{credly_s / earner:.2f}x /v1's earner batch, target < {TARGET_RATIO}x: {'met' if ok else 'MISSED'})")
    return ok


def main(argv: list[str] | None = None) -> int:
    count = 300 if "--quick" in (argv or []) else 1_000
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= _run("SQLite", sqlite_database(Path(tmp)), count)
    with postgres_database() as url:
        if url is not None:
            ok &= _run("PostgreSQL", url, count)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
