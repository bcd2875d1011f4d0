"""Deletions racing an award, through each API over real HTTP (uvicorn on 127.0.0.1): ``/v1``, Credly, BadgeKit
and Badgr. An award holds the badge class lock (uncommitted) while the API's DELETE arrives; the deletion waits for
it, then counts it: a badge class is refused with 409 in that API's error shape, an issuer is refused (409) or, where
the API deletes by force, deleted with the award revoked. Never a 500, never a live assertion under a deleted
issuer. The store-level interleavings are in ``test_api_badge_delete_race.py`` and ``test_api_issuer_delete_race.py``.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
from conftest import run_store
from litestar.testing import TestClient
from sqlalchemy import select

from hosting import Settings, create_app
from hosting.storage.models import BadgeClass
from hosting.storage.store import HostingStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
sys.path.extend(str(Path(__file__).resolve().parents[1] / api) for api in ("badgekit", "badgr"))  # their clients
from _badgekit_support import BadgeKit, new_key, sign
from _badgr_support import PNG_DATA_URI, bearer, login, make_user
from _hosting_live import serve_app
from _issue_support import Team, api_fixture, team_fixture  # noqa: F401 - fixtures
from _race_support import (
    award_one,
    badge_class_state,
    issuer_state,
    run_writing,
    session_stores,
    until_blocked,
)

Headers = Callable[[str, str], dict[str, str]]  # (method, path) -> the request's credentials


class _Made(NamedTuple):
    """A badge class made through one API, and how that API names it, its issuer and its caller."""

    badge_id: int
    issuer_id: int
    badge_path: str
    issuer_path: str | None  # None: the API cannot delete its issuer (Credly's organisations)
    headers: Headers


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn in a background thread; yields its base URL."""
    with serve_app(create_app(replace(settings, db_pool_size=4))) as base:
        yield base


def _ids(settings: Settings, public_id: str) -> tuple[int, int]:
    """The badge class's id and its issuer's id."""

    async def _find(store: HostingStore) -> tuple[int, int]:
        row = (await store.session.execute(select(BadgeClass.id, BadgeClass.issuer_id).where(
            BadgeClass.public_id == public_id))).one()
        return row.id, row.issuer_id

    return run_store(settings, _find)


def _v1(settings: Settings, team: Team, badgr: TestClient[Any]) -> _Made:
    public_id = team.badge()
    token = {"Authorization": f"Bearer {team.owner}"}
    return _Made(*_ids(settings, public_id), f"{team.path}/badges/{public_id}", team.path, lambda m, p: token)


def _credly(settings: Settings, team: Team, badgr: TestClient[Any]) -> _Made:
    """Credly's organisation is the issuer, its template the badge class, its Basic user the ``/v1`` token."""
    public_id = team.badge()
    basic = {"Authorization": "Basic " + base64.b64encode(f"{team.owner}:".encode()).decode()}
    return _Made(*_ids(settings, public_id), f"/v1/organizations/{team.issuer['id']}/badge_templates/{public_id}",
                 None, lambda m, p: basic)


def _badgekit(settings: Settings, team: Team, badgr: TestClient[Any]) -> _Made:
    """A system and its badge, made through BadgeKit's API with a master key; each request signed as BadgeKit's
    clients sign (method and path in the JWT)."""
    key, secret = new_key(settings, f"master-{secrets.token_hex(3)}")
    bk = BadgeKit(team.api, key, secret)
    system = f"race-{secrets.token_hex(4)}"
    made = bk.post("/systems", json_body={"slug": system, "name": "Race", "url": "https://race.example.org",
                                           "email": "admin@race.example.org"})
    assert made.status_code == 201, made.text
    body = {"slug": "raced", "name": "Raced", "earnerDescription": "E.", "consumerDescription": "C.",
            "criteriaUrl": "https://race.example.org/criteria", "unique": False, "type": "badge",
            "imageUrl": PNG_DATA_URI}
    badge = bk.post(f"/systems/{system}/badges", json_body=body)
    assert badge.status_code == 201, badge.text

    async def _issuer_id(store: HostingStore) -> int:
        return (await store.session.get_one(BadgeClass, badge.json()["badge"]["id"])).issuer_id

    badge_id = badge.json()["badge"]["id"]
    return _Made(badge_id, run_store(settings, _issuer_id), f"/systems/{system}/badges/raced",
                 f"/systems/{system}", lambda m, p: {"Authorization": sign(key, secret, m, p)})


