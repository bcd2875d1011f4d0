"""20 clients issuing at once against one ``unique`` / ``limit`` badge class, through a live uvicorn server on
127.0.0.1: the limit is never exceeded, no recipient holds a unique badge twice, and no request gets a 500.
And concurrent revoke / replace / withdraw of one assertion (the state machine): exactly one wins."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path

import httpx
import pytest

from hosting import Settings, create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _hosting_live import serve_app
from _issue_support import Team, api_fixture, count_assertions, outbox_kinds, team_fixture  # noqa: F401 - fixtures

CLIENTS = 20


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[str]:
    """The API app served by uvicorn in a background thread; yields its base URL."""
    with serve_app(create_app(replace(settings, db_pool_size=CLIENTS))) as base:
        yield base


def _race(base: str, team: Team, badge: str, recipients: list[str]) -> list[httpx.Response]:
    """One request per recipient, all released together from ``CLIENTS`` threads."""
    start = threading.Barrier(len(recipients))

    def _one(recipient: str) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=60) as client:
            start.wait()
            return client.post(team.issue_path(badge), json={"recipient": recipient, "notify": False},
                               headers={"Authorization": f"Bearer {team.owner}"})

    with ThreadPoolExecutor(max_workers=len(recipients)) as pool:
        return list(pool.map(_one, recipients))


def test_concurrent_issues_never_exceed_the_limit(live: str, team: Team) -> None:
    badge = team.badge(limit=7)
    responses = _race(live, team, badge, [f"racer{i}@example.org" for i in range(CLIENTS)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 7 + [409] * (CLIENTS - 7), [r.text for r in responses if r.status_code >= 500]
    assert count_assertions(team.settings, badge) == 7


def test_concurrent_issues_to_one_recipient_of_a_unique_badge(live: str, team: Team) -> None:
    badge = team.badge(unique=True)
    responses = _race(live, team, badge, ["same.person@example.org"] * (CLIENTS // 2)
                      + [f"person{i}@example.org" for i in range(CLIENTS // 2)])
    statuses = [r.status_code for r in responses]
    assert all(s in (201, 409) for s in statuses), [r.text for r in responses if r.status_code not in (201, 409)]
    assert statuses[: CLIENTS // 2].count(201) == 1  # exactly one of the same-recipient requests won
    assert statuses[CLIENTS // 2:] == [201] * (CLIENTS // 2)
    assert count_assertions(team.settings, badge) == CLIENTS // 2 + 1


TRIALS = 20
_CHANGES = [("revoke", 200), ("revoke", 200), ("replace", 201), ("replace", 201), ("withdraw", 200),
            ("withdraw", 200)]


def _change(base: str, team: Team, public_id: str, action: str, start: threading.Barrier) -> httpx.Response:
    auth = {"Authorization": f"Bearer {team.owner}"}
    with httpx.Client(base_url=base, timeout=60) as client:
        start.wait()
        if action == "revoke":
            return client.post(f"/v1/assertions/{public_id}/revoke", json={"reason": "race"}, headers=auth)
        if action == "replace":
            return client.post(f"/v1/assertions/{public_id}/replace", json={"notify": True}, headers=auth)
        return client.request("DELETE", f"/v1/assertions/{public_id}", json={"notify": True}, headers=auth)


def test_concurrent_state_changes_of_one_assertion_have_exactly_one_winner(live: str, team: Team) -> None:
    badge = team.badge()
    winners: list[str] = []
    for trial in range(TRIALS):
        made = team.issue(badge, notify=False, recipient=f"state{trial}@example.org")
        assert made.status_code == 201, made.text
        public_id = made.json()["assertion"]["id"]
        start = threading.Barrier(len(_CHANGES))
        with ThreadPoolExecutor(max_workers=len(_CHANGES)) as pool:
            responses = list(pool.map(partial(_change, live, team, public_id, start=start),
                                      [action for action, _ in _CHANGES]))
        won = [(action, r) for (action, ok), r in zip(_CHANGES, responses, strict=True) if r.status_code == ok]
        lost = [r for r in responses if all(r is not w for _, w in won)]
        assert len(won) == 1, (trial, [(a, r.status_code, r.text[:200]) for (a, _), r in zip(_CHANGES, responses,
                                                                                       strict=True)])
        assert [r.status_code for r in lost] == [409] * (len(_CHANGES) - 1), [r.text[:200] for r in lost]
        assert all(r.json()["code"] == "ResourceConflict" for r in lost), [r.text[:200] for r in lost]
        action, winner = won[0]
        winners.append(action)
        mails = outbox_kinds(team.settings, public_id)
        with httpx.Client(base_url=live, timeout=30) as client:
            public = client.get(f"/public/assertions/{public_id}")
            if action == "replace":
                new_id = winner.json()["assertion"]["id"]
                mails += outbox_kinds(team.settings, new_id)
                assert public.status_code == 301 and public.headers["location"].endswith(new_id)
                assert client.get(f"/public/assertions/{new_id}").status_code == 200
            else:
                assert public.status_code == 410, public.text
        assert mails == [{"revoke": "revoked", "withdraw": "revoked", "replace": "replaced"}[action]], mails
    assert len(winners) == TRIALS
