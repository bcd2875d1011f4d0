"""Every Badgr ``/v2`` route, read from the app's route table (not a hand-kept list), against callers who must not
get what they ask for: a user who is staff on issuer A holding a token for ``rw:issuer:<B>``, tokens lacking the
route's scope, and no, expired or revoked tokens. Each refused request must leave the database exactly as it was.
A route added to ``/v2`` fails these tests until it has an entry in :data:`REQUESTS` (its request body), so no route
escapes the sweep. Tokens come from ``/o/token`` over HTTP, as a Badgr client gets them.

``OPTIONS`` (CORS preflight, answered before any caller is known, reading nothing) is left out.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from _badgr_support import PNG_DATA_URI, bearer, in_session, login, make_user
from litestar.testing import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hosting import Settings
from hosting.oauth.accounts import hash_secret
from hosting.storage.models import Assertion, BadgeClass, Base, Issuer, OAuthToken, utcnow

SIDES = ("A", "B")


@dataclass
class Side:
    """One issuer of the world, with what hangs under it."""

    issuer: dict[str, Any]
    badge: dict[str, Any]
    spare: dict[str, Any]  # a badge class without assertions (deletable)
    assertion: dict[str, Any]


@dataclass
class World:
    owner: str  # owner of A and B
    staff: str  # staff on A, nothing on B
    editor: str  # editor on A and B (the member the staff routes name)
    owner_token: dict[str, Any]
    sides: dict[str, Side]

    def issuer_ids(self) -> list[str]:
        return [side.issuer["entityId"] for side in self.sides.values()]


Body = Callable[[World, Side], Any]
_ISSUER_BODY = {"name": "Hijacked", "email": "hijack@example.org", "url": "https://evil.example.org",
                "description": "taken over"}
_BADGE_BODY = {"name": "Rogue", "description": "d", "image": PNG_DATA_URI, "criteriaNarrative": "c"}
_RECIPIENT = {"recipient": {"identity": "rogue@example.org", "type": "email", "hashed": True}}


def _none(w: World, s: Side) -> Any:
    return None


def _const(value: Any) -> Body:
    return lambda w, s: value


# (method, route path as the app declares it) → the request body, given the world and the side its references
# name (the path's side and the body's side are swept in every combination). Each body is one the owner's token
# gets a 2xx for (test_every_swept_request_succeeds_for_the_owner), so a refusal is about rights, not input.
REQUESTS: dict[tuple[str, str], Body] = {
    ("GET", "/v2/issuers"): _none,
    ("POST", "/v2/issuers"): _const({**_ISSUER_BODY, "image": PNG_DATA_URI}),
    ("GET", "/v2/issuers/{issuer_ref:str}"): _none,
    ("PUT", "/v2/issuers/{issuer_ref:str}"): _const(_ISSUER_BODY),
    ("PATCH", "/v2/issuers/{issuer_ref:str}"): _const({"name": "Hijacked"}),
    ("DELETE", "/v2/issuers/{issuer_ref:str}"): _none,
    ("GET", "/v2/issuers/openBadgeId/{open_badge_id:path}"): _none,
    ("PUT", "/v2/issuers/openBadgeId/{open_badge_id:path}"): _const(_ISSUER_BODY),
    ("PATCH", "/v2/issuers/openBadgeId/{open_badge_id:path}"): _const({"name": "Hijacked"}),
    ("DELETE", "/v2/issuers/openBadgeId/{open_badge_id:path}"): _none,
    ("GET", "/v2/issuers/ref/{open_badge_id:path}"): _none,
    ("PUT", "/v2/issuers/ref/{open_badge_id:path}"): _const(_ISSUER_BODY),
    ("PATCH", "/v2/issuers/ref/{open_badge_id:path}"): _const({"name": "Hijacked"}),
    ("DELETE", "/v2/issuers/ref/{open_badge_id:path}"): _none,
    ("POST", "/v2/issuers/{issuer_ref:str}/staff"): lambda w, s: {
        "email": f"intruder-{secrets.token_hex(3)}@example.org", "role": "owner"},
    ("POST", "/v2/issuers/{issuer_ref:str}/staff/invitations"): lambda w, s: {
        "email": f"intruder-{secrets.token_hex(3)}@example.org", "role": "owner"},
    ("PUT", "/v2/issuers/{issuer_ref:str}/staff"): lambda w, s: {"email": w.staff, "role": "owner"},
    ("PATCH", "/v2/issuers/{issuer_ref:str}/staff"): lambda w, s: {"email": w.staff, "role": "owner"},
    ("DELETE", "/v2/issuers/{issuer_ref:str}/staff/{email_b64:path}"): _none,
    ("GET", "/v2/issuers/{issuer_ref:str}/badgeclasses"): _none,
    ("POST", "/v2/issuers/{issuer_ref:str}/badgeclasses"): _const(_BADGE_BODY),
    ("POST", "/v2/badgeclasses"): lambda w, s: {**_BADGE_BODY, "issuer": s.issuer["entityId"]},
    ("GET", "/v2/badgeclasses/{badge_ref:str}"): _none,
    ("PUT", "/v2/badgeclasses/{badge_ref:str}"): _const({"name": "Hijacked", "archived": True}),
    ("DELETE", "/v2/badgeclasses/{badge_ref:str}"): _none,
    ("GET", "/v2/issuers/{entity_ref:str}/assertions"): _none,
    ("POST", "/v2/issuers/{entity_ref:str}/assertions"): lambda w, s: {**_RECIPIENT,
                                                                      "badgeclass": s.badge["entityId"]},
    ("GET", "/v2/badgeclasses/{entity_ref:str}/assertions"): _none,
    ("POST", "/v2/badgeclasses/{entity_ref:str}/assertions"): _const(_RECIPIENT),
    ("GET", "/v2/assertions/{assertion_ref:str}"): _none,
    ("PUT", "/v2/assertions/{assertion_ref:str}"): _const({"narrative": "hijacked"}),
    ("DELETE", "/v2/assertions/{assertion_ref:str}"): _const({"revocation_reason": "hijacked"}),
    ("POST", "/v2/assertions/revoke"): lambda w, s: [{"entityId": s.assertion["entityId"],
                                                      "revocationReason": "hijacked"}],
    ("GET", "/v2/users/self"): _none,
    ("GET", "/v2/auth/tokens"): _none,
}
NAMES_IN_BODY = {("POST", "/v2/badgeclasses"), ("POST", "/v2/issuers/{entity_ref:str}/assertions"),
                 ("POST", "/v2/assertions/revoke")}  # the bodies that name an entity of the body's side
ISSUING = {("POST", "/v2/issuers/{entity_ref:str}/assertions"), ("POST", "/v2/badgeclasses/{entity_ref:str}/assertions")}
# What the owner's control request may answer besides a 2xx: the issuer still has assertions (the deletion rule).
CONTROL_CONFLICT = {("DELETE", p) for p in ("/v2/issuers/{issuer_ref:str}", "/v2/issuers/openBadgeId/{open_badge_id:path}",
                                            "/v2/issuers/ref/{open_badge_id:path}")}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    scope: str | None  # the handler's declared badgr_scope


def v2_routes(api: TestClient[Any]) -> list[Route]:
    """Every (method, path) under /v2 in the app's route table, with the scope its handler declares."""
    found = set()
    for route in api.app.routes:
        if not route.path.startswith("/v2/"):
            continue
        for handler in getattr(route, "route_handlers", ()):
            for method in set(handler.http_methods) - {"OPTIONS", "HEAD"}:
                found.add(Route(str(method), route.path, handler.opt.get("badgr_scope")))
    return sorted(found, key=lambda r: (r.path, r.method))


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def fill(route: Route, world: World, side: Side) -> str:
    """The route's path with each parameter an id of ``side`` (the kind the parameter names)."""
    def value(match: re.Match[str]) -> str:
        name, before = match.group(1), route.path[:match.start()]
        if name == "issuer_ref":
            return str(side.issuer["entityId"])
        if name == "entity_ref":
            return str(side.issuer["entityId"] if before.endswith("/issuers/") else side.badge["entityId"])
        if name == "badge_ref":
            return str((side.spare if route.method == "DELETE" else side.badge)["entityId"])
        if name == "assertion_ref":
            return str(side.assertion["entityId"])
        if name == "open_badge_id":
            return _b64(side.issuer["openBadgeId"])
        if name == "email_b64":
            return _b64(world.editor)
        raise AssertionError(f"{route.method} {route.path}: no sweep value for path parameter {name!r}")

    return re.sub(r"\{(\w+):\w+\}", value, route.path)


