"""Adversarial checks of the BadgeKit API's authentication, route by route — the routes enumerated from the app's
route table (every handler of the BadgeKit router), not from a list kept by hand — and the seeds' errors at the
issuer and program levels, on SQLite and PostgreSQL.

Each check also sends the same request correctly signed where that must succeed, so that a refusal is the
authentication's doing, and reads the data back afterwards: a refused request changed nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from _badgekit_support import BadgeKit, new_key, sign
from litestar import Litestar, Router
from litestar.testing import TestClient
from test_badgekit_auth_systems import PNG_DATA_URI, _system
from test_badgekit_badges import _badge_body
from test_badgekit_hierarchy import issuer_body, make_issuer, make_program

from hosting import Settings
from hosting.badgekit.auth import provide_caller

_PARAM = re.compile(r"\{(\w+):\w+\}")
EMAIL = "audit-earner@example.org"


def badgekit_routes(app: Litestar) -> list[tuple[str, str]]:
    """Every (method, path template) the BadgeKit router serves: the handlers whose router provides BadgeKit's
    ``caller`` (the automatic OPTIONS/HEAD answers aside), in the app's route table."""
    out = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not any(type(layer) is Router and getattr(layer.dependencies.get("caller"), "dependency", None)
                       is provide_caller for layer in handler.ownership_layers):
                continue
            out |= {(method, route.path) for method in handler.http_methods if method not in ("OPTIONS", "HEAD")}
    return sorted(out, key=lambda r: (r[1], r[0]))


def _level(template: str) -> str:
    return "program" if "{program_slug" in template else "issuer" if "{issuer_slug" in template else "system"


@dataclass
class World:
    """A system with an issuer and a program, a badge at each level with a claim code and an instance for
    :data:`EMAIL`; another system with its own key."""

    master: BadgeKit
    other: BadgeKit  # a key bound to other_system
    system: str
    issuer: str
    program: str
    other_system: str
    badges: dict[str, str]  # level -> badge slug
    codes: dict[str, str]  # level -> unclaimed code

    def values(self, level: str) -> dict[str, str]:
        return {"system_slug": self.system, "issuer_slug": self.issuer, "program_slug": self.program,
                "badge_slug": self.badges[level], "code": self.codes[level], "email": EMAIL}

    def fill(self, template: str) -> str:
        values = self.values(_level(template))
        return _PARAM.sub(lambda m: values[m.group(1)], template)

    def level_path(self, level: str) -> str:
        return {"system": f"/systems/{self.system}", "issuer": f"/systems/{self.system}/issuers/{self.issuer}",
                "program": f"/systems/{self.system}/issuers/{self.issuer}/programs/{self.program}"}[level]

    def snapshot(self) -> dict[str, Any]:
        """What a refused request must not have changed (read with the master key)."""
        out: dict[str, Any] = {"system": self.master.get(f"/systems/{self.system}").json(),
                               "systems": sorted(s["slug"] for s in self.master.get("/systems").json()["systems"])}
        for level, slug in self.badges.items():
            base = f"{self.level_path(level)}/badges"
            out[level] = (self.master.get(f"{base}?archived=any").json(),
                          self.master.get(f"{base}/{slug}/instances").json(),
                          self.master.get(f"{base}/{slug}/codes").json())
        return out


@pytest.fixture(scope="module")
def world(api: TestClient[Any], settings: Settings) -> World:
    name, secret = new_key(settings, f"master-{secrets.token_hex(3)}")
    master = BadgeKit(api, name, secret)
    system = _system(master)["slug"]
    issuer = make_issuer(master, system)["slug"]
    program = make_program(master, system, issuer)["slug"]
    other_system = _system(master)["slug"]
    other_name, other_secret = new_key(settings, system=other_system)
    w = World(master, BadgeKit(api, other_name, other_secret), system, issuer, program, other_system, {}, {})
    for level in ("system", "issuer", "program"):
        base = f"{w.level_path(level)}/badges"
        badge = master.post(base, json_body=_badge_body()).json()["badge"]["slug"]
        w.badges[level] = badge
        res = master.post(f"{base}/{badge}/instances", json_body={"email": EMAIL})
        assert res.status_code == 201, res.text
        res = master.post(f"{base}/{badge}/codes/random")
        assert res.status_code == 201, res.text
        w.codes[level] = res.json()["claimCode"]["code"]
    return w


