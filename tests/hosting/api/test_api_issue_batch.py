"""Issuer API: batch issuing — all or nothing, 422 with the failing index, rules across the batch."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from hosting import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer, unique_email
from _issue_support import Team, api_fixture, count_assertions, outbox_kinds, team_fixture  # noqa: F401 - fixtures


def _batch(team: Team, badge: str, items: list[Any], **top: Any) -> Any:
    return team.api.post(f"{team.issue_path(badge)}/batch", json={"assertions": items, **top},
                         headers=bearer(team.owner))


def test_batch_issues_every_item(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    items = [{"recipient": unique_email()} for _ in range(25)]
    res = _batch(team, badge, items)
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["status"] == "created" and body["metadata"]["count"] == 25
    assert [a["recipient"]["identity"] for a in body["assertions"]] == [i["recipient"] for i in items]
    assert len({a["id"] for a in body["assertions"]}) == 25
    assert count_assertions(team.settings, badge) == 25
    doc = api.get(body["assertions"][7]["publicUrl"], headers={"Accept": "application/ld+json"})
    assert doc.status_code == 200 and doc.json()["id"] == body["assertions"][7]["publicUrl"]


def test_invalid_item_is_422_with_its_index_and_nothing_is_stored(team: Team) -> None:
    badge = team.badge()
    items = [{"recipient": unique_email()}, {"recipient": unique_email()}, {"recipient": "nope"},
             {"recipient": unique_email(), "colour": "red"}]
    res = _batch(team, badge, items)
    assert res.status_code == 422, res.text
    body = res.json()
    assert body["code"] == "UnprocessableEntity" and body["error_index"] == 2
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(2, "recipient"), (3, "colour")]
    assert count_assertions(team.settings, badge) == 0


def test_duplicate_within_the_batch_is_refused(team: Team) -> None:
    badge = team.badge()
    items = [{"recipient": "twin@example.org"}, {"recipient": unique_email()}, {"recipient": "TWIN@example.org"}]
    res = _batch(team, badge, items)
    assert res.status_code == 422 and res.json()["error_index"] == 2
    assert count_assertions(team.settings, badge) == 0
    assert _batch(team, badge, items, allowDuplicateAwards=True).status_code == 201
    assert count_assertions(team.settings, badge) == 3


def test_limit_counts_existing_and_batch_items(team: Team) -> None:
    badge = team.badge(limit=4)
    assert team.issue(badge).status_code == 201
    res = _batch(team, badge, [{"recipient": unique_email()} for _ in range(4)])
    assert res.status_code == 422
    assert res.json()["error_index"] == 3 and res.json()["errors"][0]["field"] == "badge"
    assert count_assertions(team.settings, badge) == 1
    assert _batch(team, badge, [{"recipient": unique_email()} for _ in range(3)]).status_code == 201
    assert count_assertions(team.settings, badge) == 4


def test_unique_applies_within_the_batch_and_against_holders(team: Team) -> None:
    badge = team.badge(unique=True)
    assert team.issue(badge, recipient="holder@example.org").status_code == 201
    res = _batch(team, badge, [{"recipient": unique_email()}, {"recipient": "holder@example.org"}],
                 allowDuplicateAwards=True)
    assert res.status_code == 422 and res.json()["error_index"] == 1
    res = _batch(team, badge, [{"recipient": "u@example.org", "issuedOn": "2020-01-01"},
                               {"recipient": "u@example.org", "issuedOn": "2021-01-01"}])
    assert res.status_code == 422 and res.json()["error_index"] == 1
    assert count_assertions(team.settings, badge) == 1


def test_archived_badge_batch_is_409(team: Team) -> None:
    badge = team.badge(archived=True)
    assert _batch(team, badge, [{"recipient": unique_email()}]).status_code == 409


@pytest.mark.parametrize("body", [{"assertions": []}, {"assertions": "all"}, {}, {"assertions": [{}], "x": 1},
                                  {"assertions": [{"recipient": "a@example.org"}] * 10_001}])
def test_malformed_batch_is_400(team: Team, body: dict[str, Any]) -> None:
    badge = team.badge()
    res = team.api.post(f"{team.issue_path(badge)}/batch", json=body, headers=bearer(team.owner))
    assert res.status_code == 400 and res.json()["code"] == "ValidationError"
    assert count_assertions(team.settings, badge) == 0


def test_top_level_defaults_and_per_item_notify(settings: Settings, team: Team) -> None:
    team.key()
    badge = team.badge()
    res = _batch(team, badge, [{"recipient": unique_email()}, {"recipient": unique_email(), "notify": True}],
                 notify=False, verification="signed")
    assert res.status_code == 201, res.text
    quiet, told = res.json()["assertions"]
    assert quiet["verification"] == told["verification"] == "signed" and quiet["jws"] and told["jws"]
    assert outbox_kinds(settings, quiet["id"]) == []
    assert outbox_kinds(settings, told["id"]) == ["issued"]


def test_staff_may_batch_issue_outsiders_404(settings: Settings, team: Team) -> None:
    badge = team.badge()
    staff = team.member("staff")
    res = team.api.post(f"{team.issue_path(badge)}/batch", json={"assertions": [{"recipient": unique_email()}]},
                        headers=bearer(staff))
    assert res.status_code == 201
    from _api_support import make_token
    outsider = make_token(settings, unique_email("outsider"))
    res = team.api.post(f"{team.issue_path(badge)}/batch", json={"assertions": [{"recipient": unique_email()}]},
                        headers=bearer(outsider))
    assert res.status_code == 404


def test_batch_ob3_items_become_credentials(team: Team) -> None:
    badge = team.badge()
    res = _batch(team, badge, [{"recipient": unique_email()}, {"recipient": unique_email(), "format": "ob2"}],
                 format="ob3", proof="jwt")
    assert res.status_code == 201, res.text
    first, second = res.json()["assertions"]
    assert first["format"] == "ob3" and first["jwt"] and "/public/credentials/" in first["publicUrl"]
    assert second["format"] == "ob2" and "/public/assertions/" in second["publicUrl"]