def send(api: TestClient[Any], route: Route, world: World, path_side: Side, body_side: Side,
         headers: dict[str, str]) -> Any:
    body = REQUESTS[(route.method, route.path)](world, body_side)
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return api.request(route.method, fill(route, world, path_side), **kwargs)


# --- the world and the database snapshot ---------------------------------------------------------------------

def _ok(res: Any, status: int = 200) -> dict[str, Any]:
    assert res.status_code == status, res.text
    result: dict[str, Any] = res.json()["result"][0]
    return result


def _side(api: TestClient[Any], h: dict[str, str], name: str) -> Side:
    issuer = _ok(api.post("/v2/issuers", headers=h, json={
        "name": f"Issuer {name}", "email": "i@example.org", "url": "https://example.org", "description": "d",
        "image": PNG_DATA_URI}), 201)
    made = [_ok(api.post(f"/v2/issuers/{issuer['entityId']}/badgeclasses", headers=h, json={
        **_BADGE_BODY, "name": f"Badge {name}{n}"}), 201) for n in (1, 2)]
    assertion = _ok(api.post(f"/v2/badgeclasses/{made[0]['entityId']}/assertions", headers=h,
                             json={"recipient": {"identity": "earner@example.org", "type": "email"}}), 201)
    return Side(issuer, made[0], made[1], assertion)