@pytest.fixture(scope="module")
def routes(api: TestClient[Any]) -> list[tuple[str, str]]:
    found = badgekit_routes(api.app)
    # the enumeration itself: every area at every level (a broken filter must not pass as "no routes")
    templates = {(m, _PARAM.sub("*", p)) for m, p in found}
    for level in ("/systems/*", "/systems/*/issuers/*", "/systems/*/issuers/*/programs/*"):
        assert {("GET", f"{level}/badges"), ("PUT", f"{level}/badges/*"), ("GET", f"{level}/instances/*"),
                ("DELETE", f"{level}/badges/*/instances/*"), ("POST", f"{level}/badges/*/codes/random"),
                ("POST", f"{level}/badges/*/codes/*/claim")} <= templates, sorted(templates)
    assert {("GET", "/systems"), ("POST", "/systems"), ("DELETE", "/issuers/*"),
            ("POST", "/systems/*/issuers/*/programs")} <= templates
    assert len(found) >= 60
    return found


def _send(client: TestClient[Any], method: str, path: str, authorization: str | None,
          body: bytes | None = None) -> Any:
    headers = {"content-type": "application/json"} if body is not None else {}
    if authorization is not None:
        headers["authorization"] = authorization
    return client.request(method, path, content=body, headers=headers)


def _body(method: str) -> bytes | None:
    if method not in ("POST", "PUT"):
        return None
    return json.dumps({"slug": f"evil-{secrets.token_hex(3)}", "name": "Hijacked", "url": "https://evil.example.org",
                       "email": "evil@example.org", "code": f"EVIL{secrets.token_hex(4)}"}).encode()


def _refused(res: Any, status: int = 401) -> None:
    code = {401: "Unauthorized", 403: "Forbidden"}[status]
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/json")
    body = res.json()
    assert set(body) == {"code", "message"} and body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]


# --- a. unsigned ------------------------------------------------------------------------------------------------

def test_every_route_refuses_an_unsigned_request(world: World, routes: list[tuple[str, str]],
                                                 settings: Settings) -> None:
    """No header, another scheme (even a valid ``/v1`` admin token) or an empty token: 401 in BadgeKit's shape,
    on real paths and on paths naming nothing (no existence oracle)."""
    from _api_support import make_token, unique_email

    admin = make_token(settings, unique_email("admin"), admin=True)
    before = world.snapshot()
    for method, template in routes:
        for path in (world.fill(template), _PARAM.sub("no-such-thing", template)):
            for authorization in (None, f"Bearer {admin}", 'JWT token=""', "JWT", "Basic bWFzdGVyOnNlY3JldA=="):
                _refused(_send(world.master.client, method, path, authorization, _body(method)))
    assert world.snapshot() == before
    # and signed, each GET of those paths answers (the paths are real)
    for method, template in routes:
        if method == "GET":
            res = world.master.get(world.fill(template) + ("?system=" + world.system
                                                           if template.startswith("/issuers") else ""))
            assert res.status_code == 200, (template, res.text)


# --- b. another system's key ------------------------------------------------------------------------------------

def test_a_key_of_another_system_is_refused_on_every_route_of_this_system(world: World,
                                                                          routes: list[tuple[str, str]]) -> None:
    before = world.snapshot()
    checked = 0
    for method, template in routes:
        if "{system_slug" not in template:
            continue
        path, body = world.fill(template), _body(method)
        _refused(_send(world.other.client, method, path, sign(world.other.key, world.other.secret, method, path,
                                                              body), body), 403)
        checked += 1
    assert checked >= 55
    # the top-level /issuers routes naming this system
    for method, path in (("GET", f"/issuers/{world.issuer}?system={world.system}"),
                         ("PUT", f"/issuers/{world.issuer}?system={world.system}"),
                         ("DELETE", f"/issuers/{world.issuer}?system={world.system}"),
                         ("POST", f"/issuers?system={world.system}"), ("GET", f"/issuers?system={world.system}")):
        body = _body(method)
        _refused(_send(world.other.client, method, path, sign(world.other.key, world.other.secret, method, path,
                                                              body), body), 403)
    # without ?system= the key acts in its own system: this system's issuer is not there
    assert world.other.get(f"/issuers/{world.issuer}").status_code == 404
    assert world.other.get("/issuers").json() == {"issuers": []}
    assert [s["slug"] for s in world.other.get("/systems").json()["systems"]] == [world.other_system]
    _refused(world.other.post("/systems", json_body={"slug": f"s-{secrets.token_hex(3)}", "name": "N",
                                                     "url": "https://n.example.org"}), 403)
    assert world.snapshot() == before
    # the same key works in its own system (the refusals above are the system check's)
    assert world.other.get(f"/systems/{world.other_system}/badges").status_code == 200


def test_a_token_naming_one_key_signed_with_another_is_refused(world: World) -> None:
    """The ``key`` claim picks the secret: naming the master key while signing with the system key's secret (or
    the reverse) is a bad signature."""
    path = f"/systems/{world.system}/badges/{world.badges['system']}"
    for key, secret in ((world.master.key, world.other.secret), (world.other.key, world.master.secret)):
        _refused(_send(world.master.client, "GET", path, sign(key, secret, "GET", path)))
    assert _send(world.master.client, "GET", path, sign(world.master.key, world.master.secret, "GET",
                                                        path)).status_code == 200


