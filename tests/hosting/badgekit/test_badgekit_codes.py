"""BadgeKit claim codes of a system-level badge, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from _badgekit_support import BadgeKit, new_key
from litestar.testing import TestClient
from test_badgekit_instances import BASE, _badge

from hosting import Settings


@pytest.fixture(scope="module")
def bk(api: TestClient[Any], settings: Settings) -> BadgeKit:
    name, secret = new_key(settings, f"master-{secrets.token_hex(3)}")
    return BadgeKit(api, name, secret)


def _code() -> str:
    return "CODE" + secrets.token_hex(4).upper()


def test_create_list_get_delete_code(bk: BadgeKit) -> None:
    path = _badge(bk)
    code = _code()
    res = bk.post(f"{path}/codes", json_body={"code": code, "multiuse": True})
    assert res.status_code == 201, res.text
    assert res.json() == {"status": "created", "claimCode": {"code": code, "multiuse": True, "claimed": False,
                                                             "email": None, "expires": None}}
    form = bk.post(f"{path}/codes", form={"code": code + "F"})
    assert form.status_code == 201 and form.json()["claimCode"]["multiuse"] is False
    listed = bk.get(f"{path}/codes").json()["claimCodes"]
    assert [c["code"] for c in listed] == [code, code + "F"]
    assert bk.get(f"{path}/codes/{code}").json() == {"claimCode": res.json()["claimCode"]}
    gone = bk.delete(f"{path}/codes/{code}")
    assert gone.status_code == 200 and gone.json()["status"] == "deleted"
    missing = bk.get(f"{path}/codes/{code}")
    assert missing.status_code == 404 and missing.json()["code"] == "ResourceNotFound"
    assert [c["code"] for c in bk.get(f"{path}/codes").json()["claimCodes"]] == [code + "F"]


def test_random_code(bk: BadgeKit) -> None:
    path = _badge(bk)
    res = bk.post(f"{path}/codes/random", json_body={})
    assert res.status_code == 201, res.text
    code = res.json()["claimCode"]["code"]
    assert len(code) >= 8
    assert bk.get(f"{path}/codes/{code}").status_code == 200
    other = bk.post(f"{path}/codes/random", json_body={"multiuse": True}).json()["claimCode"]
    assert other["code"] != code and other["multiuse"] is True


def test_code_conflict_and_validation(bk: BadgeKit) -> None:
    path = _badge(bk)
    code = _code()
    bk.post(f"{path}/codes", json_body={"code": code})
    res = bk.post(f"{path}/codes", json_body={"code": code})
    assert res.status_code == 409 and res.json()["code"] == "ResourceConflict"
    assert res.json()["details"]["code"] == code
    bad = bk.post(f"{path}/codes", json_body={"code": "a b"})
    assert bad.status_code == 400 and bad.json()["details"][0]["field"] == "code"


def test_claim_issues_instance_once(bk: BadgeKit) -> None:
    path = _badge(bk)
    code = _code()
    bk.post(f"{path}/codes", json_body={"code": code})
    res = bk.post(f"{path}/codes/{code}/claim", json_body={"email": "claimer@example.org"})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["claimCode"]["claimed"] is True and body["claimCode"]["email"] == "claimer@example.org"
    inst = body["instance"]
    assert inst["claimCode"] == code and inst["email"] == "claimer@example.org"
    assert bk.client.get(inst["assertionUrl"].removeprefix(BASE)).status_code == 200
    assert bk.get(f"{path}/instances/claimer@example.org").json()["instance"]["claimCode"] == code
    again = bk.post(f"{path}/codes/{code}/claim", json_body={"email": "second@example.org"})
    assert again.status_code == 410
    assert len(bk.get(f"{path}/instances").json()["instances"]) == 1
    bad = bk.post(f"{path}/codes/{code}/claim", json_body={})
    assert bad.status_code == 400 and bad.json()["details"][0]["field"] == "email"


def test_instance_with_claim_code_consumes_it(bk: BadgeKit) -> None:
    path = _badge(bk)
    code = _code()
    bk.post(f"{path}/codes", json_body={"code": code})
    res = bk.post(f"{path}/instances", json_body={"email": "i@example.org", "claimCode": code})
    assert res.status_code == 201 and res.json()["instance"]["claimCode"] == code
    assert bk.get(f"{path}/codes/{code}").json()["claimCode"]["claimed"] is True
    again = bk.post(f"{path}/instances", json_body={"email": "j@example.org", "claimCode": code})
    assert again.status_code == 410


def test_codes_of_other_system_refused(bk: BadgeKit, settings: Settings) -> None:
    from test_badgekit_auth_systems import _system

    path = _badge(bk)
    code = _code()
    bk.post(f"{path}/codes", json_body={"code": code})
    mine = _system(bk)
    name, secret = new_key(settings, system=mine["slug"])
    scoped = BadgeKit(bk.client, name, secret)
    assert scoped.get(f"{path}/codes").status_code == 403
    assert scoped.post(f"{path}/codes/{code}/claim", json_body={"email": "x@example.org"}).status_code == 403
    assert bk.get(f"{path}/codes/{code}").json()["claimCode"]["claimed"] is False


def test_codes_are_per_badge_and_another_badges_code_is_not_found(bk: BadgeKit) -> None:
    mine, theirs = _badge(bk), _badge(bk)  # two systems (tenants), one badge each
    shared, only_theirs = _code(), _code()
    for path in (mine, theirs):
        res = bk.post(f"{path}/codes", json_body={"code": shared})
        assert res.status_code == 201, res.text  # another badge holding it is no conflict
    again = bk.post(f"{mine}/codes", json_body={"code": shared})
    assert again.status_code == 409 and again.json()["details"]["code"] == shared
    claimed = bk.post(f"{mine}/codes/{shared}/claim", json_body={"email": "mine@example.org"})
    assert claimed.status_code == 200 and claimed.json()["instance"]["claimCode"] == shared
    assert bk.get(f"{theirs}/codes/{shared}").json()["claimCode"]["claimed"] is False
    assert bk.get(f"{theirs}/instances").json()["instances"] == []
    bk.post(f"{theirs}/codes", json_body={"code": only_theirs})
    for res in (bk.get(f"{mine}/codes/{only_theirs}"), bk.delete(f"{mine}/codes/{only_theirs}"),
                bk.post(f"{mine}/codes/{only_theirs}/claim", json_body={"email": "x@example.org"})):
        assert res.status_code == 404 and res.json()["code"] == "ResourceNotFound", res.text
    used = bk.post(f"{mine}/instances", json_body={"email": "y@example.org", "claimCode": only_theirs})
    assert used.status_code == 400, used.text
    assert bk.get(f"{theirs}/codes/{only_theirs}").json()["claimCode"] == {
        "code": only_theirs, "multiuse": False, "claimed": False, "email": None, "expires": None}
    assert only_theirs not in [c["code"] for c in bk.get(f"{mine}/codes").json()["claimCodes"]]
