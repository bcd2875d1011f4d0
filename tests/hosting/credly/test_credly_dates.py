"""Credly's dates, wherever a request carries one (issue and replace bodies, the list and search filters): a date
out of range, in an offset that leaves the years a datetime holds, before ``issued_at`` or blank is Credly's 422
(bodies) or one 400 (queries), never a 500 — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from _credly_support import SEED_ISSUE, basic, credly_api_fixture, issue, issued, org_path  # noqa: F401 - fixtures
from _issue_support import Team, team_fixture  # noqa: F401 - fixture

# body fields → the attribute Credly's 422 names
_BAD_BODY_DATES = [
    ({"issued_at": "0001-01-01 00:00:00 +1400"}, "issued_at"),  # its UTC instant is before year 1
    ({"issued_at": "9999-12-31 23:59:59 -1400"}, "issued_at"),  # … after year 9999
    ({"issued_at": "9999-12-31T23:59:59-23:59"}, "issued_at"),
    ({"expires_at": "9999-12-31T23:59:59-14:00"}, "expires_at"),
    ({"issued_at": "0001-01-01"}, "issued_at"),
    ({"issued_at": "1899-12-31T23:59:59Z"}, "issued_at"),
    ({"issued_at": "2014-04-01T09:41:00Z", "expires_at": "2014-04-01 04:41:00 -0500"}, "expires_at"),  # same moment
    ({"issued_at": "2014-04-01T10:00:00", "expires_at": "2014-04-01T10:00:00+01:00"}, "expires_at"),  # before
    ({"expires_at": "2010-01-01 00:00:00 +0000"}, "expires_at"),  # before the seed's issued_at
    ({"issued_at": "2014-02-30 09:41:00 -0500"}, "issued_at"),
    ({"issued_at": "2014-04-01T25:00:00Z"}, "issued_at"),
    ({"issued_at": "2014-04-01 09:41:00 +9999"}, "issued_at"),
    ({"issued_at": ""}, "issued_at"),
    ({"issued_at": "   "}, "issued_at"),
    ({"issued_at": 20140401}, "issued_at"),
]


@pytest.mark.parametrize(("body", "attribute"), _BAD_BODY_DATES)
def test_a_bad_date_in_an_issue_body_is_credlys_422(team: Team, body: dict[str, Any], attribute: str) -> None:
    res = issue(team, team.badge(), **body)
    assert res.status_code == 422, res.text
    data = res.json()["data"]
    assert data["message"].startswith("Validation failed: ")
    assert [e["attribute"] for e in data["errors"]] == [attribute]


@pytest.mark.parametrize(("body", "attribute"), _BAD_BODY_DATES)
def test_a_bad_date_in_a_replace_body_is_credlys_422(team: Team, body: dict[str, Any], attribute: str) -> None:
    template = team.badge()
    old = issued(team, template)
    replacement = {"badge_template_id": template, "issued_to_first_name": "A", "issued_to_last_name": "B",
                   "issued_at": "2014-04-01 09:41:00 -0500", **body}
    res = team.api.post(f"{org_path(team)}/badges/{old['id']}/replace", json=replacement, headers=basic(team.owner))
    assert res.status_code == 422, res.text
    assert [e["attribute"] for e in res.json()["data"]["errors"]] == [attribute]


@pytest.mark.parametrize(("body", "attribute"), _BAD_BODY_DATES[:6])
def test_a_bad_date_in_a_batch_item_is_credlys_422_with_its_index(team: Team, body: dict[str, Any],
                                                                 attribute: str) -> None:
    template = team.badge()
    items = [{**SEED_ISSUE, "badge_template_id": template, "recipient_email": f"b{i}@example.org"} for i in range(2)]
    items[1].update(body)
    res = team.api.post(f"{org_path(team)}/badges/batch", json={"badges": items}, headers=basic(team.owner))
    assert res.status_code == 422, res.text
    data = res.json()["data"]
    assert data["error_index"] == 1 and [e["attribute"] for e in data["errors"]] == [attribute]


def test_a_blank_expires_at_is_no_expiry(team: Team) -> None:
    data = issued(team, team.badge(), expires_at="")
    assert data["expires_at"] is None and data["expires_at_date"] is None


def test_the_years_1900_to_9999_are_taken_at_their_ends(team: Team) -> None:
    data = issued(team, team.badge(), issued_at="1900-01-01T00:00:00Z", expires_at="9999-12-31 23:59:59 +0000")
    assert data["issued_at"] == "1900-01-01T00:00:00Z" and data["expires_at_date"] == "9999-12-31"


@pytest.mark.parametrize("key", ["issued_at", "issued_at_date", "created_at", "updated_at", "state_updated_at"])
@pytest.mark.parametrize("path", ["badges", "high_volume_issued_badge_search"])
def test_the_last_and_first_days_a_date_filter_takes_answer_200(team: Team, key: str, path: str) -> None:
    made = issued(team, team.badge())
    for bounds, found in ((f"{key}_max::9999-12-31", True), (f"{key}_min::0001-01-01", True),
                          (f"{key}_min::9999-12-31", False), (f"{key}_min::0001-01-01|{key}_max::9999-12-31", True)):
        res = team.api.get(f"{org_path(team)}/{path}", params={"filter": bounds}, headers=basic(team.owner))
        assert res.status_code == 200, (bounds, res.text)
        assert (made["id"] in [b["id"] for b in res.json()["data"]]) is found, bounds


@pytest.mark.parametrize("value", ["2014-02-30", "2014-4-1", "0000-01-01", "10000-01-01", "2014-04-01T00:00:00Z", ""])
def test_a_bad_date_filter_is_one_400(team: Team, value: str) -> None:
    res = team.api.get(f"{org_path(team)}/badges", params={"filter": f"issued_at_max::{value}"},
                       headers=basic(team.owner))
    assert res.status_code == 400, res.text
    assert res.json()["data"]["errors"][0]["attribute"] == "filter.issued_at_max"
