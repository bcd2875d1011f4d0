"""Form bombs and error-body caps: a form, multipart or JSON body with too many fields is a cheap 413
``PayloadTooLarge`` (parsed no further), and no error body lists more than 100 ``details``/``errors`` (the rest
are counted in ``details_omitted``/``errors_omitted``) — on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer
from _issue_support import Team, api_fixture, count_assertions, team_fixture  # noqa: F401 - fixtures

from hosting.app.errors import MAX_DETAILS
from hosting.lib.body import MAX_FIELDS


def _too_large(res: Any, what: str) -> None:
    assert res.status_code == 413, res.text
    body = res.json()
    assert body["code"] == "PayloadTooLarge"
    assert body["details"] == [{"field": "body", "message": f"more than {MAX_FIELDS} {what}", "value": None}]
    assert len(res.content) < 1000


def test_a_form_bomb_is_413_with_a_small_body(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    bomb = "&".join(f"f{i}=x" for i in range(300_000)).encode()  # ~3 MB, 300k unknown fields
    res = api.post(team.issue_path(badge), content=bomb, headers={
        **bearer(team.owner), "Content-Type": "application/x-www-form-urlencoded"})
    _too_large(res, "form fields")
    assert count_assertions(team.settings, badge) == 0


def test_a_form_at_the_cap_is_parsed(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    fields = [("recipient", "cap@example.org"), ("notify", "false")]
    res = api.post(team.issue_path(badge), data=dict(fields), headers=bearer(team.owner))
    assert res.status_code == 201, res.text
    unknown = "&".join(f"u{i}=x" for i in range(MAX_FIELDS - 1)).encode()  # MAX_FIELDS - 1 fields: parsed
    res = api.post(team.issue_path(badge), content=unknown, headers={
        **bearer(team.owner), "Content-Type": "application/x-www-form-urlencoded"})
    assert res.status_code == 400 and res.json()["code"] == "ValidationError"


def test_too_many_multipart_parts_is_413(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    files = [(f"p{i}", (None, "x")) for i in range(MAX_FIELDS + 50)]
    res = api.post(team.issue_path(badge), files=files, headers=bearer(team.owner))
    _too_large(res, "multipart parts")


def test_a_json_object_with_too_many_keys_is_413(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    res = api.post(team.issue_path(badge), json={f"k{i}": 1 for i in range(MAX_FIELDS + 1)},
                   headers=bearer(team.owner))
    _too_large(res, "fields in the JSON object")


def test_details_are_capped_and_the_rest_counted(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    body = {"recipient": "x@example.org", **{f"k{i:03d}": 1 for i in range(150)}}
    res = api.post(team.issue_path(badge), json=body, headers=bearer(team.owner))
    assert res.status_code == 400, res.text
    out = res.json()
    assert len(out["details"]) == MAX_DETAILS and out["details_omitted"] == 150 - MAX_DETAILS
    assert out["details"][0] == {"field": "k000", "message": "unknown field", "value": None}


def test_batch_errors_are_capped_and_the_rest_counted(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    items = [{"recipient": "not an email"} for _ in range(MAX_DETAILS + 30)]
    res = api.post(f"{team.issue_path(badge)}/batch", json={"assertions": items}, headers=bearer(team.owner))
    assert res.status_code == 422, res.text
    out = res.json()
    assert len(out["errors"]) == MAX_DETAILS and out["errors_omitted"] == 30
    assert out["error_index"] == 0 and out["errors"][-1]["index"] == MAX_DETAILS - 1


def test_small_error_bodies_have_no_omitted_count(api: TestClient[Any], team: Team) -> None:
    res = api.post(team.issue_path(team.badge()), json={"recipient": "x@example.org", "zz": 1},
                   headers=bearer(team.owner))
    assert res.status_code == 400 and "details_omitted" not in res.json()
