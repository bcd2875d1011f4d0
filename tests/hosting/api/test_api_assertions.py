"""Issuer API: one assertion — private view, revoke, replace (public 301), withdraw (DELETE, public 410), roles,
notifications; the public endpoints (with their in-process cache on) see every change at once."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from hosting import Settings, create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer, make_token, unique_email
from _issue_support import Team, outbox_kinds, team_fixture  # noqa: F401 - fixtures
from conftest import BASE_URL

LD = {"Accept": "application/ld+json"}


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient[Any]]:
    cached = replace(settings, public_cache_seconds=300)  # a stale cache would show in these tests
    with TestClient(create_app(cached), base_url=BASE_URL) as c:
        yield c


@pytest.fixture
def issued(team: Team) -> dict[str, Any]:
    res = team.issue(team.badge(), recipient="earner@example.org", recipient_name="Earner One",
                     narrative="First version.", evidence="https://example.org/proof", notify=False)
    assert res.status_code == 201
    made: dict[str, Any] = res.json()["assertion"]
    assert team.api.get(made["publicUrl"], headers=LD).status_code == 200  # now in the public cache
    return made


def _url(made: dict[str, Any], action: str = "") -> str:
    return f"/v1/assertions/{made['id']}{action}"


def test_get_returns_the_private_view(team: Team, issued: dict[str, Any]) -> None:
    res = team.api.get(_url(issued), headers=bearer(team.member("staff")))
    assert res.status_code == 200
    view = res.json()["assertion"]
    assert view["recipient"]["identity"] == "earner@example.org" and view["recipientName"] == "Earner One"
    assert view["state"] == "active" and view["replacedBy"] is None and view == issued


def test_get_is_404_without_a_role_or_for_unknown_ids(settings: Settings, team: Team,
                                                      issued: dict[str, Any]) -> None:
    outsider = make_token(settings, unique_email("outsider"))
    assert team.api.get(_url(issued), headers=bearer(outsider)).status_code == 404
    assert team.api.get("/v1/assertions/AAAAAAAAAAAAAAAAAAAAAA", headers=bearer(team.owner)).status_code == 404
    assert team.api.get("/v1/assertions/..%2f", headers=bearer(team.owner)).status_code == 404
    admin = make_token(settings, unique_email("admin"), admin=True)
    assert team.api.get(_url(issued), headers=bearer(admin)).status_code == 200


def test_get_needs_issuer_read_scope(settings: Settings, team: Team, issued: dict[str, Any]) -> None:
    email = unique_email("writer")
    team.api.post(f"{team.path}/staff", json={"email": email, "role": "editor"}, headers=bearer(team.owner))
    token = make_token(settings, email, scopes=["assertion:write"])
    assert team.api.get(_url(issued), headers=bearer(token)).status_code == 403


def test_revoke_makes_the_public_url_410_and_lists_it(settings: Settings, team: Team,
                                                      issued: dict[str, Any]) -> None:
    res = team.api.post(_url(issued, "/revoke"), json={"reason": "Cheated"}, headers=bearer(team.owner))
    assert res.status_code == 200, res.text
    view = res.json()["assertion"]
    assert res.json()["status"] == "revoked" and view["state"] == "revoked"
    assert view["revocationReason"] == "Cheated" and view["revokedAt"]
    public = team.api.get(issued["publicUrl"], headers=LD)
    assert public.status_code == 410 and public.json()["revocationReason"] == "Cheated"
    revocations = team.api.get(f"{BASE_URL}/public/issuers/{team.issuer['id']}/revocations", headers=LD).json()
    assert {"id": issued["publicUrl"], "revocationReason": "Cheated"} in revocations["revokedAssertions"]
    assert outbox_kinds(settings, issued["id"]) == ["revoked"]
    again = team.api.post(_url(issued, "/revoke"), json={"reason": "Twice"}, headers=bearer(team.owner))
    assert again.status_code == 409


def test_revoke_needs_a_reason_and_an_editor(settings: Settings, team: Team, issued: dict[str, Any]) -> None:
    res = team.api.post(_url(issued, "/revoke"), json={}, headers=bearer(team.owner))
    assert res.status_code == 400 and res.json()["details"][0]["field"] == "reason"
    staff = team.api.post(_url(issued, "/revoke"), json={"reason": "x"}, headers=bearer(team.member("staff")))
    assert staff.status_code == 403
    quiet = team.api.post(_url(issued, "/revoke"), json={"reason": "x", "notify": False},
                          headers=bearer(team.member("editor")))
    assert quiet.status_code == 200
    assert outbox_kinds(settings, issued["id"]) == []


def test_replace_issues_a_new_one_and_the_old_url_redirects(settings: Settings, team: Team,
                                                            issued: dict[str, Any]) -> None:
    res = team.api.post(_url(issued, "/replace"), json={"narrative": "Corrected version.",
                                                        "issuedOn": "2024-02-02"}, headers=bearer(team.owner))
    assert res.status_code == 201, res.text
    new, old = res.json()["assertion"], res.json()["replaced"]
    assert res.headers["location"] == new["publicUrl"] != issued["publicUrl"]
    assert new["narrative"] == "Corrected version." and new["issuedOn"] == "2024-02-02T00:00:00Z"
    assert new["evidence"] == []  # fields not given are not copied
    assert new["recipient"] == issued["recipient"] and new["recipientName"] == "Earner One"
    assert old["state"] == "replaced" and old["replacedBy"] == new["id"]
    public = team.api.get(issued["publicUrl"], headers=LD, follow_redirects=False)
    assert public.status_code == 301 and public.headers["location"] == new["publicUrl"]
    assert team.api.get(new["publicUrl"], headers=LD).json()["narrative"] == "Corrected version."
    assert outbox_kinds(settings, new["id"]) == ["replaced"]
    view = team.api.get(_url(issued), headers=bearer(team.owner)).json()["assertion"]
    assert view["replacedBy"] == new["id"]
    again = team.api.post(_url(issued, "/replace"), json={}, headers=bearer(team.owner))
    assert again.status_code == 409 and "replacement" in again.json()["message"]


def test_replace_cannot_change_the_recipient(team: Team, issued: dict[str, Any]) -> None:
    res = team.api.post(_url(issued, "/replace"), json={"recipient": "someone.else@example.org"},
                        headers=bearer(team.owner))
    assert res.status_code == 409 and res.json()["details"][0]["field"] == "recipient"
    same = team.api.post(_url(issued, "/replace"), json={"recipient": "EARNER@example.org", "notify": False},
                         headers=bearer(team.owner))
    assert same.status_code == 201


def test_replace_may_move_to_another_badge_of_the_issuer(team: Team, issued: dict[str, Any]) -> None:
    other = team.badge()
    res = team.api.post(_url(issued, "/replace"), json={"badge": other}, headers=bearer(team.owner))
    assert res.status_code == 201 and res.json()["assertion"]["badge"]["id"] == other
    archived = team.badge(archived=True)
    new = res.json()["assertion"]
    res = team.api.post(_url(new, "/replace"), json={"badge": archived}, headers=bearer(team.owner))
    assert res.status_code == 409


def test_replacing_a_revoked_assertion_is_409(team: Team, issued: dict[str, Any]) -> None:
    team.api.post(_url(issued, "/revoke"), json={"reason": "x", "notify": False}, headers=bearer(team.owner))
    res = team.api.post(_url(issued, "/replace"), json={}, headers=bearer(team.owner))
    assert res.status_code == 409


def test_replace_needs_an_editor(team: Team, issued: dict[str, Any]) -> None:
    res = team.api.post(_url(issued, "/replace"), json={}, headers=bearer(team.member("staff")))
    assert res.status_code == 403


def test_delete_withdraws_public_410(settings: Settings, team: Team, issued: dict[str, Any]) -> None:
    res = team.api.delete(_url(issued), headers=bearer(team.owner))
    assert res.status_code == 200, res.text
    assert res.json()["status"] == "withdrawn"
    view = res.json()["assertion"]
    assert view["state"] == "revoked" and view["revocationReason"] == "withdrawn"
    assert team.api.get(issued["publicUrl"], headers=LD).status_code == 410
    assert outbox_kinds(settings, issued["id"]) == []  # withdrawing is silent unless notify is true
    assert team.api.delete(_url(issued), headers=bearer(team.owner)).status_code == 409


def test_delete_by_staff_is_403_and_by_outsider_404(settings: Settings, team: Team,
                                                    issued: dict[str, Any]) -> None:
    assert team.api.delete(_url(issued), headers=bearer(team.member("staff"))).status_code == 403
    outsider = make_token(settings, unique_email("outsider"))
    assert team.api.delete(_url(issued), headers=bearer(outsider)).status_code == 404
    assert team.api.get(issued["publicUrl"], headers=LD).status_code == 200
