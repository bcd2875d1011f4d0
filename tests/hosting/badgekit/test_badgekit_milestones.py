"""BadgeKit milestones: stored on badge create/update, returned with the badge, and the milestone badge issued
automatically once an earner holds enough support badges; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest
from _badgekit_support import BadgeKit, new_key
from litestar.testing import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_badgekit_auth_systems import _system
from test_badgekit_badges import _badge_body
from test_badgekit_hierarchy import make_issuer, make_program

from hosting import Settings
from hosting.badgekit.milestones import award_milestones, lock_earner
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine
from hosting.lib.urls import PublicUrls
from hosting.storage.models import Acceptance, BadgeClass, Issuer
from hosting.storage.store import Award, HostingStore

BASE = "http://testserver.local"


@pytest.fixture(scope="module")
def bk(api: TestClient[Any], settings: Settings) -> BadgeKit:
    name, secret = new_key(settings, f"master-{secrets.token_hex(3)}")
    return BadgeKit(api, name, secret)


def _badges(bk: BadgeKit, n: int, system: str | None = None, **extra: Any) -> tuple[str, list[dict[str, Any]]]:
    system = system or _system(bk)["slug"]
    out = []
    for _ in range(n):
        res = bk.post(f"/systems/{system}/badges", json_body=_badge_body(limit=None, **extra))
        assert res.status_code == 201, res.text
        out.append(res.json()["badge"])
    return system, out


def _milestone_badge(bk: BadgeKit, system: str, milestones: list[dict[str, Any]], **extra: Any) -> Any:
    return bk.post(f"/systems/{system}/badges", json_body=_badge_body(limit=None, milestones=milestones, **extra))


def _issue(bk: BadgeKit, system: str, badge: str, email: str) -> dict[str, Any]:
    res = bk.post(f"/systems/{system}/badges/{badge}/instances", json_body={"email": email})
    assert res.status_code == 201, res.text
    return dict(res.json()["instance"])


def _holders(bk: BadgeKit, system: str, badge: str, level: str = "") -> list[str]:
    return [i["email"] for i in bk.get(f"/systems/{system}{level}/badges/{badge}/instances").json()["instances"]]


def test_milestones_are_stored_and_returned(bk: BadgeKit) -> None:
    system, (a, b, c) = _badges(bk, 3)
    res = _milestone_badge(bk, system, [{"numberRequired": 2, "supportBadges": [a["slug"], b["id"], {"slug": c["slug"]}],
                                         "action": "issue"}])
    assert res.status_code == 201, res.text
    badge = res.json()["badge"]
    expected = [{"id": 1, "action": "issue", "numberRequired": 2, "supportBadges": [a["id"], b["id"], c["id"]]}]
    assert badge["milestones"] == expected
    assert bk.get(f"/systems/{system}/badges/{badge['slug']}").json()["badge"]["milestones"] == expected
    # what is read back can be sent back; a PUT replaces the milestones, [] removes them
    path = f"/systems/{system}/badges/{badge['slug']}"
    res = bk.put(path, json_body={"milestones": [{"numberRequired": 1, "supportBadges": [a["id"]]}, *expected]})
    assert res.status_code == 200, res.text
    assert [m["supportBadges"] for m in res.json()["badge"]["milestones"]] == [[a["id"]], [a["id"], b["id"], c["id"]]]
    assert [m["id"] for m in res.json()["badge"]["milestones"]] == [1, 2]
    # a PUT without the field leaves them
    assert bk.put(path, json_body={"name": "Renamed"}).json()["badge"]["milestones"][0]["numberRequired"] == 1
    assert bk.put(path, json_body={"milestones": []}).json()["badge"]["milestones"] == []


@pytest.mark.parametrize(("milestone", "field"), [
    ({"numberRequired": 3, "supportBadges": ["A", "B"]}, "milestones[0].numberRequired"),
    ({"numberRequired": 0, "supportBadges": ["A"]}, "milestones[0].numberRequired"),
    ({"numberRequired": "two", "supportBadges": ["A"]}, "milestones[0].numberRequired"),
    ({"numberRequired": 1, "supportBadges": []}, "milestones[0].supportBadges"),
    ({"numberRequired": 1, "supportBadges": [True]}, "milestones[0].supportBadges"),
    ({"numberRequired": 1, "supportBadges": ["no-such-badge"]}, "milestones[0].supportBadges"),
    ({"numberRequired": 1, "supportBadges": [999_999_999]}, "milestones[0].supportBadges"),
    # out of the ids' range, or a NUL in a slug: refused, never sent to the database (a 500 on PostgreSQL)
    ({"numberRequired": 1, "supportBadges": [10**30]}, "milestones[0].supportBadges"),
    ({"numberRequired": 1, "supportBadges": [2**31]}, "milestones[0].supportBadges"),
    ({"numberRequired": 1, "supportBadges": ["99999999999999999999"]}, "milestones[0].supportBadges"),
    ({"numberRequired": 1, "supportBadges": [{"id": -(2**40)}]}, "milestones[0].supportBadges"),
    ({"numberRequired": 1, "supportBadges": ["x\x00y"]}, "milestones[0].supportBadges"),
    ({"numberRequired": 1, "supportBadges": [{"slug": "\x00"}]}, "milestones[0].supportBadges"),
    ({"numberRequired": 1, "supportBadges": ["s" * 100_000]}, "milestones[0].supportBadges"),
    ({"numberRequired": 2, "supportBadges": ["A", "A"]}, "milestones[0].numberRequired"),
    ({"numberRequired": 1, "supportBadges": ["A"], "action": "queue-application"}, "milestones[0].action"),
    ("not an object", "milestones[0]"),
])
def test_invalid_milestones_are_refused(bk: BadgeKit, milestone: Any, field: str) -> None:
    system, (a, b) = _badges(bk, 2)
    if isinstance(milestone, dict):
        milestone = {**milestone, "supportBadges": [{"A": a["slug"], "B": b["slug"]}.get(s, s) if isinstance(s, str)
                                                    else s for s in milestone["supportBadges"]]}
    body = _badge_body(milestones=[milestone])
    res = bk.post(f"/systems/{system}/badges", json_body=body)
    assert res.status_code == 400, res.text
    assert res.json()["code"] == "ValidationError" and field in {d["field"] for d in res.json()["details"]}
    assert bk.get(f"/systems/{system}/badges/{body['slug']}").status_code == 404  # nothing written


def test_support_badges_must_be_other_badges_of_the_same_system(bk: BadgeKit) -> None:
    system, (a,) = _badges(bk, 1)
    _, (foreign,) = _badges(bk, 1)
    res = _milestone_badge(bk, system, [{"numberRequired": 1, "supportBadges": [foreign["id"]]}])
    assert res.status_code == 400 and res.json()["details"][0]["value"] == foreign["id"]
    # a badge cannot be its own support
    res = bk.put(f"/systems/{system}/badges/{a['slug']}",
                 json_body={"milestones": [{"numberRequired": 1, "supportBadges": [a["slug"]]}]})
    assert res.status_code == 400 and res.json()["details"][0]["field"] == "milestones[0].supportBadges"
    # in a form body, milestones (like criteria) are refused: JSON only
    res = bk.post(f"/systems/{system}/badges", form={**{k: str(v) for k, v in _badge_body().items()
                                                        if isinstance(v, str | int)}, "milestones": a["slug"]})
    assert res.status_code == 400 and res.json()["details"][0]["field"] == "milestones"


def test_milestone_badge_is_issued_when_enough_support_badges_are_held(bk: BadgeKit) -> None:
    system, (a, b, c) = _badges(bk, 3)
    res = _milestone_badge(bk, system, [{"numberRequired": 2, "supportBadges": [a["id"], b["id"], c["id"]]}])
    milestone = res.json()["badge"]
    email, other = f"earner-{secrets.token_hex(3)}@example.org", f"other-{secrets.token_hex(3)}@example.org"
    _issue(bk, system, a["slug"], email)
    _issue(bk, system, a["slug"], other)
    assert _holders(bk, system, milestone["slug"]) == []  # one of two
    _issue(bk, system, b["slug"], email)
    assert _holders(bk, system, milestone["slug"]) == [email]  # two of three: issued, to that earner only
    instance = bk.get(f"/systems/{system}/badges/{milestone['slug']}/instances/{email}").json()["instance"]
    hosted = bk.client.get(instance["assertionUrl"].removeprefix(BASE))
    assert hosted.status_code == 200 and hosted.json()["type"] == "Assertion"
    # the third support badge does not issue it again
    _issue(bk, system, c["slug"], email)
    assert _holders(bk, system, milestone["slug"]) == [email]


def test_revoked_or_expired_support_badges_do_not_count(bk: BadgeKit) -> None:
    system, (a, b) = _badges(bk, 2)
    milestone = _milestone_badge(bk, system, [{"numberRequired": 2, "supportBadges": [a["slug"], b["slug"]]}]).json()["badge"]
    email = f"earner-{secrets.token_hex(3)}@example.org"
    _issue(bk, system, a["slug"], email)
    assert bk.delete(f"/systems/{system}/badges/{a['slug']}/instances/{email}").status_code == 200
    _issue(bk, system, b["slug"], email)
    assert _holders(bk, system, milestone["slug"]) == []  # a was revoked
    late = f"late-{secrets.token_hex(3)}@example.org"
    res = bk.post(f"/systems/{system}/badges/{a['slug']}/instances",
                  json_body={"email": late, "issuedOn": "2010-01-01T00:00:00Z", "expires": "2011-01-01T00:00:00Z"})
    assert res.status_code == 201, res.text
    _issue(bk, system, b["slug"], late)
    assert _holders(bk, system, milestone["slug"]) == []  # a has expired


def test_claiming_a_code_counts_and_milestones_cascade(bk: BadgeKit) -> None:
    system, (a, b) = _badges(bk, 2)
    first = _milestone_badge(bk, system, [{"numberRequired": 2, "supportBadges": [a["id"], b["id"]]}]).json()["badge"]
    top = _milestone_badge(bk, system, [{"numberRequired": 1, "supportBadges": [first["id"]]}]).json()["badge"]
    email = f"earner-{secrets.token_hex(3)}@example.org"
    _issue(bk, system, a["slug"], email)
    code = bk.post(f"/systems/{system}/badges/{b['slug']}/codes/random", json_body={}).json()["claimCode"]["code"]
    res = bk.post(f"/systems/{system}/badges/{b['slug']}/codes/{code}/claim", json_body={"email": email})
    assert res.status_code == 200, res.text
    assert _holders(bk, system, first["slug"]) == [email]
    assert _holders(bk, system, top["slug"]) == [email]  # the milestone badge is itself a support badge


def test_milestone_badge_rules_still_apply(bk: BadgeKit) -> None:
    system, (a,) = _badges(bk, 1)
    milestone = _milestone_badge(bk, system, [{"numberRequired": 1, "supportBadges": [a["id"]]}],
                                 archived=True).json()["badge"]
    email = f"earner-{secrets.token_hex(3)}@example.org"
    _issue(bk, system, a["slug"], email)  # the archived milestone badge is not issued; the support badge is
    assert _holders(bk, system, milestone["slug"]) == [] and _holders(bk, system, a["slug"]) == [email]
    capped = _milestone_badge(bk, system, [{"numberRequired": 1, "supportBadges": [a["id"]]}]).json()["badge"]
    assert bk.put(f"/systems/{system}/badges/{capped['slug']}", json_body={"limit": 1}).status_code == 200
    second, third = (f"{n}-{secrets.token_hex(3)}@example.org" for n in ("second", "third"))
    _issue(bk, system, a["slug"], second)
    _issue(bk, system, a["slug"], third)  # the milestone badge's limit is reached: the support badge still issues
    assert _holders(bk, system, capped["slug"]) == [second] and third in _holders(bk, system, a["slug"])


def test_deleting_a_support_badge_takes_it_out_of_milestones(bk: BadgeKit) -> None:
    system, (a, b) = _badges(bk, 2)
    milestone = _milestone_badge(bk, system, [{"numberRequired": 1, "supportBadges": [a["id"], b["id"]]}]).json()["badge"]
    assert bk.delete(f"/systems/{system}/badges/{a['slug']}").status_code == 200
    got = bk.get(f"/systems/{system}/badges/{milestone['slug']}").json()["badge"]
    assert got["milestones"][0]["supportBadges"] == [b["id"]]


def test_concurrent_support_badges_do_not_both_miss_the_milestone(bk: BadgeKit, settings: Settings) -> None:
    """Two requests issue the two support badges to one earner at once. Without the earner's lock they would
    interleave (both insert, both check, both miss the other's uncommitted instance); with it the second waits
    for the first to commit, sees its instance and issues the milestone badge."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite has a single writer: the requests cannot interleave")
    system, (a, b) = _badges(bk, 2)
    milestone = _milestone_badge(bk, system, [{"numberRequired": 2, "supportBadges": [a["id"], b["id"]]}]).json()["badge"]
    email = f"earner-{secrets.token_hex(3)}@example.org"

    async def step(done: asyncio.Event, wait_for: asyncio.Event) -> None:
        done.set()
        try:  # the other request's step, if it can get there (with the lock it cannot: go on after a while)
            await asyncio.wait_for(wait_for.wait(), 0.5)
        except TimeoutError:
            pass

    async def issue(session: AsyncSession, badge_id: int, events: tuple[asyncio.Event, ...]) -> None:
        my_insert, other_insert, my_check, other_check = events
        store = HostingStore(session, PublicUrls(settings.base_url), KeyBox(settings.secret_key))
        owner = await session.scalar(select(Issuer).where(Issuer.slug == system))
        badge = await session.get_one(BadgeClass, badge_id)
        assert owner is not None
        await lock_earner(session, owner, email)
        await store.award(badge, [Award(recipient=email, acceptance=Acceptance.ISSUER)])
        await step(my_insert, other_insert)
        await award_milestones(store, owner, badge, email)
        await step(my_check, other_check)
        await session.commit()

    async def race() -> None:
        engine = create_engine(settings.database_url)
        try:
            maker = async_sessionmaker(engine, expire_on_commit=False)
            async with maker() as first, maker() as second:
                e = [asyncio.Event() for _ in range(4)]  # first inserted, second inserted, first/second checked
                await asyncio.gather(issue(first, a["id"], (e[0], e[1], e[2], e[3])),
                                     issue(second, b["id"], (e[1], e[0], e[3], e[2])))
        finally:
            await engine.dispose()

    asyncio.run(race())
    assert _holders(bk, system, milestone["slug"]) == [email]


