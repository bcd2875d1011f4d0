"""The lists' query strings (Get Issued Badges, Get Badges in Bulk, the templates): a parameter given twice, an
empty filter value or an empty page number is one 400 in Credly's error shape naming it — never one of the
values taken silently, never a 500 — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from _credly_support import basic, credly_api_fixture, issued, org_path  # noqa: F401 - the fixtures
from _issue_support import Team, team_fixture  # noqa: F401 - fixture

_LISTS = ("badges", "high_volume_issued_badge_search", "badge_templates")
_REPEATED = {  # path → (query with a repeated parameter, the parameter)
    "badges": [("filter=state::pending&filter=state::accepted", "filter"), ("page=1&page=2", "page"),
               ("sort=issued_at&sort=-issued_at", "sort"), ("per=1&per=2", "per"), ("per=5&per=5", "per")],
    "high_volume_issued_badge_search": [("filter=state::pending&filter=state::revoked", "filter"),
                                        ("badge_format=minimal&badge_format=default", "badge_format"),
                                        ("cursor=a&cursor=b", "cursor")],
    "badge_templates": [("filter=state::active&filter=state::archived", "filter"), ("page=1&page=2", "page"),
                        ("sort=name&sort=-name", "sort"), ("per=1&per=2", "per")],
}


def _refused(team: Team, path: str, query: str) -> dict[str, Any]:
    res = team.api.get(f"{org_path(team)}/{path}?{query}", headers=basic(team.owner))
    assert res.status_code == 400, (query, res.text)
    data: dict[str, Any] = res.json()["data"]
    assert data["message"].startswith("invalid query: ")
    return data


@pytest.mark.parametrize(("path", "query", "name"), [(p, q, n) for p, cases in _REPEATED.items() for q, n in cases])
def test_a_parameter_given_twice_is_one_400_naming_it(team: Team, path: str, query: str, name: str) -> None:
    issued(team, team.badge())  # something to list, so a silently taken value would answer 200 with it
    data = _refused(team, path, query)
    assert [e["attribute"] for e in data["errors"]] == [name]
    assert "more than once" in data["errors"][0]["messages"][0]


_BADGE_FILTERS = ("query", "user_id", "issuer_id", "issuer_earner_id", "badge_template_id", "state", "public",
                  "issued_at_min", "badge_templates[skills]", "badge_templates[owner_id]")


@pytest.mark.parametrize("key", _BADGE_FILTERS)
@pytest.mark.parametrize("value", ["", "  "])
@pytest.mark.parametrize("path", ["badges", "high_volume_issued_badge_search"])
def test_an_empty_badge_filter_value_is_one_400(team: Team, path: str, key: str, value: str) -> None:
    issued(team, team.badge())
    data = _refused(team, path, f"filter={key}::{value}")
    assert data["errors"][0]["attribute"] == f"filter.{key}"


@pytest.mark.parametrize("key", ["issuer_id", "badge_template_id"])
def test_a_list_filter_of_only_commas_is_one_400(team: Team, key: str) -> None:
    data = _refused(team, "badges", f"filter={key}::,%20,")
    assert data["errors"][0]["attribute"] == f"filter.{key}"


@pytest.mark.parametrize("key", ["query", "state"])
def test_an_empty_template_filter_value_is_one_400(team: Team, key: str) -> None:
    team.badge()
    data = _refused(team, "badge_templates", f"filter={key}::")
    assert data["errors"][0]["attribute"] == f"filter.{key}"


@pytest.mark.parametrize("path", ["badges", "badge_templates"])
@pytest.mark.parametrize("name", ["page", "per"])
def test_an_empty_page_or_per_is_one_400(team: Team, path: str, name: str) -> None:
    data = _refused(team, path, f"{name}=")
    assert data["errors"][0]["attribute"] == name


def test_a_filter_on_an_unsupported_key_with_an_empty_value_is_one_400(team: Team) -> None:
    data = _refused(team, "badges", "filter=recipient_email::")
    assert data["errors"][0]["attribute"] == "filter"


@pytest.mark.parametrize("path", _LISTS)
def test_each_parameter_once_is_answered(team: Team, path: str) -> None:
    issued(team, team.badge())
    query = {"badges": "filter=state::pending&sort=-issued_at&page=1&per=5",
             "high_volume_issued_badge_search": "filter=state::pending&badge_format=minimal",
             "badge_templates": "filter=state::active&sort=-name&page=1&per=5"}[path]
    res = team.api.get(f"{org_path(team)}/{path}?{query}", headers=basic(team.owner))
    assert res.status_code == 200, res.text
    assert len(res.json()["data"]) == 1
