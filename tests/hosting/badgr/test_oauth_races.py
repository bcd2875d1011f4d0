"""Races on one-time credentials: of concurrent refreshes with one refresh token, or exchanges of one
authorization code, exactly one wins (and the loser ends the family)."""

from __future__ import annotations

import asyncio
from typing import Any

from _badgr_support import make_client, make_user, password_token
from litestar.testing import AsyncTestClient

from hosting import Settings, create_app

BASE_URL = "http://testserver.local"


def test_concurrent_refreshes_with_one_token_one_wins(badgr: Any, badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings)
    token = password_token(badgr, client_id, email).json()
    form = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": client_id}

    async def _race() -> list[Any]:
        async with AsyncTestClient(create_app(badgr_settings), base_url=BASE_URL) as api:
            return list(await asyncio.gather(*(api.post("/o/token", data=form) for _ in range(4))))

    results = asyncio.run(_race())
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(200) == 1 and set(statuses) == {200, 400}, [r.text for r in results]
    # whatever the interleaving, a refresh token used twice ends the family: no token of this login survives
    for res in results:
        if res.status_code == 200:
            access = res.json()["access_token"]
            assert badgr.get("/v2/users/self", headers={"Authorization": f"Bearer {access}"}).status_code == 401