def test_a_support_badge_deleted_through_v1_leaves_the_milestones(bk: BadgeKit, settings: Settings) -> None:
    from _api_support import bearer, make_token, unique_email

    system, (a, b) = _badges(bk, 2)
    milestone = _milestone_badge(bk, system, [{"numberRequired": 1, "supportBadges": [a["id"], b["id"]]}]).json()["badge"]
    admin = make_token(settings, unique_email("admin"), admin=True)
    res = bk.client.delete(f"/v1/issuers/{system}/badges/{b['slug']}", headers=bearer(admin))
    assert res.status_code == 200, res.text
    got = bk.get(f"/systems/{system}/badges/{milestone['slug']}").json()["badge"]
    assert got["milestones"][0]["supportBadges"] == [a["id"]]


def test_support_badges_may_be_at_any_level_of_the_system(bk: BadgeKit) -> None:
    system, (top,) = _badges(bk, 1)
    issuer = make_issuer(bk, system)["slug"]
    program = make_program(bk, system, issuer)["slug"]
    at_issuer, at_program = f"/issuers/{issuer}", f"/issuers/{issuer}/programs/{program}"
    # the same slug at the system and at the issuer: ambiguous by slug, fine by id
    twin = bk.post(f"/systems/{system}{at_issuer}/badges", json_body=_badge_body(slug=top["slug"], limit=None))
    assert twin.status_code == 201, twin.text
    res = bk.post(f"/systems/{system}{at_program}/badges", json_body=_badge_body(
        limit=None, milestones=[{"numberRequired": 1, "supportBadges": [top["slug"]]}]))
    assert res.status_code == 400 and "two levels" in res.json()["details"][0]["message"]
    res = bk.post(f"/systems/{system}{at_program}/badges", json_body=_badge_body(
        limit=None, milestones=[{"numberRequired": 2, "supportBadges": [top["id"], twin.json()["badge"]["id"]]}]))
    assert res.status_code == 201, res.text
    milestone = res.json()["badge"]["slug"]
    email = f"earner-{secrets.token_hex(3)}@example.org"
    _issue(bk, system, top["slug"], email)
    assert _holders(bk, system, milestone, at_program) == []
    res = bk.post(f"/systems/{system}{at_issuer}/badges/{top['slug']}/instances", json_body={"email": email})
    assert res.status_code == 201, res.text
    assert _holders(bk, system, milestone, at_program) == [email]  # issued at the program level
    # a badge of another system is never a support badge
    _, (foreign,) = _badges(bk, 1)
    res = bk.put(f"/systems/{system}{at_program}/badges/{milestone}",
                 json_body={"milestones": [{"numberRequired": 1, "supportBadges": [foreign["id"]]}]})
    assert res.status_code == 400 and res.json()["details"][0]["value"] == foreign["id"]
