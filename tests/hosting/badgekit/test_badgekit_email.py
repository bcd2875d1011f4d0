"""A BadgeKit system or issuer without ``email`` (optional in BadgeKit, required in an OB 2.0 Issuer Profile):
an issuer inside a system publishes its system's email; nothing is issued where no email is reachable (a 409
naming `email`, through every API, writing nothing); the public profile never answers 500 (404 while there is
no email); an email that issued assertions rely on cannot be removed."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Any

import pytest
from _api_support import bearer, make_token, unique_email
from _badgekit_support import AppFetcher, BadgeKit, new_key
from conftest import run_store
from litestar.testing import TestClient
from sqlalchemy import func, select
from test_badgekit_auth_systems import _system
from test_badgekit_badges import _badge_body
from test_badgekit_hierarchy import make_issuer, make_program

import openbadges_core as ob
from hosting import Settings
from hosting.storage.models import Assertion, BadgeClass, Issuer

SYSTEM_EMAIL = "admin@systemsite.example.org"


@pytest.fixture(scope="module")
def bk(api: TestClient[Any], settings: Settings) -> BadgeKit:
    name, secret = new_key(settings, f"master-{secrets.token_hex(3)}")
    return BadgeKit(api, name, secret)


def _badge(bk: BadgeKit, level: str) -> str:
    res = bk.post(f"{level}/badges", json_body=_badge_body())
    assert res.status_code == 201, res.text
    return f"{level}/badges/{res.json()['badge']['slug']}"


def _profile(bk: BadgeKit, settings: Settings, row_id: int) -> Any:
    """The public OB 2.0 issuer document of an issuer row (a system's or an issuer's integer id)."""
    async def _public_id(store: Any) -> str:
        return str(await store.session.scalar(select(Issuer.public_id).where(Issuer.id == row_id)))

    return bk.client.get(f"/public/issuers/{run_store(settings, _public_id)}")


def _issued(settings: Settings, issuer_id: int) -> int:
    """How many assertions the issuer row's badge classes have (any state)."""
    async def _n(store: Any) -> int:
        query = select(func.count()).select_from(Assertion).join(BadgeClass).where(BadgeClass.issuer_id == issuer_id)
        return int(await store.session.scalar(query) or 0)

    return run_store(settings, _n)


def _refused(res: Any) -> None:
    assert res.status_code == 409, res.text
    body = res.json()
    assert body["code"] == "ResourceConflict" and "`email`" in body["error"], body


def test_issuer_without_email_publishes_its_system_email_and_verifies(bk: BadgeKit, settings: Settings) -> None:
    system = _system(bk)
    issuer = make_issuer(bk, system["slug"], email=None)
    assert issuer["email"] is None  # BadgeKit's own view keeps what was given
    level = f"/systems/{system['slug']}/issuers/{issuer['slug']}"
    program = make_program(bk, system["slug"], issuer["slug"])
    for path in (_badge(bk, level), _badge(bk, f"{level}/programs/{program['slug']}")):
        res = bk.post(f"{path}/instances", json_body={"email": "earner@example.org"})
        assert res.status_code == 201, res.text
        report = ob.verify(res.json()["instance"]["assertionUrl"],
                           options=ob.VerifyOptions(fetcher=AppFetcher(bk.client), use_cache=False))
        assert report.valid, report
    profile = _profile(bk, settings, issuer["id"])
    assert profile.status_code == 200 and profile.json()["email"] == SYSTEM_EMAIL
    # the system's new email shows at once in the issuer's profile; its own email, once given, wins
    assert bk.put(f"/systems/{system['slug']}", json_body={"email": "new@systemsite.example.org"}).status_code == 200
    assert _profile(bk, settings, issuer["id"]).json()["email"] == "new@systemsite.example.org"
    assert bk.put(level, json_body={"email": "own@issuer.example.org"}).status_code == 200
    assert _profile(bk, settings, issuer["id"]).json()["email"] == "own@issuer.example.org"


@pytest.mark.parametrize("encoding", ["json", "form", "multipart"])
def test_nothing_is_issued_without_a_reachable_email(bk: BadgeKit, settings: Settings, encoding: str) -> None:
    """A system made without email: its profile is a 404 (never a 500), and issuing at each of its levels (an
    instance, a claimed code) is a 409 naming `email` that writes nothing (the code stays unclaimed)."""
    system = _system(bk, email=None)
    assert system["email"] is None
    issuer = make_issuer(bk, system["slug"], email=None)
    level = f"/systems/{system['slug']}/issuers/{issuer['slug']}"
    program = make_program(bk, system["slug"], issuer["slug"])
    for row_id in (system["id"], issuer["id"]):
        profile = _profile(bk, settings, row_id)
        assert profile.status_code == 404 and "email" in profile.text, profile.text

    def body(fields: dict[str, str]) -> dict[str, Any]:
        if encoding == "json":
            return {"json_body": fields}
        return {"form": fields} if encoding == "form" else {"form": fields, "files": {}}

    for lvl in (f"/systems/{system['slug']}", level, f"{level}/programs/{program['slug']}"):
        path = _badge(bk, lvl)
        _refused(bk.post(f"{path}/instances", **body({"email": "earner@example.org"})))
        code = f"CODE-{secrets.token_hex(4)}"  # claim codes are unique server-wide
        assert bk.post(f"{path}/codes", json_body={"code": code}).status_code == 201
        _refused(bk.post(f"{path}/codes/{code}/claim", **body({"email": "earner@example.org"})))
        code = bk.get(f"{path}/codes/{code}").json()["claimCode"]
        assert code["claimed"] is False and code["email"] is None
        assert bk.get(f"{path}/instances").json() == {"instances": []}
    for row_id in (system["id"], issuer["id"]):
        assert _issued(settings, row_id) == 0
    # once the system has an email, both levels issue and publish it
    assert bk.put(f"/systems/{system['slug']}", json_body={"email": SYSTEM_EMAIL}).status_code == 200
    path = _badge(bk, level)
    assert bk.post(f"{path}/instances", json_body={"email": "earner@example.org"}).status_code == 201
    assert _profile(bk, settings, issuer["id"]).json()["email"] == SYSTEM_EMAIL


