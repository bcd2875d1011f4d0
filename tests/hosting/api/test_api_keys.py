"""Issuer API keys: roles, create/list/read/retire, the public Issuer Profile's ``publicKey``, and signed
assertions verifying with the library's verifier before and after a retirement — on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

import openbadges_core as ob
from hosting import Settings
from openbadges_core import ob2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer, make_token, new_issuer, unique_email
from _issue_support import Team, new_team
from conftest import BASE_URL


@pytest.fixture
def team(settings: Settings, api: TestClient[Any]) -> Team:
    return new_team(settings, api)


class AppFetcher:
    """An ``ob.Fetcher`` answering from the app in-process (what a verifier on the network would get)."""

    def __init__(self, api: TestClient[Any]) -> None:
        self.api = api
        self.urls: list[str] = []

    def fetch(self, url: str, *, accept: str = "application/ld+json", timeout: float | None = None
              ) -> ob.FetchResponse:
        assert url.startswith(BASE_URL), url
        self.urls.append(url)
        res = self.api.get(url.removeprefix(BASE_URL), headers={"Accept": accept}, follow_redirects=False)
        return ob.FetchResponse(url, res.status_code, res.headers.get("content-type", ""), res.content,
                                headers=dict(res.headers))


def _verify(api: TestClient[Any], jws: str) -> ob.VerificationReport:
    return ob.verify(jws, options=ob.VerifyOptions(fetcher=AppFetcher(api), use_cache=False))


def _create(team: Team, token: str | None = None, **body: Any) -> Any:
    return team.api.post(f"{team.path}/keys", json=body, headers=bearer(token or team.owner))


def _profile(api: TestClient[Any], team: Team) -> dict[str, Any]:
    res = api.get(f"/public/issuers/{team.issuer['id']}")
    assert res.status_code == 200, res.text
    profile: dict[str, Any] = res.json()
    return profile


def _listed(profile: dict[str, Any]) -> list[str]:
    value = profile.get("publicKey", [])
    return [value] if isinstance(value, str) else list(value)


# --- create, read, list --------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "alg", "pem_start"), [
    ({}, "RS256", "-----BEGIN PUBLIC KEY-----"),
    ({"alg": "ES256"}, "ES256", "-----BEGIN PUBLIC KEY-----"),
])
def test_create_key(api: TestClient[Any], team: Team, body: dict[str, Any], alg: str, pem_start: str) -> None:
    res = _create(team, **body)
    assert res.status_code == 201, res.text
    assert res.json()["status"] == "created"
    key = res.json()["key"]
    assert key["alg"] == alg and key["state"] == "active" and key["retiredAt"] is None
    assert key["publicKeyPem"].startswith(pem_start) and key["kid"]
    assert key["publicUrl"] == f"{BASE_URL}/public/keys/{key['id']}"
    assert ob.load_public_key(key["publicKeyPem"].encode()).alg == alg
    doc = api.get(key["publicUrl"].removeprefix(BASE_URL)).json()
    assert doc["publicKeyPem"] == key["publicKeyPem"] and doc["owner"] == f"{BASE_URL}/public/issuers/{team.issuer['id']}"
    got = api.get(f"{team.path}/keys/{key['id']}", headers=bearer(team.owner))
    assert got.status_code == 200 and got.json()["key"] == key


@pytest.mark.parametrize(("body", "field"), [
    ({"alg": "HS256"}, "alg"), ({"alg": "EdDSA"}, "alg"), ({"alg": None}, "alg"), ({"alg": 256}, "alg"),
    ({"bits": 4096}, "bits"),
])
def test_bad_create_bodies_are_400(team: Team, body: dict[str, Any], field: str) -> None:
    res = _create(team, **body)
    assert res.status_code == 400 and res.json()["code"] == "ValidationError"
    assert [d["field"] for d in res.json()["details"]] == [field]


def test_list_keys_in_creation_order_with_states(team: Team) -> None:
    first = _create(team).json()["key"]
    second = _create(team, alg="ES256").json()["key"]
    assert team.api.post(f"{team.path}/keys/{first['id']}/retire", headers=bearer(team.owner)).status_code == 200
    res = team.api.get(f"{team.path}/keys", headers=bearer(team.owner))
    assert res.status_code == 200
    keys = res.json()["keys"]
    assert [(k["id"], k["state"]) for k in keys] == [(first["id"], "retired"), (second["id"], "active")]
    assert keys[0]["retiredAt"] is not None


def test_unknown_key_is_404(team: Team) -> None:
    other = new_team(team.settings, team.api)
    foreign = _create(other).json()["key"]["id"]
    for ref in (foreign, "nope", "x" * 300):  # another issuer's key is not this issuer's
        assert team.api.get(f"{team.path}/keys/{ref}", headers=bearer(team.owner)).status_code == 404
        assert team.api.post(f"{team.path}/keys/{ref}/retire", headers=bearer(team.owner)).status_code == 404


# --- roles --------------------------------------------------------------------------------------------

def test_staff_reads_but_cannot_manage_keys(team: Team) -> None:
    key = _create(team).json()["key"]
    staff = team.member("staff")
    assert team.api.get(f"{team.path}/keys", headers=bearer(staff)).json()["keys"] == [key]
    assert team.api.get(f"{team.path}/keys/{key['id']}", headers=bearer(staff)).status_code == 200
    res = _create(team, staff)
    assert res.status_code == 403 and res.json()["code"] == "Forbidden"
    res = team.api.post(f"{team.path}/keys/{key['id']}/retire", headers=bearer(staff))
    assert res.status_code == 403
    assert team.api.get(f"{team.path}/keys/{key['id']}", headers=bearer(staff)).json()["key"]["state"] == "active"


def test_editor_manages_keys(team: Team) -> None:
    editor = team.member("editor")
    key = _create(team, editor)
    assert key.status_code == 201
    res = team.api.post(f"{team.path}/keys/{key.json()['key']['id']}/retire", headers=bearer(editor))
    assert res.status_code == 200 and res.json()["key"]["state"] == "retired"


def test_other_issuers_user_gets_404(settings: Settings, team: Team) -> None:
    key = _create(team).json()["key"]
    stranger = make_token(settings, unique_email("stranger"))
    new_issuer(team.api, stranger)  # holds a role somewhere else
    for res in (team.api.get(f"{team.path}/keys", headers=bearer(stranger)),
                team.api.get(f"{team.path}/keys/{key['id']}", headers=bearer(stranger)),
                _create(team, stranger),
                team.api.post(f"{team.path}/keys/{key['id']}/retire", headers=bearer(stranger))):
        assert res.status_code == 404 and res.json()["code"] == "ResourceNotFound"


def test_read_only_token_lists_but_cannot_create(settings: Settings, api: TestClient[Any]) -> None:
    email = unique_email("owner")
    issuer = new_issuer(api, make_token(settings, email))
    reader = make_token(settings, email, scopes=["issuer:read"])
    assert api.get(f"/v1/issuers/{issuer['id']}/keys", headers=bearer(reader)).json() == {"keys": []}
    res = api.post(f"/v1/issuers/{issuer['id']}/keys", json={}, headers=bearer(reader))
    assert res.status_code == 403 and res.json()["code"] == "Forbidden"


# --- retire, publish, verify --------------------------------------------------------------------------

def test_retiring_twice_is_409(team: Team) -> None:
    key = _create(team).json()["key"]
    assert team.api.post(f"{team.path}/keys/{key['id']}/retire", headers=bearer(team.owner)).status_code == 200
    res = team.api.post(f"{team.path}/keys/{key['id']}/retire", headers=bearer(team.owner))
    assert res.status_code == 409 and res.json()["code"] == "ResourceConflict"
    assert res.json()["details"][0]["resource"] == "key"


def test_profile_publishes_keys_created_through_the_api(api: TestClient[Any], team: Team) -> None:
    assert "publicKey" not in _profile(api, team)  # read once: the profile is rendered and stored
    first = _create(team).json()["key"]
    assert _listed(_profile(api, team)) == [first["publicUrl"]]
    second = _create(team, alg="ES256").json()["key"]
    assert _listed(_profile(api, team)) == [second["publicUrl"], first["publicUrl"]]  # newest active first
    team.api.post(f"{team.path}/keys/{second['id']}/retire", headers=bearer(team.owner))
    assert _listed(_profile(api, team)) == [first["publicUrl"], second["publicUrl"]]  # retired: still listed
    assert ob2.document_issues(_profile(api, team), kind="Issuer") == []


def test_signatures_before_retirement_still_verify(api: TestClient[Any], team: Team) -> None:
    old_key = _create(team).json()["key"]
    badge = team.badge()
    old = team.issue(badge, verification="signed").json()["assertion"]
    before = _verify(api, old["jws"])
    assert before.valid, before

    assert team.api.post(f"{team.path}/keys/{old_key['id']}/retire", headers=bearer(team.owner)).status_code == 200
    res = team.issue(badge, verification="signed")
    assert res.status_code == 409  # no active key left: nothing is signed with the retired one

    new_key = _create(team, alg="ES256").json()["key"]
    new = team.issue(badge, verification="signed").json()["assertion"]
    header, _ = ob.verify_jws(new["jws"], ob.load_public_key(new_key["publicKeyPem"].encode()))
    assert header["alg"] == "ES256"
    with pytest.raises(ob.OpenBadgesError):  # not signed with the retired key
        ob.verify_jws(new["jws"], ob.load_public_key(old_key["publicKeyPem"].encode()))

    after_old = _verify(api, old["jws"])
    assert after_old.valid, after_old
    assert api.get(old_key["publicUrl"].removeprefix(BASE_URL)).status_code == 200  # still served
    after_new = _verify(api, new["jws"])
    assert after_new.valid, after_new
