"""Issuer API staff roles: listing, adding, changing and removing, and the last-owner rule."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from hosting import Settings, create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer, make_token, new_issuer, unique_email
from conftest import BASE_URL


@pytest.fixture(scope="session")
def staff_api(settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings), base_url=BASE_URL) as c:
        yield c


@pytest.fixture
def team(settings: Settings, staff_api: TestClient[Any]) -> dict[str, Any]:
    """An issuer with an owner token, and the email/token of a second user (no role yet)."""
    owner_email, other_email = unique_email("owner"), unique_email("other")
    owner = make_token(settings, owner_email)
    other = make_token(settings, other_email)
    issuer = new_issuer(staff_api, owner)
    return {"issuer": issuer, "owner": owner, "owner_email": owner_email, "other": other,
            "other_email": other_email, "base": f"/v1/issuers/{issuer['id']}/staff"}


def test_creator_is_listed_as_owner(staff_api: TestClient[Any], team: dict[str, Any]) -> None:
    res = staff_api.get(team["base"], headers=bearer(team["owner"]))
    assert res.status_code == 200
    assert [(s["email"], s["role"]) for s in res.json()["staff"]] == [(team["owner_email"], "owner")]
    assert res.json()["metadata"]["total_count"] == 1


@pytest.mark.parametrize(("role", "can_read", "can_edit", "can_delete"), [
    ("staff", True, False, False), ("editor", True, True, False), ("owner", True, True, True)])
def test_added_role_grants_its_rights(staff_api: TestClient[Any], team: dict[str, Any], role: str,
                                      can_read: bool, can_edit: bool, can_delete: bool) -> None:
    issuer_url = f"/v1/issuers/{team['issuer']['id']}"
    other = bearer(team["other"])
    assert staff_api.get(issuer_url, headers=other).status_code == 404  # no role: invisible
    res = staff_api.post(team["base"], json={"email": team["other_email"].upper(), "role": role},
                         headers=bearer(team["owner"]))
    assert res.status_code == 201, res.text
    assert res.json() == {"status": "created", "staff": res.json()["staff"]}
    assert res.json()["staff"]["email"] == team["other_email"] and res.json()["staff"]["role"] == role
    assert (staff_api.get(issuer_url, headers=other).status_code == 200) is can_read
    edit = staff_api.patch(issuer_url, json={"description": "by " + role}, headers=other)
    assert edit.status_code == (200 if can_edit else 403)
    add = staff_api.post(team["base"], json={"email": unique_email(), "role": "staff"}, headers=other)
    assert add.status_code == (201 if can_delete else 403)


def test_adding_an_existing_member_is_409(staff_api: TestClient[Any], team: dict[str, Any]) -> None:
    res = staff_api.post(team["base"], json={"email": team["owner_email"], "role": "staff"},
                         headers=bearer(team["owner"]))
    assert res.status_code == 409 and res.json()["code"] == "ResourceConflict"


@pytest.mark.parametrize("body", [{"email": "x@y.example", "role": "boss"}, {"role": "staff"},
                                  {"email": "nope", "role": "staff"}, {"email": "x@y.example"},
                                  {"email": "x@y.example", "role": "staff", "extra": 1}])
def test_invalid_staff_body_is_400(staff_api: TestClient[Any], team: dict[str, Any], body: dict[str, Any]) -> None:
    res = staff_api.post(team["base"], json=body, headers=bearer(team["owner"]))
    assert res.status_code == 400 and res.json()["code"] == "ValidationError"


def test_malformed_staff_json_is_400(staff_api: TestClient[Any], team: dict[str, Any]) -> None:
    res = staff_api.post(team["base"], content=b'{"email": ', headers={**bearer(team["owner"]),
                                                                       "Content-Type": "application/json"})
    assert res.status_code == 400


def test_change_role_and_remove(staff_api: TestClient[Any], team: dict[str, Any]) -> None:
    owner = bearer(team["owner"])
    staff_api.post(team["base"], json={"email": team["other_email"], "role": "staff"}, headers=owner)
    member = f"{team['base']}/{team['other_email']}"
    res = staff_api.put(member, json={"role": "editor"}, headers=owner)
    assert res.status_code == 200 and res.json()["status"] == "updated" and res.json()["staff"]["role"] == "editor"
    res = staff_api.delete(member, headers=owner)
    assert res.status_code == 200 and res.json()["status"] == "deleted"
    assert staff_api.get(f"/v1/issuers/{team['issuer']['id']}", headers=bearer(team["other"])).status_code == 404
    assert staff_api.delete(member, headers=owner).status_code == 404
    for odd in ("not-an-email", "a%00@b.example", "x" * 400 + "@b.example"):
        assert staff_api.put(f"{team['base']}/{odd}", json={"role": "staff"}, headers=owner).status_code == 404


def test_last_owner_cannot_be_removed_or_demoted(staff_api: TestClient[Any], team: dict[str, Any]) -> None:
    owner = bearer(team["owner"])
    me = f"{team['base']}/{team['owner_email']}"
    demote = staff_api.put(me, json={"role": "editor"}, headers=owner)
    assert demote.status_code == 409 and demote.json()["code"] == "ResourceConflict"
    assert staff_api.delete(me, headers=owner).status_code == 409
    # with a second owner, the first may step down
    staff_api.post(team["base"], json={"email": team["other_email"], "role": "owner"}, headers=owner)
    assert staff_api.put(me, json={"role": "editor"}, headers=owner).status_code == 200
    other = f"{team['base']}/{team['other_email']}"
    assert staff_api.delete(other, headers=bearer(team["other"])).status_code == 409


def test_staff_of_another_issuer_gets_404_on_its_staff(staff_api: TestClient[Any], team: dict[str, Any]) -> None:
    other = bearer(team["other"])
    new_issuer(staff_api, team["other"])
    assert staff_api.get(team["base"], headers=other).status_code == 404
    res = staff_api.post(team["base"], json={"email": team["other_email"], "role": "owner"}, headers=other)
    assert res.status_code == 404


def test_staff_endpoints_need_a_token(staff_api: TestClient[Any], team: dict[str, Any]) -> None:
    assert staff_api.get(team["base"]).status_code == 401
    assert staff_api.post(team["base"], json={"email": "a@b.example", "role": "staff"}).status_code == 401
