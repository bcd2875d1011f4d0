"""``GET /`` for BadgeKit clients (and unchanged for everyone else), and the BadgeKit routes in the OpenAPI
document (tag ``badgekit``, JWT security scheme, request and response schemas), on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest
from _badgekit_support import BadgeKit, new_key, sign
from litestar.routes import HTTPRoute
from litestar.testing import TestClient
from test_badgekit_auth_systems import _system
from test_badgekit_badges import _badge_body
from test_badgekit_hierarchy import make_issuer, make_program

from hosting import Settings, create_app
from hosting.badgekit import openapi as bk_openapi

ERROR_SCHEMA = "#/components/schemas/BadgeKitErrorBody"


@pytest.fixture(scope="module")
def bk(api: TestClient[Any], settings: Settings) -> BadgeKit:
    name, secret = new_key(settings, f"master-{secrets.token_hex(3)}")
    return BadgeKit(api, name, secret)


# --- GET / ----------------------------------------------------------------------------------------------------

def test_signed_get_root_answers_badgekit_api_and_the_server_version(bk: BadgeKit) -> None:
    res = bk.get("/")
    assert res.status_code == 200, res.text
    version = bk.client.get("/schema/openapi.json").json()["info"]["version"]
    assert res.json() == {"app": "BadgeKit API", "version": version}


def test_a_system_key_may_ping_the_root(bk: BadgeKit, settings: Settings) -> None:
    system = _system(bk)
    name, secret = new_key(settings, system=system["slug"])
    assert BadgeKit(bk.client, name, secret).get("/").json()["app"] == "BadgeKit API"


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
def test_the_root_without_badgekit_credentials_answers_as_an_unrouted_path(api: TestClient[Any], method: str,
                                                                            accept: str) -> None:
    for auth in ({}, {"authorization": "Bearer obt_not-badgekit"}):
        root = api.request(method, "/", headers={"accept": accept, **auth})
        unrouted = api.request(method, f"/no-such-path-{secrets.token_hex(3)}", headers={"accept": accept, **auth})
        assert root.status_code == unrouted.status_code == 404
        assert root.content == unrouted.content
        assert root.headers.get("content-type") == unrouted.headers.get("content-type")


@pytest.mark.parametrize("case", ["bad signature", "expired", "other path", "other method", "unknown key",
                                  "malformed"])
def test_a_bad_badgekit_token_on_the_root_is_401_in_badgekit_shape(bk: BadgeKit, case: str) -> None:
    header = {
        "bad signature": sign(bk.key, bk.secret + "x", "GET", "/"),
        "expired": sign(bk.key, bk.secret, "GET", "/", exp=time.time() - 120),
        "other path": sign(bk.key, bk.secret, "GET", "/systems"),
        "other method": sign(bk.key, bk.secret, "POST", "/"),
        "unknown key": sign("no-such-key", bk.secret, "GET", "/"),
        "malformed": 'JWT token="not.a.jwt"',
    }[case]
    res = bk.client.get("/", headers={"authorization": header})
    assert res.status_code == 401 and res.json()["code"] == "Unauthorized" and res.json()["message"]
    assert "app" not in res.json()


# --- the OpenAPI document -------------------------------------------------------------------------------------

def _badgekit_operations(app: Any) -> list[tuple[str, str, Any]]:
    out = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method not in ("OPTIONS", "HEAD") and handler.resolve_include_in_schema() \
                    and "badgekit" in (handler.resolve_tags() or ()):
                out.append((route.path_format, method.lower(), handler))
    return out


def test_every_badgekit_route_is_documented_with_shapes_errors_and_the_jwt_scheme(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", base_url="http://t.example",
                              secret_key="s" * 44))
    doc = app.openapi_schema.to_schema()
    scheme = doc["components"]["securitySchemes"]["badgekitJwt"]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header" and scheme["name"] == "Authorization"
    assert 'JWT token=' in scheme["description"] and "sha256" in scheme["description"]
    operations = _badgekit_operations(app)
    paths = {path for path, _, _ in operations}
    assert "/" in paths and "/systems/{system_slug}/badges/{badge_slug}/codes/{code}/claim" in paths
    assert len(operations) >= 21
    problems = []
    for path, method, handler in operations:
        op = doc["paths"][path][method]
        where = f"{method.upper()} {path} ({handler.handler_name})"
        if op.get("tags") != ["badgekit"] or op.get("security") != [{"badgekitJwt": []}]:
            problems.append(f"{where}: tag or security")
        responses = op["responses"]
        errors = {code for code, r in responses.items() if code.startswith("4")
                  and r["content"]["application/json"]["schema"].get("$ref") == ERROR_SCHEMA}
        if "401" not in errors or any(code.startswith("4") and code not in errors for code in responses):
            problems.append(f"{where}: error responses not all BadgeKitErrorBody ({sorted(responses)})")
        success = [code for code in responses if code.startswith("2")]
        if len(success) != 1 or "$ref" not in responses[success[0]]["content"]["application/json"]["schema"]:
            problems.append(f"{where}: no 2xx schema")
        if method in ("post", "put") and set(op.get("requestBody", {}).get("content", {})) != {
                "application/json", "application/x-www-form-urlencoded", "multipart/form-data"}:
            problems.append(f"{where}: request body not documented in the three encodings")
    assert not problems, "\n".join(problems)
    badge = doc["components"]["schemas"]["BadgeKitBadge"]["properties"]
    assert {"milestones", "criteria", "system", "imageUrl", "earnerDescription"} <= set(badge)
    body = doc["paths"]["/systems/{system_slug}/badges"]["post"]["requestBody"]["content"]["application/json"]
    assert "milestones" in body["schema"]["properties"]


def test_responses_have_the_documented_shapes(bk: BadgeKit) -> None:
    """The structs the document is generated from decode what the handlers answer (no drift)."""
    system = _system(bk)["slug"]
    support = bk.post(f"/systems/{system}/badges", json_body=_badge_body()).json()["badge"]
    res = bk.post(f"/systems/{system}/badges", json_body=_badge_body(
        milestones=[{"numberRequired": 1, "supportBadges": [support["id"]]}]))
    badge = msgspec.convert(res.json()["badge"], bk_openapi.BadgeKitBadge)
    assert badge.milestones[0].supportBadges == [support["id"]]
    listing = bk.get(f"/systems/{system}/badges").json()
    assert len(msgspec.convert(listing["badges"], list[bk_openapi.BadgeKitBadge])) == 2
    made = bk.post(f"/systems/{system}/badges/{support['slug']}/instances", json_body={"email": "s@example.org"})
    msgspec.convert(made.json()["instance"], bk_openapi.BadgeKitInstance)
    code = bk.post(f"/systems/{system}/badges/{support['slug']}/codes/random", json_body={}).json()
    msgspec.convert(code["claimCode"], bk_openapi.BadgeKitClaimCode)
    claimed = bk.post(f"/systems/{system}/badges/{support['slug']}/codes/{code['claimCode']['code']}/claim",
                      json_body={"email": "c@example.org"})
    msgspec.convert(claimed.json(), bk_openapi.BadgeKitClaimed)
    issuer = make_issuer(bk, system)["slug"]
    make_program(bk, system, issuer)
    tree = msgspec.convert(bk.get(f"/systems/{system}").json()["system"], bk_openapi.BadgeKitSystem)
    assert tree.issuers[0].slug == issuer and len(tree.issuers[0].programs) == 1
    listing = bk.get(f"/systems/{system}/issuers/{issuer}/programs").json()
    msgspec.convert(listing["programs"], list[bk_openapi.BadgeKitProgram])
    by_email = bk.get(f"/systems/{system}/instances/s@example.org").json()
    assert len(msgspec.convert(by_email["instances"], list[bk_openapi.BadgeKitInstance])) == 2  # + the milestone
    error = bk.get(f"/systems/{system}/badges/no-such-badge").json()
    assert msgspec.convert(error, bk_openapi.BadgeKitErrorBody).code == "ResourceNotFound"
    conflict = bk.post(f"/systems/{system}/badges", json_body=_badge_body(slug=support["slug"])).json()
    assert msgspec.convert(conflict, bk_openapi.BadgeKitErrorBody).code == "ResourceConflict"
