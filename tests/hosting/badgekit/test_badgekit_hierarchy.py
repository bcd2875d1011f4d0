"""BadgeKit issuers inside a system and programs of an issuer (``/systems/:slug/issuers…``, the top-level
``/issuers`` routes), their JSON/form/multipart bodies, errors, and deleting levels, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from _badgekit_support import BadgeKit, new_key
from litestar.testing import TestClient
from test_badgekit_auth_systems import PNG, PNG_DATA_URI, _system
from test_badgekit_badges import _badge_body

from hosting import Settings

BASE = "http://testserver.local"


@pytest.fixture(scope="module")
def bk(api: TestClient[Any], settings: Settings) -> BadgeKit:
    name, secret = new_key(settings, f"master-{secrets.token_hex(3)}")
    return BadgeKit(api, name, secret)


def issuer_body(slug: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"slug": slug or f"iss-{secrets.token_hex(3)}", "name": "Issuer Name",
            "url": "https://issuer.example.org/", "email": "badges@issuer.example.org",
            "description": "Issuer description", **extra}


def make_issuer(bk: BadgeKit, system: str, slug: str | None = None, **extra: Any) -> dict[str, Any]:
    res = bk.post(f"/systems/{system}/issuers", json_body=issuer_body(slug, **extra))
    assert res.status_code == 201, res.text
    assert res.json()["status"] == "created"
    return dict(res.json()["issuer"])


def make_program(bk: BadgeKit, system: str, issuer: str, slug: str | None = None) -> dict[str, Any]:
    res = bk.post(f"/systems/{system}/issuers/{issuer}/programs",
                  json_body={"slug": slug or f"prog-{secrets.token_hex(3)}", "name": "Program Name",
                             "url": "https://issuer.example.org/program", "description": "A program"})
    assert res.status_code == 201, res.text
    return dict(res.json()["program"])


# --- issuers inside a system --------------------------------------------------------------------------------

def test_create_get_list_issuer_in_system(bk: BadgeKit) -> None:
    system = _system(bk)["slug"]
    issuer = make_issuer(bk, system, imageUrl=PNG_DATA_URI)
    assert isinstance(issuer["id"], int) and issuer["programs"] == []
    assert issuer["name"] == "Issuer Name" and issuer["url"] == "https://issuer.example.org/"
    assert issuer["email"] == "badges@issuer.example.org" and issuer["description"] == "Issuer description"
    image = bk.client.get(issuer["imageUrl"].removeprefix(BASE))
    assert image.status_code == 200 and image.content == PNG
    assert bk.get(f"/systems/{system}/issuers/{issuer['slug']}").json() == {"issuer": issuer}
    assert bk.get(f"/systems/{system}/issuers").json() == {"issuers": [{**issuer, "system": system}]}
    # the system's issuers list is real now
    assert bk.get(f"/systems/{system}").json()["system"]["issuers"] == [issuer]
    listed = next(s for s in bk.get("/systems").json()["systems"] if s["slug"] == system)
    assert listed["issuers"] == [issuer]


def test_issuer_form_and_multipart_bodies_and_form_rename(bk: BadgeKit) -> None:
    system = _system(bk)["slug"]
    slug = f"form-{secrets.token_hex(3)}"
    res = bk.post(f"/systems/{system}/issuers", form={"slug": slug, "name": "Form Issuer",
                                                      "url": "https://form.example.org"})
    assert res.status_code == 201, res.text
    assert res.json()["issuer"]["imageUrl"] is None
    multi = f"multi-{secrets.token_hex(3)}"
    res = bk.post(f"/systems/{system}/issuers", form={"slug": multi, "name": "Multi", "url": "https://m.example.org"},
                  files={"image": ("i.png", PNG, "image/png")})
    assert res.status_code == 201, res.text
    assert res.json()["issuer"]["imageUrl"].startswith(BASE)
    renamed = f"renamed-{secrets.token_hex(3)}"
    res = bk.put(f"/systems/{system}/issuers/{slug}", form={"new-slug": renamed, "name": "New Name"})
    assert res.status_code == 200 and res.json()["status"] == "updated"
    assert res.json()["issuer"]["slug"] == renamed and res.json()["issuer"]["name"] == "New Name"
    assert bk.get(f"/systems/{system}/issuers/{slug}").status_code == 404
    assert bk.get(f"/systems/{system}/issuers/{renamed}").json()["issuer"]["url"] == "https://form.example.org"


def test_issuer_validation_conflict_and_not_found(bk: BadgeKit) -> None:
    system = _system(bk)["slug"]
    res = bk.post(f"/systems/{system}/issuers", json_body={"slug": "Bad Slug", "url": "www.example.org"})
    assert res.status_code == 400 and res.json()["code"] == "ValidationError"
    assert res.json()["message"] == "Could not validate required fields"
    assert {d["field"] for d in res.json()["details"]} == {"slug", "name", "url"}
    issuer = make_issuer(bk, system)
    res = bk.post(f"/systems/{system}/issuers", json_body=issuer_body(issuer["slug"], name="Other"))
    assert res.status_code == 409 and res.json() == {
        "code": "ResourceConflict", "error": "issuer with that `slug` already exists", "details": issuer}
    other = make_issuer(bk, system)
    res = bk.put(f"/systems/{system}/issuers/{other['slug']}", json_body={"slug": issuer["slug"]})
    assert res.status_code == 409 and res.json()["details"]["slug"] == issuer["slug"]
    res = bk.get(f"/systems/{system}/issuers/no-such-issuer")
    assert res.status_code == 404 and res.json() == {
        "code": "ResourceNotFound", "message": "Could not find issuer with slug `no-such-issuer`"}
    assert bk.put(f"/systems/{system}/issuers/no-such-issuer", json_body={"name": "x"}).status_code == 404
    assert bk.delete(f"/systems/{system}/issuers/no-such-issuer").status_code == 404
    assert bk.get("/systems/no-such-system/issuers").status_code == 404


def test_same_issuer_slug_in_two_systems_are_two_issuers(bk: BadgeKit) -> None:
    one, two = _system(bk)["slug"], _system(bk)["slug"]
    lib = f"library-{secrets.token_hex(3)}"
    a = make_issuer(bk, one, lib, name="Library One")
    b = make_issuer(bk, two, lib, name="Library Two")
    assert a["id"] != b["id"]
    assert bk.get(f"/systems/{one}/issuers/{lib}").json()["issuer"]["name"] == "Library One"
    assert bk.get(f"/systems/{two}/issuers/{lib}").json()["issuer"]["name"] == "Library Two"
    assert bk.put(f"/systems/{one}/issuers/{lib}", json_body={"name": "Renamed One"}).status_code == 200
    assert bk.get(f"/systems/{two}/issuers/{lib}").json()["issuer"]["name"] == "Library Two"
    # an issuer is not a system: neither its slug nor its id answers under /systems
    assert bk.get(f"/systems/{lib}").status_code == 404
    assert a["id"] not in [s["id"] for s in bk.get("/systems").json()["systems"]]


def test_issuer_is_a_v1_issuer_with_its_own_slug(bk: BadgeKit, settings: Settings) -> None:
    from conftest import run_store
    from sqlalchemy import select

    from hosting.storage.models import Issuer

    system = _system(bk)
    issuer = make_issuer(bk, system["slug"])

    async def _row(store: Any) -> tuple[int | None, str | None, str]:
        row = (await store.session.execute(select(Issuer.parent_id, Issuer.badgekit_slug, Issuer.slug)
                                           .where(Issuer.id == issuer["id"]))).one()
        return row[0], row[1], row[2]

    parent_id, badgekit_slug, global_slug = run_store(settings, _row)
    assert parent_id == system["id"] and badgekit_slug == issuer["slug"]
    assert global_slug.startswith(issuer["slug"][:30] + "-") and global_slug != issuer["slug"]


# --- top-level /issuers -----------------------------------------------------------------------------------

def test_top_level_issuers_act_in_the_key_system(bk: BadgeKit, settings: Settings) -> None:
    system = _system(bk)["slug"]
    name, secret = new_key(settings, system=system)
    scoped = BadgeKit(bk.client, name, secret)
    res = scoped.post("/issuers", form={"slug": "top", "name": "Top", "url": "https://top.example.org"})
    assert res.status_code == 201 and res.json()["status"] == "created", res.text
    top = res.json()["issuer"]
    assert bk.get(f"/systems/{system}/issuers/top").json() == {"issuer": top}
    assert scoped.get("/issuers").json() == {"issuers": [{**top, "system": system}]}
    assert scoped.get("/issuers/top").json() == {"issuer": top}
    res = scoped.put("/issuers/top", json_body={"description": "Updated"})
    assert res.status_code == 200 and res.json()["issuer"]["description"] == "Updated"
    missing = scoped.get("/issuers/nope")
    assert missing.status_code == 404 and missing.json()["message"] == "Could not find issuer with slug `nope`"
    res = scoped.delete("/issuers/top")
    assert res.status_code == 200 and res.json()["status"] == "deleted"
    assert res.json()["issuer"]["description"] == "Updated"
    assert scoped.get("/issuers").json() == {"issuers": []}


def test_top_level_issuers_with_a_master_key_name_the_system(bk: BadgeKit) -> None:
    system = _system(bk)["slug"]
    res = bk.post(f"/issuers?system={system}", json_body=issuer_body("named"))
    assert res.status_code == 201, res.text
    assert bk.get(f"/issuers/named?system={system}").json()["issuer"]["slug"] == "named"
    assert {"system": system, "slug": "named"}.items() <= next(
        i for i in bk.get("/issuers").json()["issuers"] if i["system"] == system).items()
    res = bk.post("/issuers", json_body=issuer_body())
    assert res.status_code == 400 and res.json()["details"][0]["field"] == "system"
    assert bk.get("/issuers/named").status_code == 400
    assert bk.get("/issuers/named?system=no-such-system").status_code == 404


# --- programs -------------------------------------------------------------------------------------------------

def test_programs_crud_in_all_encodings(bk: BadgeKit) -> None:
    system = _system(bk)["slug"]
    issuer = make_issuer(bk, system)["slug"]
    base = f"/systems/{system}/issuers/{issuer}/programs"
    program = make_program(bk, system, issuer, "prog-json")
    assert program == {"id": program["id"], "slug": "prog-json", "name": "Program Name",
                       "url": "https://issuer.example.org/program", "email": None, "description": "A program",
                       "imageUrl": None}
    res = bk.post(base, form={"slug": "prog-form", "name": "Form", "url": "https://f.example.org"})
    assert res.status_code == 201, res.text
    res = bk.post(base, form={"slug": "prog-multi", "name": "Multi", "url": "https://m.example.org"},
                  files={"image": ("i.png", PNG, "image/png")})
    assert res.status_code == 201, res.text
    assert [p["slug"] for p in bk.get(base).json()["programs"]] == ["prog-json", "prog-form", "prog-multi"]
    assert bk.get(f"/systems/{system}/issuers/{issuer}").json()["issuer"]["programs"][0] == program
    assert bk.get(f"/systems/{system}").json()["system"]["issuers"][0]["programs"][0] == program
    assert bk.get(f"{base}/prog-json").json() == {"program": program}
    res = bk.put(f"{base}/prog-form", form={"new-slug": "prog-renamed", "email": "p@example.org"})
    assert res.status_code == 200 and res.json()["program"]["slug"] == "prog-renamed"
    assert res.json()["program"]["email"] == "p@example.org"
    res = bk.put(f"{base}/prog-renamed", json_body={"slug": "prog-json"})
    assert res.status_code == 409 and res.json()["details"] == program
    res = bk.post(base, json_body={"slug": "prog-json", "name": "Dup", "url": "https://d.example.org"})
    assert res.status_code == 409 and res.json()["error"] == "program with that `slug` already exists"
    res = bk.post(base, json_body={"slug": "x y"})
    assert res.status_code == 400 and {d["field"] for d in res.json()["details"]} == {"slug", "name", "url"}
    missing = bk.get(f"{base}/nope")
    assert missing.status_code == 404 and missing.json()["code"] == "ResourceNotFound" and "nope" in missing.text
    res = bk.delete(f"{base}/prog-multi")
    assert res.status_code == 200 and res.json()["status"] == "deleted"
    assert bk.get(f"{base}/prog-multi").status_code == 404
    assert make_program(bk, system, issuer, "prog-multi")["slug"] == "prog-multi"  # the slug was freed


def test_program_of_another_issuer_is_not_found(bk: BadgeKit) -> None:
    system = _system(bk)["slug"]
    one, two = make_issuer(bk, system)["slug"], make_issuer(bk, system)["slug"]
    make_program(bk, system, one, "only-one")
    assert bk.get(f"/systems/{system}/issuers/{two}/programs/only-one").status_code == 404
    assert bk.get(f"/systems/{system}/issuers/{two}/programs/only-one/badges").status_code == 404
    assert bk.post(f"/systems/{system}/issuers/{two}/programs/only-one/badges",
                   json_body=_badge_body()).status_code == 404
    assert bk.delete(f"/systems/{system}/issuers/{two}/programs/only-one").status_code == 404
    assert bk.get(f"/systems/{system}/issuers/{one}/programs/only-one").status_code == 200


# --- deleting levels with instances -------------------------------------------------------------------------

def _issue(bk: BadgeKit, level: str, email: str) -> dict[str, Any]:
    badge = bk.post(f"{level}/badges", json_body=_badge_body()).json()["badge"]
    res = bk.post(f"{level}/badges/{badge['slug']}/instances", json_body={"email": email})
    assert res.status_code == 201, res.text
    return dict(res.json()["instance"])


def _archived(settings: Settings, badge_id: int) -> bool:
    from conftest import run_store
    from sqlalchemy import select

    from hosting.storage.models import BadgeClass

    async def _read(store: Any) -> bool:
        return bool(await store.session.scalar(select(BadgeClass.archived).where(BadgeClass.id == badge_id)))

    return run_store(settings, _read)


def test_deleting_a_program_revokes_its_instances_and_archives_its_badges(bk: BadgeKit, settings: Settings) -> None:
    system = _system(bk)["slug"]
    issuer = make_issuer(bk, system)["slug"]
    program = make_program(bk, system, issuer)["slug"]
    level = f"/systems/{system}/issuers/{issuer}/programs/{program}"
    inst = _issue(bk, level, "p@example.org")
    kept = _issue(bk, f"/systems/{system}/issuers/{issuer}", "p@example.org")
    code = bk.post(f"{level}/badges/{inst['badge']['slug']}/codes/random").json()["claimCode"]["code"]
    assert bk.delete(f"{level}").status_code == 200
    assert bk.client.get(inst["assertionUrl"].removeprefix(BASE)).status_code == 410
    assert bk.client.get(kept["assertionUrl"].removeprefix(BASE)).status_code == 200
    assert bk.client.get(f"/claim/{code}").status_code == 410  # the code was withdrawn
    assert bk.get(f"{level}/badges").status_code == 404
    assert _archived(settings, inst["badge"]["id"]) and not _archived(settings, kept["badge"]["id"])


def test_deleting_an_issuer_or_a_system_revokes_every_level_below(bk: BadgeKit) -> None:
    system = _system(bk)["slug"]
    issuer = make_issuer(bk, system)["slug"]
    program = make_program(bk, system, issuer)["slug"]
    at_issuer = _issue(bk, f"/systems/{system}/issuers/{issuer}", "d@example.org")
    at_program = _issue(bk, f"/systems/{system}/issuers/{issuer}/programs/{program}", "d@example.org")
    res = bk.delete(f"/systems/{system}/issuers/{issuer}")
    assert res.status_code == 200 and res.json()["issuer"]["programs"][0]["slug"] == program
    for inst in (at_issuer, at_program):
        assert bk.client.get(inst["assertionUrl"].removeprefix(BASE)).status_code == 410
    assert bk.get(f"/systems/{system}/issuers/{issuer}").status_code == 404
    assert bk.get(f"/systems/{system}").json()["system"]["issuers"] == []
    make_issuer(bk, system, issuer)  # the slug was freed

    other = _system(bk)["slug"]
    inner = make_issuer(bk, other)["slug"]
    deep = make_program(bk, other, inner)["slug"]
    instances = [_issue(bk, f"/systems/{other}", "s@example.org"),
                 _issue(bk, f"/systems/{other}/issuers/{inner}", "s@example.org"),
                 _issue(bk, f"/systems/{other}/issuers/{inner}/programs/{deep}", "s@example.org")]
    res = bk.delete(f"/systems/{other}")
    assert res.status_code == 200 and res.json()["system"]["issuers"][0]["slug"] == inner
    for inst in instances:
        assert bk.client.get(inst["assertionUrl"].removeprefix(BASE)).status_code == 410
    assert bk.get(f"/systems/{other}/issuers/{inner}").status_code == 404
    assert inner not in [i["slug"] for i in bk.get("/issuers").json()["issuers"] if i["system"] == other]