def make_world(api: TestClient[Any], settings: Settings, owner: str, staff: str, editor: str) -> World:
    token = login(api, settings, owner, scope="rw:issuer r:profile")
    h = bearer(token)
    sides = {name: _side(api, h, name) for name in SIDES}
    _ok(api.post(f"/v2/issuers/{sides['A'].issuer['entityId']}/staff", headers=h,
                 json={"email": staff, "role": "staff"}))
    for side in sides.values():
        _ok(api.post(f"/v2/issuers/{side.issuer['entityId']}/staff", headers=h, json={"email": editor,
                                                                                        "role": "editor"}))
    return World(owner, staff, editor, token, sides)


@dataclass
class People:
    owner: str
    staff: str
    editor: str


@pytest.fixture(scope="module")
def people(badgr_settings: Settings) -> People:
    return People(make_user(badgr_settings, "owner"), make_user(badgr_settings, "staff"),
                  make_user(badgr_settings, "editor"))


@pytest.fixture
def world(badgr: TestClient[Any], badgr_settings: Settings, people: People) -> World:
    return make_world(badgr, badgr_settings, people.owner, people.staff, people.editor)


_SKIPPED_TABLES = {"oauth_codes"}  # written by logins only, which happen before a snapshot is taken


def snapshot(settings: Settings, world: World) -> dict[str, Any]:
    """Every table's row count, and every row of the world's issuers and of what hangs under them (badge classes,
    assertions, staff, keys, images, claim codes, accept links, mails, deletions), and the change counter."""
    public_ids = world.issuer_ids()

    async def _take(session: AsyncSession) -> dict[str, Any]:
        ids = list((await session.scalars(select(Issuer.id).where(Issuer.public_id.in_(public_ids)))).all())
        badges = select(BadgeClass.id).where(BadgeClass.issuer_id.in_(ids))
        assertions = select(Assertion.id).where(Assertion.issuer_id.in_(ids))
        images = (select(Issuer.image_id).where(Issuer.id.in_(ids))
                  .union(select(BadgeClass.image_id).where(BadgeClass.issuer_id.in_(ids))))
        out: dict[str, Any] = {}
        for name, table in sorted(Base.metadata.tables.items()):
            if name in _SKIPPED_TABLES:
                continue
            out[f"{name} rows"] = await session.scalar(select(func.count()).select_from(table))
            c = table.c
            if name == "issuers":
                where = c.id.in_(ids)
            elif name == "images":
                where = c.id.in_(images)
            elif name == "public_changes":
                where = c.id.is_not(None)
            elif "issuer_id" in c:
                where = c.issuer_id.in_(ids)
            elif "badge_class_id" in c:
                where = c.badge_class_id.in_(badges)
            elif "assertion_id" in c:
                where = c.assertion_id.in_(assertions)
            else:
                continue
            key = list(table.primary_key.columns)
            out[name] = [tuple(row) for row in await session.execute(select(table).where(where).order_by(*key))]
        return out

    return in_session(settings, _take)