# --- c. body hash ----------------------------------------------------------------------------------------------

def test_a_body_hash_that_does_not_match_the_body_is_refused_on_every_write_route(
        world: World, routes: list[tuple[str, str]]) -> None:
    before = world.snapshot()
    writes = [(m, t) for m, t in routes if m in ("POST", "PUT")]
    assert len(writes) >= 20
    for method, template in writes:
        path = world.fill(template)
        if template.startswith("/issuers"):
            path += f"?system={world.system}"
        sent = _body(method)
        assert sent is not None
        signed_for = json.dumps({"name": "Harmless"}).encode()
        for authorization in (
                sign(world.master.key, world.master.secret, method, path, signed_for),  # another body's hash
                sign(world.master.key, world.master.secret, method, path, b""),  # the empty body's
                sign(world.master.key, world.master.secret, method, path, sent + b" "),  # one byte more
                sign(world.master.key, world.master.secret, method, path, sent, body=None),  # no body claim
                sign(world.master.key, world.master.secret, method, path, sent,
                     body={"alg": "sha256", "hash": hashlib.sha256(sent).hexdigest()[:-1]}),  # truncated
                sign(world.master.key, world.master.secret, method, path, sent,
                     body={"alg": "sha1", "hash": hashlib.sha1(sent).hexdigest()}),  # another algorithm
                sign(world.master.key, world.master.secret, method, path, sent,
                     body=hashlib.sha256(sent).hexdigest())):  # not the {alg, hash} object
            _refused(_send(world.master.client, method, path, authorization, sent))
    # a form body is hashed as sent too
    path = f"{world.level_path('issuer')}/badges/{world.badges['issuer']}/instances"
    form = b"email=evil%40example.org"
    res = world.master.client.post(path, content=form, headers={
        "content-type": "application/x-www-form-urlencoded",
        "authorization": sign(world.master.key, world.master.secret, "POST", path, b"email=ok%40example.org")})
    _refused(res)
    assert world.snapshot() == before