def test_other_apis_do_not_issue_under_an_email_less_system(bk: BadgeKit, settings: Settings) -> None:
    """The same badge class through /v1 (an assertion) and the public claim page: 409, nothing written."""
    system = _system(bk, email=None)
    slug = _badge(bk, f"/systems/{system['slug']}").rsplit("/", 1)[1]
    admin = make_token(settings, unique_email("admin"), admin=True)
    res = bk.client.post(f"/v1/issuers/{system['slug']}/badges/{slug}/assertions", headers=bearer(admin),
                         json={"recipient": "earner@example.org"})
    assert res.status_code == 409, res.text
    assert any(d.get("field") == "email" for d in res.json().get("details", [])), res.text
    # the public claim page (an earner claiming a BadgeKit code): a 409 page, not a 500; the code stays usable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "earners"))
    from _earner_support import csrf_of

    path = f"/systems/{system['slug']}/badges/{slug}"
    code = f"PUB{secrets.token_hex(4)}"
    assert bk.post(f"{path}/codes", json_body={"code": code}).status_code == 201
    page = bk.client.get(f"/claim/{code}")
    assert page.status_code == 200, page.text
    res = bk.client.post(f"/claim/{code}", data={"_csrf_token": csrf_of(page.text), "email": "e@example.org"})
    assert res.status_code == 409, res.text
    assert bk.get(f"{path}/codes/{code}").json()["claimCode"]["claimed"] is False
    assert _issued(settings, system["id"]) == 0


def test_v1_cannot_create_or_clear_an_issuer_email(bk: BadgeKit, settings: Settings) -> None:
    owner = make_token(settings, unique_email("owner"))
    body = {"name": "No Mail", "url": "https://issuer.example.org", "slug": f"nomail-{secrets.token_hex(3)}"}
    res = bk.client.post("/v1/issuers", json=body, headers=bearer(owner))
    assert res.status_code == 400 and "email" in res.text, res.text
    res = bk.client.post("/v1/issuers", json={**body, "email": "a@example.org"}, headers=bearer(owner))
    assert res.status_code == 201, res.text
    for empty in (None, ""):
        res = bk.client.patch(f"/v1/issuers/{body['slug']}", json={"email": empty}, headers=bearer(owner))
        assert res.status_code == 400, res.text


def test_an_email_issued_assertions_rely_on_cannot_be_removed(bk: BadgeKit, settings: Settings) -> None:
    system = _system(bk)
    bare = make_issuer(bk, system["slug"], email=None)  # publishes the system's email
    own = make_issuer(bk, system["slug"])  # its own
    bare_level = f"/systems/{system['slug']}/issuers/{bare['slug']}"
    own_level = f"/systems/{system['slug']}/issuers/{own['slug']}"
    for lvl in (bare_level, own_level):
        path = _badge(bk, lvl)
        assert bk.post(f"{path}/instances", json_body={"email": "earner@example.org"}).status_code == 201
    # the system's email is what `bare`'s assertions publish: removing it is refused (JSON and form), unchanged
    for kw in ({"json_body": {"email": None}}, {"json_body": {"email": ""}}, {"form": {"email": ""}}):
        _refused(bk.put(f"/systems/{system['slug']}", **kw))
    assert bk.get(f"/systems/{system['slug']}").json()["system"]["email"] == SYSTEM_EMAIL
    # `own` falls back to the system's email: removing its own is allowed and its profile shows the system's
    res = bk.put(own_level, json_body={"email": ""})
    assert res.status_code == 200 and res.json()["issuer"]["email"] is None, res.text
    assert _profile(bk, settings, own["id"]).json()["email"] == SYSTEM_EMAIL
    # a system with nothing issued under its email-less issuers may drop its email
    quiet = _system(bk)
    make_issuer(bk, quiet["slug"], email=None)
    assert bk.put(f"/systems/{quiet['slug']}", json_body={"email": None}).status_code == 200


def test_a_milestone_badge_without_a_reachable_email_is_not_awarded(bk: BadgeKit, settings: Settings) -> None:
    """A support badge at an issuer with its own email is issued; the milestone badge at its email-less system
    is simply not awarded (the support badge's instance does not fail)."""
    system = _system(bk, email=None)
    issuer = make_issuer(bk, system["slug"])
    support = _badge(bk, f"/systems/{system['slug']}/issuers/{issuer['slug']}")
    support_id = bk.get(support).json()["badge"]["id"]
    res = bk.post(f"/systems/{system['slug']}/badges", json_body=_badge_body(
        milestones=[{"numberRequired": 1, "supportBadges": [support_id]}]))
    assert res.status_code == 201, res.text
    res = bk.post(f"{support}/instances", json_body={"email": "earner@example.org"})
    assert res.status_code == 201, res.text
    assert bk.get(f"/systems/{system['slug']}/instances/earner@example.org").json()["instances"] == [
        res.json()["instance"]]
    assert _issued(settings, system["id"]) == 0