def _refused(res: Any, route: Route) -> bool:
    """403/404 in Badgr's envelope, or (a read) an empty list."""
    if res.status_code in (403, 404):
        return res.json()["status"]["success"] is False
    return route.method == "GET" and res.status_code == 200 and res.json()["result"] == []


def _check_routes(api: TestClient[Any]) -> list[Route]:
    routes = v2_routes(api)
    declared = {(r.method, r.path) for r in routes}
    assert len(routes) >= 30, routes
    assert not declared - set(REQUESTS), f"/v2 routes without a sweep entry: {sorted(declared - set(REQUESTS))}"
    assert not set(REQUESTS) - declared, f"sweep entries for no route: {sorted(set(REQUESTS) - declared)}"
    return routes


# --- the sweeps ------------------------------------------------------------------------------------------------

def test_staff_on_a_with_a_token_for_b_reaches_nothing_of_a_or_b(badgr: TestClient[Any], badgr_settings: Settings,
                                                                 world: World) -> None:
    """Staff on A, token ``rw:issuer:<B>``: every route, its path naming A or B and its body naming A or B, is
    refused (403/404) or answers an empty list, and changes nothing."""
    token = login(badgr, badgr_settings, world.staff, scope=f"rw:issuer:{world.sides['B'].issuer['entityId']}")
    assert token["scope"] == f"rw:issuer:{world.sides['B'].issuer['entityId']}"
    h = bearer(token)
    before = snapshot(badgr_settings, world)
    failures = []
    for route in _check_routes(badgr):
        for path_side in SIDES:
            for body_side in SIDES:
                res = send(badgr, route, world, world.sides[path_side], world.sides[body_side], h)
                if not _refused(res, route):
                    failures.append(f"{route.method} {route.path} [{path_side}/{body_side}]: {res.status_code} "
                                    f"{res.text[:200]}")
                elif snapshot(badgr_settings, world) != before:
                    failures.append(f"{route.method} {route.path} [{path_side}/{body_side}]: changed the database")
                    before = snapshot(badgr_settings, world)
    assert not failures, "\n".join(failures)


def test_staff_token_for_their_own_issuer_gets_staff_rights_only(badgr: TestClient[Any], badgr_settings: Settings,
                                                                 world: World) -> None:
    """Staff on A, token ``rw:issuer:<A>``: reads of A (showing nothing of B) and issuing under A succeed; every
    other route on A (edit, delete, staff, revoke, replace, badge classes), everything naming B (in the path or the
    body), creating issuers and the profile routes (not in the token's scope) are refused and change nothing."""
    token = login(badgr, badgr_settings, world.staff, scope=f"rw:issuer:{world.sides['A'].issuer['entityId']}")
    h = bearer(token)
    b = world.sides["B"]
    b_refs = [b.issuer["entityId"], b.badge["entityId"], b.spare["entityId"], b.assertion["entityId"]]
    failures = []
    for route in _check_routes(badgr):
        for path_side in SIDES:
            for body_side in SIDES:
                before = snapshot(badgr_settings, world)
                res = send(badgr, route, world, world.sides[path_side], world.sides[body_side], h)
                named = ({path_side} if "{" in route.path else set()) | \
                    ({body_side} if (route.method, route.path) in NAMES_IN_BODY else set())
                own = named <= {"A"} and route.scope == "issuer"
                if own and route.method == "GET":
                    allowed = res.status_code == 200 and not any(ref in res.text for ref in b_refs)
                elif own and (route.method, route.path) in ISSUING:
                    allowed = res.status_code == 201
                    if allowed:
                        continue  # issuing is within staff rights: it changes the database
                else:
                    allowed = _refused(res, route)
                if not allowed:
                    failures.append(f"{route.method} {route.path} [{path_side}/{body_side}]: {res.status_code} "
                                    f"{res.text[:200]}")
                elif snapshot(badgr_settings, world) != before:
                    failures.append(f"{route.method} {route.path} [{path_side}/{body_side}]: changed the database")
    assert not failures, "\n".join(failures)


