"""BadgeKit badges, instances and claim codes at the issuer and program levels, an earner's instances across a
level, and what a system key may reach (adversarial), on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from _badgekit_support import AppFetcher, BadgeKit, new_key
from litestar.testing import TestClient
from test_badgekit_auth_systems import _system
from test_badgekit_badges import _badge_body
from test_badgekit_hierarchy import make_issuer, make_program

import openbadges_core as ob
from hosting import Settings

BASE = "http://testserver.local"


@pytest.fixture(scope="module")
def bk(api: TestClient[Any], settings: Settings) -> BadgeKit:
    name, secret = new_key(settings, f"master-{secrets.token_hex(3)}")
    return BadgeKit(api, name, secret)


def _tree(bk: BadgeKit) -> dict[str, str]:
    """A system with an issuer and a program: the three level paths."""
    system = _system(bk)["slug"]
    issuer = make_issuer(bk, system)["slug"]
    program = make_program(bk, system, issuer)["slug"]
    return {"system": f"/systems/{system}", "issuer": f"/systems/{system}/issuers/{issuer}",
            "program": f"/systems/{system}/issuers/{issuer}/programs/{program}"}


@pytest.mark.parametrize("level", ["issuer", "program"])
def test_badges_at_a_level_belong_to_that_level_only(bk: BadgeKit, level: str) -> None:
    paths = _tree(bk)
    base = paths[level] + "/badges"
    res = bk.post(base, json_body=_badge_body())
    assert res.status_code == 201, res.text
    badge = res.json()["badge"]
    assert badge["system"]["slug"] == paths["system"].rsplit("/", 1)[1]
    assert badge["system"]["issuers"][0]["slug"] == paths["issuer"].rsplit("/", 1)[1]
    assert bk.get(base).json() == {"badges": [badge]}
    assert bk.get(f"{base}/{badge['slug']}").json() == {"badge": badge}
    for other in {"system", "issuer", "program"} - {level}:
        assert bk.get(paths[other] + "/badges").json() == {"badges": []}
        assert bk.get(f"{paths[other]}/badges/{badge['slug']}").status_code == 404
    form = bk.post(base, form={k: str(v) for k, v in _badge_body().items() if k not in ("criteria", "tags",
                                                                                          "categories")})
    assert form.status_code == 201, form.text
    res = bk.put(f"{base}/{badge['slug']}", form={"new-slug": "renamed-" + badge["slug"], "name": "Renamed"})
    assert res.status_code == 200 and res.json()["badge"]["name"] == "Renamed"
    assert bk.get(f"{base}/renamed-{badge['slug']}").status_code == 200
    assert bk.get(f"{base}?archived=any").json()["badges"][0]["name"] == "Renamed"
    res = bk.delete(f"{base}/renamed-{badge['slug']}")
    assert res.status_code == 200 and res.json()["status"] == "deleted"
    assert len(bk.get(base).json()["badges"]) == 1


def test_badge_slugs_are_shared_by_an_issuer_and_its_programs(bk: BadgeKit) -> None:
    paths = _tree(bk)
    badge = bk.post(paths["issuer"] + "/badges", json_body=_badge_body()).json()["badge"]
    res = bk.post(paths["program"] + "/badges", json_body=_badge_body(slug=badge["slug"]))
    assert res.status_code == 409 and res.json()["error"] == "badge with that `slug` already exists"
    # the system's own badges are another namespace
    assert bk.post(paths["system"] + "/badges", json_body=_badge_body(slug=badge["slug"])).status_code == 201


def test_program_instance_verifies_issued_by_the_program_issuer(bk: BadgeKit) -> None:
    paths = _tree(bk)
    issuer = bk.get(paths["issuer"]).json()["issuer"]
    badge = bk.post(paths["program"] + "/badges", json_body=_badge_body()).json()["badge"]
    base = f"{paths['program']}/badges/{badge['slug']}/instances"
    res = bk.post(base, form={"email": "Prog@Example.org", "issuedOn": "2014-05-21T19:22:09Z"})
    assert res.status_code == 201, res.text
    inst = res.json()["instance"]
    assert inst["email"] == "prog@example.org" and inst["badge"] == badge
    options = ob.VerifyOptions(fetcher=AppFetcher(bk.client), use_cache=False)
    report = ob.verify(inst["assertionUrl"], options=options)
    assert report.valid, report
    assert report.issuer is not None and report.issuer["name"] == issuer["name"] == "Issuer Name"
    assert report.issuer["url"] == issuer["url"]
    assert bk.get(base).json() == {"instances": [inst]}
    assert bk.get(f"{base}/prog@example.org").json() == {"instance": inst}
    assert bk.get(f"{paths['issuer']}/badges/{badge['slug']}/instances").status_code == 404
    res = bk.delete(f"{base}/prog@example.org")
    assert res.status_code == 200 and res.json() == {"status": "deleted", "instance": inst}
    after = ob.verify(inst["assertionUrl"], options=options)
    assert not after.valid and after.revoked


def test_issuer_instance_is_issued_by_the_issuer(bk: BadgeKit) -> None:
    paths = _tree(bk)
    bk.put(paths["issuer"], json_body={"name": "The Nearest Issuer"})
    badge = bk.post(paths["issuer"] + "/badges", json_body=_badge_body()).json()["badge"]
    inst = bk.post(f"{paths['issuer']}/badges/{badge['slug']}/instances",
                   json_body={"email": "i@example.org"}).json()["instance"]
    report = ob.verify(inst["assertionUrl"], options=ob.VerifyOptions(fetcher=AppFetcher(bk.client),
                                                                       use_cache=False))
    assert report.valid and report.issuer is not None and report.issuer["name"] == "The Nearest Issuer"


def test_claim_codes_at_the_program_level(bk: BadgeKit) -> None:
    paths = _tree(bk)
    badge = bk.post(paths["program"] + "/badges", json_body=_badge_body()).json()["badge"]
    codes = f"{paths['program']}/badges/{badge['slug']}/codes"
    res = bk.post(codes, json_body={"code": "PROGCODE1", "multiuse": False})
    assert res.status_code == 201 and res.json()["claimCode"]["code"] == "PROGCODE1"
    random = bk.post(f"{codes}/random").json()["claimCode"]["code"]
    assert sorted(c["code"] for c in bk.get(codes).json()["claimCodes"]) == sorted(["PROGCODE1", random])
    res = bk.post(f"{codes}/PROGCODE1/claim", json_body={"email": "claimer@example.org"})
    assert res.status_code == 200, res.text
    assert res.json()["claimCode"]["claimed"] is True and res.json()["claimCode"]["email"] == "claimer@example.org"
    assert res.json()["instance"]["badge"]["slug"] == badge["slug"]
    assert bk.get(f"{codes}/PROGCODE1").json()["claimCode"]["claimed"] is True
    assert bk.delete(f"{codes}/{random}").status_code == 200
    assert bk.get(f"{codes}/{random}").status_code == 404
    # the code is not reachable from the issuer level
    assert bk.get(f"{paths['issuer']}/badges/{badge['slug']}/codes/PROGCODE1").status_code == 404
    res = bk.post(f"{paths['program']}/badges/{badge['slug']}/instances",
                  json_body={"email": "x@example.org", "claimCode": "PROGCODE1"})
    assert (res.status_code, res.json()["code"]) == (410, "Gone")  # a used single-use code


def test_instances_by_email_across_a_level(bk: BadgeKit) -> None:
    paths = _tree(bk)
    made = {}
    for level in ("system", "issuer", "program"):
        badge = bk.post(paths[level] + "/badges", json_body=_badge_body()).json()["badge"]
        made[level] = bk.post(f"{paths[level]}/badges/{badge['slug']}/instances",
                              json_body={"email": "all@example.org"}).json()["instance"]
    other = bk.post(paths["system"] + "/badges", json_body=_badge_body()).json()["badge"]
    bk.post(f"{paths['system']}/badges/{other['slug']}/instances", json_body={"email": "else@example.org"})

    def slugs(level: str, email: str = "ALL@example.org") -> list[str]:
        res = bk.get(f"{paths[level]}/instances/{email}")
        assert res.status_code == 200, res.text
        return [i["slug"] for i in res.json()["instances"]]

    assert slugs("system") == [made[lv]["slug"] for lv in ("system", "issuer", "program")]
    assert slugs("issuer") == [made["issuer"]["slug"], made["program"]["slug"]]
    assert slugs("program") == [made["program"]["slug"]]
    assert bk.get(f"{paths['program']}/instances/all@example.org").json() == {"instances": [made["program"]]}
    missing = bk.get(f"{paths['program']}/instances/else@example.org")
    assert missing.status_code == 404 and missing.json()["code"] == "ResourceNotFound"
    # revoked instances are not listed
    badge_slug = made["issuer"]["badge"]["slug"]
    bk.delete(f"{paths['issuer']}/badges/{badge_slug}/instances/all@example.org")
    assert slugs("issuer") == [made["program"]["slug"]]


# --- a key bound to a system reaches its issuers and programs, nothing else -----------------------------------

def test_system_key_acts_on_its_issuers_and_programs(bk: BadgeKit, settings: Settings) -> None:
    paths = _tree(bk)
    name, secret = new_key(settings, system=paths["system"].rsplit("/", 1)[1])
    scoped = BadgeKit(bk.client, name, secret)
    assert scoped.post(paths["system"] + "/issuers", json_body={
        "slug": "mine", "name": "Mine", "url": "https://mine.example.org"}).status_code == 201
    assert scoped.post(paths["issuer"] + "/programs", json_body={
        "slug": "p2", "name": "P2", "url": "https://p2.example.org"}).status_code == 201
    badge = scoped.post(paths["program"] + "/badges", json_body=_badge_body())
    assert badge.status_code == 201, badge.text
    slug = badge.json()["badge"]["slug"]
    assert scoped.post(f"{paths['program']}/badges/{slug}/instances",
                       json_body={"email": "k@example.org"}).status_code == 201
    assert scoped.get(f"{paths['system']}/instances/k@example.org").status_code == 200


def test_system_key_cannot_reach_another_system_issuer_even_with_the_same_slug(bk: BadgeKit,
                                                                               settings: Settings) -> None:
    mine, theirs = _tree(bk), _tree(bk)
    their_system = theirs["system"].rsplit("/", 1)[1]
    shared = f"shared-{secrets.token_hex(3)}"
    make_issuer(bk, mine["system"].rsplit("/", 1)[1], shared, name="Mine")
    make_issuer(bk, their_system, shared, name="Theirs")
    their_badge = bk.post(f"{theirs['program']}/badges", json_body=_badge_body()).json()["badge"]["slug"]
    bk.post(f"{theirs['program']}/badges/{their_badge}/instances", json_body={"email": "t@example.org"})
    name, secret = new_key(settings, system=mine["system"].rsplit("/", 1)[1])
    scoped = BadgeKit(bk.client, name, secret)
    # by the other system's path: 403 on every level and route
    for path in (f"{theirs['system']}/issuers", f"{theirs['system']}/issuers/{shared}", theirs["issuer"],
                 theirs["issuer"] + "/programs", theirs["program"], theirs["program"] + "/badges",
                 f"{theirs['program']}/badges/{their_badge}/instances",
                 f"{theirs['program']}/badges/{their_badge}/codes", f"{theirs['program']}/instances/t@example.org",
                 f"{theirs['system']}/instances/t@example.org"):
        res = scoped.get(path)
        assert res.status_code == 403 and res.json()["code"] == "Forbidden", path
    assert scoped.put(f"{theirs['system']}/issuers/{shared}", json_body={"name": "Hijacked"}).status_code == 403
    assert scoped.delete(theirs["program"]).status_code == 403
    assert scoped.post(f"{theirs['program']}/badges/{their_badge}/instances",
                       json_body={"email": "evil@example.org"}).status_code == 403
    # by the top-level routes: the same slug names the key's own issuer, never the other system's
    assert scoped.get(f"/issuers/{shared}").json()["issuer"]["name"] == "Mine"
    assert scoped.put(f"/issuers/{shared}", json_body={"name": "Mine too"}).status_code == 200
    assert scoped.get(f"/issuers/{shared}?system={their_system}").status_code == 403
    assert bk.get(f"{theirs['system']}/issuers/{shared}").json()["issuer"]["name"] == "Theirs"
    assert [i["system"] for i in scoped.get("/issuers").json()["issuers"]] == [mine["system"].rsplit("/", 1)[1]] * 2
    assert bk.get(f"{theirs['program']}/badges/{their_badge}/instances").json()["instances"][0]["email"] \
        == "t@example.org"


def test_an_issuer_slug_is_not_a_system_for_keys(bk: BadgeKit, settings: Settings) -> None:
    from conftest import run_store
    from sqlalchemy import select

    from hosting.lib.errors import InvalidInput
    from hosting.storage.models import Issuer

    issuer = bk.get(_tree(bk)["issuer"]).json()["issuer"]

    async def _global_slug(store: Any) -> str:
        return str(await store.session.scalar(select(Issuer.slug).where(Issuer.id == issuer["id"])))

    for slug in (issuer["slug"], run_store(settings, _global_slug)):  # neither slug names a system
        with pytest.raises(InvalidInput):
            new_key(settings, system=slug)


def test_a_nul_character_in_a_path_or_query_names_nothing(bk: BadgeKit) -> None:
    """PostgreSQL refuses NUL in text: a path value with one is a 404, a query value a 400 (was a 500 there)."""
    paths = _tree(bk)
    badge = bk.post(paths["program"] + "/badges", json_body=_badge_body()).json()["badge"]["slug"]
    assert bk.post(f"{paths['program']}/badges/{badge}/instances", json_body={"email": "n@example.org"}
                   ).status_code == 201
    system, issuer = paths["system"].rsplit("/", 1)[1], paths["issuer"].rsplit("/", 1)[1]
    for method, path in [("GET", "/systems/%00"), ("DELETE", "/systems/a%00b"),
                         ("GET", f"{paths['system']}/issuers/%00"), ("PUT", f"{paths['issuer']}/programs/%00"),
                         ("GET", f"{paths['program']}/badges/%00"),
                         ("GET", f"{paths['program']}/badges/{badge}/instances/n%00@example.org"),
                         ("DELETE", f"{paths['program']}/badges/{badge}/instances/%00"),
                         ("GET", f"{paths['issuer']}/instances/%00"), ("GET", f"/issuers/%00?system={system}"),
                         ("GET", f"{paths['program']}/badges/{badge}/codes/%00")]:
        res = bk.request(method, path, json_body={"name": "x"} if method == "PUT" else None)
        assert res.status_code == 404, (path, res.text)
        assert res.json()["code"] == "ResourceNotFound"
    res = bk.get(f"/issuers/{issuer}?system=%00")
    assert res.status_code == 400, res.text
    assert res.json()["details"] == [{"field": "system", "message": "must not contain NUL characters",
                                      "value": "\\0"}]
    assert bk.get(f"{paths['program']}/badges/{badge}/instances/n@example.org").status_code == 200
