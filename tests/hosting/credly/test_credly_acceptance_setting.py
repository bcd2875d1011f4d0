"""One acceptance setting per badge class (migration 0019): ``/v1``'s ``acceptance`` and Credly's
``badges_issued_as_accepted`` read and write the same ``badge_classes.acceptance``. Unset, each API keeps its own
default (``/v1``: accepted by the issuer; Credly: pending); a GET echoed into a PUT through one API changes nothing
for the other."""

from __future__ import annotations

from typing import Any

from _api_support import bearer
from _credly_support import basic, credly_api_fixture, issue, org_path  # noqa: F401 - the api fixture
from _issue_support import Team, team_fixture  # noqa: F401 - fixture


def _template(team: Team, badge: str) -> dict[str, Any]:
    res = team.api.get(f"{org_path(team)}/badge_templates/{badge}", headers=basic(team.owner))
    assert res.status_code == 200, res.text
    data: dict[str, Any] = res.json()["data"]
    return data


def _put_template(team: Team, badge: str, body: dict[str, Any]) -> None:
    res = team.api.put(f"{org_path(team)}/badge_templates/{badge}", json=body, headers=basic(team.owner))
    assert res.status_code == 200, res.text


def _patch_v1(team: Team, badge: str, body: dict[str, Any]) -> None:
    res = team.api.patch(f"{team.path}/badges/{badge}", json=body, headers=bearer(team.owner))
    assert res.status_code == 200, res.text


def _v1(team: Team, badge: str) -> dict[str, Any]:
    res = team.api.get(f"{team.path}/badges/{badge}", headers=bearer(team.owner))
    assert res.status_code == 200, res.text
    data: dict[str, Any] = res.json()["badge"]
    return data


def _states(team: Team, badge: str) -> tuple[str, str]:
    """The state of a badge issued now through /v1 and through Credly."""
    v1 = team.issue(badge)
    credly = issue(team, badge)
    assert v1.status_code == 201 and credly.status_code == 201, (v1.text, credly.text)
    return v1.json()["assertion"]["state"], credly.json()["data"]["state"]


def test_an_unset_setting_keeps_each_apis_default_through_echoed_writes(team: Team) -> None:
    badge = team.badge()
    assert _v1(team, badge)["acceptance"] == "issuer"
    assert _template(team, badge)["badges_issued_as_accepted"] is False
    assert _states(team, badge) == ("active", "pending")
    _put_template(team, badge, {"badges_issued_as_accepted": _template(team, badge)["badges_issued_as_accepted"]})
    _patch_v1(team, badge, {"acceptance": _v1(team, badge)["acceptance"]})
    assert _v1(team, badge)["acceptance"] == "issuer"
    assert _template(team, badge)["badges_issued_as_accepted"] is False
    assert _states(team, badge) == ("active", "pending")


def test_credly_and_v1_change_one_setting(team: Team) -> None:
    badge = team.badge()
    _put_template(team, badge, {"badges_issued_as_accepted": True})
    assert _v1(team, badge)["acceptance"] == "issuer"
    assert _states(team, badge) == ("active", "accepted")
    _patch_v1(team, badge, {"acceptance": "earner"})
    assert _template(team, badge)["badges_issued_as_accepted"] is False
    assert _states(team, badge) == ("pending", "pending")
    _put_template(team, badge, {"badges_issued_as_accepted": True})
    assert _v1(team, badge)["acceptance"] == "issuer"
    _put_template(team, badge, {"badges_issued_as_accepted": False})  # set, so no longer Credly's default
    assert _v1(team, badge)["acceptance"] == "earner"
    assert _states(team, badge) == ("pending", "pending")