def test_every_route_refuses_no_expired_or_revoked_token(badgr: TestClient[Any], badgr_settings: Settings,
                                                         world: World) -> None:
    """401 in Badgr's envelope without a token, with a malformed one, an expired one and a revoked one (all of the
    owner, who could otherwise do everything); nothing changes."""
    expired = login(badgr, badgr_settings, world.owner, scope="rw:issuer r:profile")

    async def _expire(session: AsyncSession) -> None:
        await session.execute(update(OAuthToken).where(OAuthToken.access_hash == hash_secret(expired["access_token"]))
                              .values(expires_at=utcnow() - timedelta(seconds=1)))

    in_session(badgr_settings, _expire)
    revoked = login(badgr, badgr_settings, world.owner, scope="rw:issuer r:profile")
    res = badgr.post("/o/revoke_token", data={"token": revoked["access_token"], "client_id": revoked["client_id"]})
    assert res.status_code == 200, res.text
    callers = {"no token": {}, "not bearer": {"Authorization": f"Basic {revoked['access_token']}"},
               "unknown": bearer("oba_" + secrets.token_urlsafe(32)), "expired": bearer(expired),
               "revoked": bearer(revoked)}
    before = snapshot(badgr_settings, world)
    a = world.sides["A"]
    failures = []
    for route in _check_routes(badgr):
        for label, headers in callers.items():
            res = send(badgr, route, world, a, a, headers)
            if res.status_code != 401 or res.json()["status"]["success"] is not False:  # (a 401 answers JSON)
                failures.append(f"{route.method} {route.path} [{label}]: {res.status_code} {res.text[:200]}")
    assert not failures, "\n".join(failures)
    assert snapshot(badgr_settings, world) == before


def test_every_route_refuses_a_token_lacking_its_scope(badgr: TestClient[Any], badgr_settings: Settings,
                                                       world: World) -> None:
    """The owner of A and B with a token lacking the route's declared scope gets 403 on every route: ``r:profile``
    alone for the issuer routes, ``rw:issuer`` alone for the profile routes, ``rw:issuer:<A>`` for creating
    issuers (which needs the unrestricted scope); nothing changes."""
    tokens = {scope: bearer(login(badgr, badgr_settings, world.owner, scope=scope))
              for scope in ("r:profile", "rw:issuer", f"rw:issuer:{world.sides['A'].issuer['entityId']}")}
    lacking = {"issuer": ["r:profile"], "issuer:create": ["r:profile", f"rw:issuer:{world.sides['A'].issuer['entityId']}"],
               "profile": ["rw:issuer"]}
    before = snapshot(badgr_settings, world)
    a = world.sides["A"]
    failures = []
    for route in _check_routes(badgr):
        assert route.scope in lacking, f"{route.method} {route.path} declares scope {route.scope!r}"
        for scope in lacking[route.scope]:
            res = send(badgr, route, world, a, a, tokens[scope])
            if res.status_code != 403 or "lacks" not in res.json()["status"]["description"]:
                failures.append(f"{route.method} {route.path} [{scope}]: {res.status_code} {res.text[:200]}")
    assert not failures, "\n".join(failures)
    assert snapshot(badgr_settings, world) == before


def test_every_swept_request_succeeds_for_the_owner(badgr: TestClient[Any], badgr_settings: Settings,
                                                    people: People) -> None:
    """The control: each swept request, sent by the owner of A with a full token, does what it asks (2xx; deleting
    an issuer that still has assertions: 409). So the refusals above are about the caller's rights, not the input."""
    failures = []
    for route in _check_routes(badgr):
        world = make_world(badgr, badgr_settings, people.owner, people.staff, people.editor)
        a = world.sides["A"]
        res = send(badgr, route, world, a, a, bearer(world.owner_token))
        expected = 409 if (route.method, route.path) in CONTROL_CONFLICT else None
        if not (res.status_code == expected if expected else 200 <= res.status_code < 300):
            failures.append(f"{route.method} {route.path}: {res.status_code} {res.text[:200]}")
    assert not failures, "\n".join(failures)