# --- d. only HS256 ----------------------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hand_made(header: dict[str, Any], claims: dict[str, Any], secret: str) -> str:
    """A JWT with any header, its signature HMAC-SHA256 over it with ``secret`` (what an alg confusion sends)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS384/HS512 with the key's secret
def test_only_hs256_is_accepted(world: World) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    base = f"{world.level_path('program')}/badges/{world.badges['program']}"
    for method, path, body in (("GET", "/systems", None), ("GET", f"{base}/instances", None),
                               ("POST", f"{base}/instances",
                                json.dumps({"email": f"alg-{secrets.token_hex(3)}@example.org"}).encode())):
        claims: dict[str, Any] = {"key": world.master.key, "exp": int(time.time()) + 60, "method": method,
                                  "path": path}
        if body is not None:
            claims["body"] = {"alg": "sha256", "hash": hashlib.sha256(body).hexdigest()}
        secret = world.master.secret
        tokens = {
            "none": jwt.encode(claims, None, algorithm="none"),
            "none, signature kept": jwt.encode(claims, None, algorithm="none") + _b64(b"x" * 32),
            "HS384": jwt.encode(claims, secret, algorithm="HS384"),
            "HS512": jwt.encode(claims, secret, algorithm="HS512"),
            "RS256": jwt.encode(claims, rsa_key, algorithm="RS256"),
            "PS256": jwt.encode(claims, rsa_key, algorithm="PS256"),
            "ES256": jwt.encode(claims, ec_key, algorithm="ES256"),
            "RS256 header, HMAC signature": _hand_made({"alg": "RS256", "typ": "JWT"}, claims, secret),
            "hs256 (lower case)": _hand_made({"alg": "hs256", "typ": "JWT"}, claims, secret),
            "no alg": _hand_made({"typ": "JWT"}, claims, secret),
        }
        for name, token in tokens.items():
            res = _send(world.master.client, method, path, f'JWT token="{token}"', body)
            assert res.status_code == 401, (name, res.text)
            _refused(res)
        # the same claims in HS256 are accepted (the refusals above are the algorithm's)
        ok = _send(world.master.client, method, path, f'JWT token="{jwt.encode(claims, secret, algorithm="HS256")}"',
                   body)
        assert ok.status_code in (200, 201), ok.text


# --- e. the seeds' errors at the issuer and program levels --------------------------------------------------------

def _validation(res: Any, fields: set[str]) -> None:
    assert res.status_code == 400, res.text
    body = res.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == "ValidationError" and body["message"] == "Could not validate required fields"
    assert all(set(d) == {"field", "message", "value"} for d in body["details"])
    assert {d["field"] for d in body["details"]} == fields


@pytest.mark.parametrize("level", ["issuer", "program"])
def test_badge_errors_of_the_seed_at_a_level(world: World, level: str) -> None:
    """The badges seed's errors (system-level ones are in ``test_badgekit_badges.py``): 400 on create and update,
    409 with the existing badge on create and rename, 404 on read, update and delete of a missing badge."""
    base = f"{world.level_path(level)}/badges"
    _validation(world.master.post(base, json_body={"slug": "Not A Slug", "name": "n" * 256, "timeUnits": "years",
                                                   "limit": -1, "imageUrl": PNG_DATA_URI}),
                {"slug", "name", "earnerDescription", "consumerDescription", "type", "timeUnits", "limit"})
    made = world.master.post(base, json_body=_badge_body())
    assert made.status_code == 201, made.text
    badge = made.json()["badge"]
    dup = world.master.post(base, json_body=_badge_body(slug=badge["slug"], name="Another"))
    assert dup.status_code == 409
    assert dup.json() == {"code": "ResourceConflict", "error": "badge with that `slug` already exists",
                          "details": badge}
    _validation(world.master.put(f"{base}/{badge['slug']}", json_body={"strapline": "s" * 141, "unique": "maybe"}),
                {"strapline", "unique"})
    other = world.master.post(base, json_body=_badge_body()).json()["badge"]
    clash = world.master.put(f"{base}/{other['slug']}", form={"new-slug": badge["slug"]})
    assert clash.status_code == 409
    assert clash.json() == {"code": "ResourceConflict", "error": "badge with that `slug` already exists",
                            "details": world.master.get(f"{base}/{badge['slug']}").json()["badge"]}
    missing = world.master.get(f"{base}/no-such-badge")
    assert missing.status_code == 404 and missing.json() == {
        "code": "ResourceNotFound", "message": "Could not find badge field: `slug`, value: `no-such-badge`"}
    assert world.master.put(f"{base}/no-such-badge", json_body={"name": "x"}).json() == missing.json()
    gone = world.master.delete(f"{base}/no-such-badge")
    assert gone.status_code == 404 and gone.json() == {
        "code": "ResourceNotFound", "message": "Could not find badge with slug `no-such-badge`"}
    # nothing of the refused writes was kept
    assert world.master.get(f"{base}/{badge['slug']}").json() == {"badge": badge}
    assert world.master.get(f"{base}/{other['slug']}").json() == {"badge": other}


def test_issuer_errors_of_the_seed_on_the_top_level_routes(world: World, settings: Settings) -> None:
    """The issuers seed's errors, on its own routes (``/issuers``, with a key bound to the system): 400 on POST
    and PUT, 409 with the existing issuer on POST and PUT, 404 on GET, PUT and DELETE of a missing issuer."""
    name, secret = new_key(settings, system=world.system)
    bk = BadgeKit(world.master.client, name, secret)
    _validation(bk.post("/issuers", json_body={"slug": "x" * 51, "name": "", "url": "www.example.org",
                                               "description": "d" * 256, "email": "not-an-email"}),
                {"slug", "name", "url", "description", "email"})
    issuer = bk.post("/issuers", json_body=issuer_body()).json()["issuer"]
    dup = bk.post("/issuers", form={k: str(v) for k, v in issuer_body(issuer["slug"], name="Other").items()})
    assert dup.status_code == 409
    assert dup.json() == {"code": "ResourceConflict", "error": "issuer with that `slug` already exists",
                          "details": issuer}
    _validation(bk.put(f"/issuers/{issuer['slug']}", json_body={"name": "n" * 256, "url": "ftp://x.example.org"}),
                {"name", "url"})
    other = bk.post("/issuers", json_body=issuer_body()).json()["issuer"]
    clash = bk.put(f"/issuers/{other['slug']}", json_body={"slug": issuer["slug"]})
    assert clash.status_code == 409
    assert clash.json() == {"code": "ResourceConflict", "error": "issuer with that `slug` already exists",
                            "details": issuer}
    for method in ("GET", "PUT", "DELETE"):
        res = bk.request(method, "/issuers/no-such-issuer", json_body={"name": "x"} if method == "PUT" else None)
        assert res.status_code == 404 and res.json() == {
            "code": "ResourceNotFound", "message": "Could not find issuer with slug `no-such-issuer`"}, method
    assert bk.get(f"/issuers/{issuer['slug']}").json() == {"issuer": issuer}
    assert bk.get(f"/issuers/{other['slug']}").json() == {"issuer": other}

