"""The in-process public cache never outlives an acknowledged change: once a revoke or replace has answered
2xx, the public URL answers the new state (410, 301), on the first GET after the answer.

Two races, each reproduced deterministically by pausing one side at the point that matters:

- a GET between the handler and the COMMIT (the eviction must follow the COMMIT, or the GET reads the old
  state, still committed, and caches it again);
- a GET whose read began before the COMMIT and which stores its answer after the eviction (the reader must
  refuse to cache what it read before an eviction).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hosting import Settings, create_app
from hosting.app.state import HostingState
from hosting.public.service import PublicReader

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer
from _issue_support import Team, new_team

WAIT = 10.0  # seconds: a bound on every wait, so a broken build fails instead of hanging


class _Gate:
    """One pause point: the paused side sets ``reached`` and waits (without blocking its event loop) for
    ``release``. Armed for one pass only."""

    def __init__(self) -> None:
        self.armed = threading.Event()
        self.reached = threading.Event()
        self.release = threading.Event()

    async def pass_through(self) -> None:
        if not self.armed.is_set():
            return
        self.armed.clear()
        self.reached.set()
        for _ in range(int(WAIT / 0.005)):
            if self.release.is_set():
                return
            await asyncio.sleep(0.005)
        raise TimeoutError("the test never released the gate")


@pytest.fixture(scope="module")
def cached_api(settings: Settings) -> Iterator[TestClient[Any]]:
    """The app with the public cache on (a long period: only an eviction can end an entry)."""
    with TestClient(create_app(replace(settings, public_cache_seconds=300)), base_url=settings.base_url) as c:
        yield c


@pytest.fixture
def team(settings: Settings, cached_api: TestClient[Any]) -> Team:
    return new_team(settings, cached_api)


def _state(api: TestClient[Any]) -> HostingState:
    state: HostingState = api.app.state["hosting"]
    return state


@pytest.fixture
def commit_gate(cached_api: TestClient[Any]) -> Iterator[_Gate]:
    """A gate just before the COMMIT of the request's unit of work (after the handler returned)."""
    gate = _Gate()

    class _PausingSession(AsyncSession):
        async def commit(self) -> None:
            await gate.pass_through()
            await super().commit()

    state = _state(cached_api)
    original = state.sessionmaker
    assert original is not None
    state.sessionmaker = async_sessionmaker(original.kw["bind"], class_=_PausingSession, expire_on_commit=False)
    try:
        yield gate
    finally:
        gate.release.set()
        state.sessionmaker = original


def _in_thread(pool: ThreadPoolExecutor, fn: Callable[[], Any]) -> Future[Any]:
    return pool.submit(fn)


def _issued(team: Team) -> str:
    res = team.issue(team.badge(), notify=False)
    assert res.status_code == 201, res.text
    public_id: str = res.json()["assertion"]["id"]
    return public_id


def _change(api: TestClient[Any], team: Team, public_id: str, action: str) -> Any:
    body = {"reason": "misconduct", "notify": False} if action == "revoke" else {"notify": False}
    return api.post(f"/v1/assertions/{public_id}/{action}", json=body, headers=bearer(team.owner))


@pytest.mark.parametrize(("action", "status"), [("revoke", 410), ("replace", 301)])
def test_a_get_between_the_handler_and_the_commit_does_not_recache_the_old_state(
        cached_api: TestClient[Any], team: Team, commit_gate: _Gate, action: str, status: int) -> None:
    public_id = _issued(team)
    url = f"/public/assertions/{public_id}"
    assert cached_api.get(url).status_code == 200  # cached
    with ThreadPoolExecutor(1) as pool:
        commit_gate.armed.set()
        change = _in_thread(pool, lambda: _change(cached_api, team, public_id, action))
        assert commit_gate.reached.wait(WAIT), "the change never reached its COMMIT"
        assert cached_api.get(url).status_code == 200  # not committed yet: the old state is right
        commit_gate.release.set()
        answer = change.result(WAIT)
    assert answer.is_success, answer.text
    after = cached_api.get(url, follow_redirects=False)
    assert after.status_code == status, "an acknowledged change must show on the next public GET"


@pytest.mark.parametrize(("action", "status"), [("revoke", 410), ("replace", 301)])
def test_a_read_begun_before_the_commit_does_not_cache_its_answer_after_the_eviction(
        cached_api: TestClient[Any], team: Team, monkeypatch: pytest.MonkeyPatch, action: str, status: int) -> None:
    public_id = _issued(team)  # never read: not cached
    url = f"/public/assertions/{public_id}"
    reader = _state(cached_api).reader
    assert isinstance(reader, PublicReader)
    gate = _Gate()
    read = reader._assertion  # the pause goes between the SELECT and the cache store

    async def _slow_read(ref: str) -> Any:
        result = await read(ref)
        if ref == public_id:
            await gate.pass_through()
        return result

    monkeypatch.setattr(reader, "_assertion", _slow_read)
    with ThreadPoolExecutor(1) as pool:
        gate.armed.set()
        early = _in_thread(pool, lambda: cached_api.get(url))
        assert gate.reached.wait(WAIT), "the GET never read the row"
        answer = _change(cached_api, team, public_id, action)  # committed and evicted while the GET holds
        assert answer.is_success, answer.text
        gate.release.set()
        assert early.result(WAIT).status_code == 200  # it began before the change: the old state is right
    after = cached_api.get(url, follow_redirects=False)
    assert after.status_code == status, "a read begun before the change must not cache the old state"


def test_a_change_that_rolls_back_keeps_the_cached_answer(cached_api: TestClient[Any], team: Team,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """An eviction follows a COMMIT only: a failed request (here a notification that cannot be queued after
    the revoke's UPDATE) leaves the state and the cache as they were."""
    from hosting.api.assertions import controllers

    public_id = _issued(team)
    url = f"/public/assertions/{public_id}"
    assert cached_api.get(url).status_code == 200
    reader = _state(cached_api).reader
    assert reader is not None
    forgotten: list[str | None] = []
    monkeypatch.setattr(reader, "forget", forgotten.append)

    async def _broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the outbox is broken")

    monkeypatch.setattr(controllers, "queue_notification", _broken)
    res = cached_api.post(f"/v1/assertions/{public_id}/revoke", json={"reason": "x", "notify": True},
                          headers=bearer(team.owner))
    assert res.status_code == 500
    assert forgotten == []
    monkeypatch.undo()
    assert cached_api.get(url).status_code == 200
    revoked = _change(cached_api, team, public_id, "revoke")
    assert revoked.status_code == 200, revoked.text
    assert cached_api.get(url).status_code == 410