def _badgr(settings: Settings, team: Team, badgr: TestClient[Any]) -> _Made:
    """A user's issuer, made through Badgr's API with a password-grant token; its badge class through the store."""
    token = login(badgr, settings, make_user(settings, "racer"))
    made = badgr.post("/v2/issuers", headers=bearer(token), json={
        "name": "Race", "email": "race@example.org", "url": "https://race.example.org"})
    assert made.status_code == 201, made.text
    issuer = made.json()["result"][0]["entityId"]
    public_id = replace(team, issuer={"id": issuer}).badge()
    return _Made(*_ids(settings, public_id), f"/v2/badgeclasses/{public_id}", f"/v2/issuers/{issuer}",
                 lambda m, p: bearer(token))


_APIS: dict[str, Callable[[Settings, Team, TestClient[Any]], _Made]] = {
    "v1": _v1, "credly": _credly, "badgekit": _badgekit, "badgr": _badgr}


def _delete_during_an_award(settings: Settings, live: str, made: _Made, path: str) -> httpx.Response:
    """Award one assertion of the badge class and hold it (uncommitted) while ``DELETE path`` arrives; once the
    deletion waits on the award's lock, commit the award: the deletion's answer."""

    async def _go() -> httpx.Response:
        async with session_stores(settings) as stores, httpx.AsyncClient(base_url=live, timeout=60) as client:
            awarding = stores()
            await award_one(awarding, made.badge_id)
            task = asyncio.create_task(client.delete(path, headers=made.headers("DELETE", path)))
            await until_blocked(settings, task)
            await awarding.session.commit()
            return await task

    result: httpx.Response = run_writing(_go)
    return result


# Each API's refusal of a badge class in use, in its own error shape: the body must say so.
_BADGE_IN_USE: dict[str, Callable[[Any], bool]] = {
    "v1": lambda body: body["details"][0]["value"] == 1,
    "credly": lambda body: "archive" in body["data"]["message"],
    "badgekit": lambda body: body["code"] == "ResourceConflict" and "1 instance" in body["error"],
    "badgr": lambda body: "1 assertion" in str(body["status"]["description"]),
}


@pytest.mark.parametrize("through", sorted(_APIS))
def test_badge_class_deletion_during_an_award_is_409_not_500(settings: Settings, live: str, team: Team,
                                                            through: str, badgr: TestClient[Any]) -> None:
    """Deleting a badge class while an award of it is in progress waits for the award and answers 409 in the
    API's error shape (it has an assertion now), not a 500 (the foreign key, once the award commits)."""
    made = _APIS[through](settings, team, badgr)
    res = _delete_during_an_award(settings, live, made, made.badge_path)
    assert res.status_code == 409, res.text
    assert _BADGE_IN_USE[through](res.json()), res.text
    assert badge_class_state(settings, made.badge_id) == (True, 1)
    assert issuer_state(settings, made.issuer_id) == (False, 1)


# Deleting the issuer: the path's suffix, and what must follow. /v1 refuses without ?force=true (409, the count)
# and revokes with it; Badgr refuses (409); BadgeKit's system deletion revokes, as its seed's deletion removes.
_ISSUER_OUTCOMES: dict[str, tuple[str, str, int, Callable[[Any], bool], tuple[bool, bool, int]]] = {
    "v1": ("v1", "", 409, lambda body: body["details"][0]["value"] == 1, (True, False, 1)),
    "v1 forced": ("v1", "?force=true", 200, lambda body: body["status"] == "deleted", (True, True, 0)),
    "badgr": ("badgr", "", 409, lambda body: "1 active or pending" in str(body["status"]["description"]),
              (True, False, 1)),
    "badgekit": ("badgekit", "", 200, lambda body: body["status"] == "deleted", (True, True, 0)),
}


@pytest.mark.parametrize("case", sorted(_ISSUER_OUTCOMES))
def test_issuer_deletion_during_an_award_counts_it(settings: Settings, live: str, team: Team, case: str,
                                                   badgr: TestClient[Any]) -> None:
    """Deleting the issuer while an award under it is in progress waits for the award, then counts it: refused
    (409, in the API's shape) or, forced, deleted with the new assertion revoked. Never a 500, never a live
    assertion left under a deleted issuer."""
    through, suffix, status, says, after = _ISSUER_OUTCOMES[case]
    made = _APIS[through](settings, team, badgr)
    assert made.issuer_path is not None
    res = _delete_during_an_award(settings, live, made, made.issuer_path + suffix)
    assert res.status_code == status, res.text
    assert says(res.json()), res.text
    assert (badge_class_state(settings, made.badge_id)[0], *issuer_state(settings, made.issuer_id)) == after
