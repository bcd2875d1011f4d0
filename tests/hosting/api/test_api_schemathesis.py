"""The OpenAPI document (``/schema/openapi.json``) against the app that serves it.

1. Every ``/v1`` route the app mounts is documented with its methods, a documented error response (the shared
   ``ApiErrorBody``), a 2xx shape, its request body (updates) and the bearer security requirement — computed from
   the app's routes, so an undocumented handler fails here. The Credly API (``/v1/organizations``) is held to
   its own: Credly's error body, the HTTP Basic scheme, the ``credly`` tag.
2. Schemathesis runs against a live server (``openbadges-server run`` on 127.0.0.1, SQLite) with an admin token:
   no 5xx and no response that contradicts the document, for every operation the app mounts (public ones too).
   Bounded: a few derandomized examples per operation. Most cases get real issuer / badge / staff / assertion
   references (created through the API just before) so the handlers' bodies are reached, not only their 404s.
   BadgeKit operations (``/``, ``/systems…``) are signed as a BadgeKit client signs them (a JWT over the method,
   path and body, :class:`_BadgeKitAuth`) for 3 cases in 4, on a system, badge, instance and claim code made
   through the BadgeKit API; the rest go unsigned (401).
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import itertools
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from litestar.routes import HTTPRoute
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from hosting import Settings, create_app
from hosting.app.demo import demo_png
from hosting.badgekit.auth import create_key
from hosting.storage.migrate import migrate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer, make_token, unique_email, unique_slug
from _hosting_live import SECRET, serve_app
from conftest import run_store

ERROR_SCHEMA = "#/components/schemas/ApiErrorBody"
CREDLY = "/v1/organizations"
CREDLY_ERROR_SCHEMA = "#/components/schemas/CredlyErrorBody"
WRITE_METHODS = ("put", "patch")
_ASSERTION_PARAMS = {"assertion_ref", "assertion_id"}
_PUBLIC_KINDS = {"issuers": "issuer", "badges": "badge", "assertions": "assertion", "credentials": "credential"}
EXAMPLES = 5  # per /v1 operation (public ones: 3): the whole run stays well under a minute
_PHASES = (Phase.explicit, Phase.generate)  # no shrinking: a failure is reported as found
PNG_DATA_URI = "data:image/png;base64," + base64.b64encode(demo_png(size=16)).decode()


def _document(app: Any) -> dict[str, Any]:
    doc: dict[str, Any] = app.openapi_schema.to_schema()
    return doc


def _api_operations(app: Any) -> Iterator[tuple[str, str, Any]]:
    """(path as in the document, method, handler) of every /v1 route the app mounts (OPTIONS/HEAD aside)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/v1"):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method not in ("OPTIONS", "HEAD"):
                yield route.path_format, method.lower(), handler


def _error_schema(path: str) -> str:
    return CREDLY_ERROR_SCHEMA if path.startswith(CREDLY) else ERROR_SCHEMA


def test_every_v1_route_is_documented_with_errors_and_bearer_security(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", base_url="http://t.example",
                              secret_key=SECRET))
    doc = _document(app)
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["credly_basic"] == {**schemes["credly_basic"], "type": "http", "scheme": "basic"}
    operations = list(_api_operations(app))
    assert len(operations) >= 10  # issuers and staff at least
    credly = {(p.removeprefix(f"{CREDLY}/{{organization_id}}"), m) for p, m, _ in operations if p.startswith(CREDLY)}
    assert credly == {  # every Credly route, templates and the high-volume search included
        ("/badges", "get"), ("/badges", "post"), ("/badges/batch", "post"), ("/badges/{badge_id}", "get"),
        ("/badges/{badge_id}", "delete"), ("/badges/{badge_id}/replace", "post"),
        ("/badges/{badge_id}/revoke", "put"), ("/high_volume_issued_badge_search", "get"),
        ("/badge_templates", "get"), ("/badge_templates", "post"), ("/badge_templates/{template_id}", "get"),
        ("/badge_templates/{template_id}", "put"), ("/badge_templates/{template_id}", "delete")}
    problems: list[str] = []
    for path, method, handler in operations:
        op = doc["paths"].get(path, {}).get(method)
        where = f"{method.upper()} {path} ({handler.handler_name})"
        if op is None:
            problems.append(f"{where}: not in the document")
            continue
        credly = path.startswith(CREDLY)
        if op.get("security") != [{"credly_basic": []} if credly else {"bearer": []}]:
            problems.append(f"{where}: not the {'Basic' if credly else 'bearer'} security requirement")
        if credly and op.get("tags") != ["credly"]:
            problems.append(f"{where}: not under the credly tag")
        responses = op.get("responses", {})
        errors = {code for code, r in responses.items() if code.startswith("4")
                  and r.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
                  == _error_schema(path)}
        if not {"400", "401", "403"} <= errors:
            problems.append(f"{where}: 400/401/403 not documented with {_error_schema(path)} (has {sorted(errors)})")
        success = [code for code in responses if code.startswith("2")]
        if not success or any(code != "204" and not responses[code].get("content") for code in success):
            problems.append(f"{where}: no documented 2xx body")
        reads_body = any(f"{reader}(" in inspect.getsource(handler.fn) for reader in ("read_body", "read_batch"))
        if (method in WRITE_METHODS or reads_body) and "requestBody" not in op:
            problems.append(f"{where}: request body not documented")
    assert not problems, "\n".join(problems)


def test_the_document_is_served_and_every_error_response_uses_the_shared_schema(tmp_path: Path) -> None:
    from litestar.testing import TestClient

    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", base_url="http://t.example",
                              secret_key=SECRET))
    with TestClient(app) as client:
        served = client.get("/schema/openapi.json")
    assert served.status_code == 200
    doc = served.json()
    assert doc["openapi"].startswith("3.1")
    error = doc["components"]["schemas"]["ApiErrorBody"]
    assert set(error["required"]) == {"code", "message"}
    assert {"details", "errors", "error_index"} <= set(error["properties"])
    # Litestar's own 400 shape ({detail, status_code, extra}) must not survive anywhere under /v1.
    stray = [(method, path, code) for path, item in doc["paths"].items() if path.startswith("/v1")
             for method, op in item.items() if isinstance(op, dict)
             for code, response in op.get("responses", {}).items() if code.startswith("4")
             and response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
             != _error_schema(path)]
    assert not stray, stray
    credly = doc["components"]["schemas"]["CredlyError"]
    assert set(credly["required"]) == {"message"}
    assert {"errors", "error_index", "invalid_badges"} <= set(credly["properties"])


# --- schemathesis against a live server ----------------------------------------------------------------------

@dataclass
class _Live:
    base_url: str
    token: str
    http: httpx.Client  # the admin token's client, for the fixtures
    badgekit: tuple[str, str] = ("", "")  # a master BadgeKit key: name, secret


class _BadgeKitAuth(requests.auth.AuthBase):
    """Signs a request as BadgeKit's client libraries do (``Authorization: JWT token="…"``)."""

    def __init__(self, key: tuple[str, str]) -> None:
        self.key = key

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        claims: dict[str, Any] = {"key": self.key[0], "exp": int(time.time()) + 60, "method": r.method,
                                  "path": r.path_url}
        if r.method in ("POST", "PUT"):
            body = r.body.encode() if isinstance(r.body, str) else (r.body or b"")
            claims["body"] = {"alg": "sha256", "hash": hashlib.sha256(body).hexdigest()}
        r.headers["Authorization"] = f'JWT token="{jwt.encode(claims, self.key[1], algorithm="HS256")}"'
        return r


def _badgekit_references(live: _Live, path: str) -> dict[str, str]:
    """A new BadgeKit system with an issuer and a program, and at the level ``path`` names a badge, an instance of
    it and a claim code (all made through the BadgeKit API)."""
    auth = _BadgeKitAuth(live.badgekit)
    refs = {"system_slug": unique_slug("bk"), "issuer_slug": unique_slug("bki"), "program_slug": unique_slug("bkp"),
            "badge_slug": unique_slug("bkb"), "email": unique_email("bk-earner")}
    system = f"/systems/{refs['system_slug']}"
    issuer = f"{system}/issuers/{refs['issuer_slug']}"
    level = f"{issuer}/programs/{refs['program_slug']}" if "{program_slug}" in path else (
        issuer if "{issuer_slug}" in path else system)

    def post(at: str, body: dict[str, Any]) -> Any:
        res = requests.post(live.base_url + at, json=body, auth=auth, timeout=10)
        return res.json() if res.status_code == 201 else None

    org = {"name": "Fuzz Org", "url": "https://org.example.org", "email": "badges@org.example.org"}
    post("/systems", {"slug": refs["system_slug"], **org})
    post(f"{system}/issuers", {"slug": refs["issuer_slug"], **org})
    post(f"{issuer}/programs", {"slug": refs["program_slug"], **org})
    badge = f"{level}/badges/{refs['badge_slug']}"
    post(f"{level}/badges", {"slug": refs["badge_slug"], "name": "Fuzz Badge", "earnerDescription": "e",
                             "consumerDescription": "c", "type": "t", "imageUrl": PNG_DATA_URI})
    post(f"{badge}/instances", {"email": refs["email"]})
    code = post(f"{badge}/codes/random", {}) or {"claimCode": {"code": "none"}}
    return {**refs, "code": code["claimCode"]["code"]}


def _is_badgekit(path: str) -> bool:
    return path == "/" or path.startswith(("/systems", "/issuers"))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Live]:
    database_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('schemathesis') / 'live.db'}"
    migrate(database_url)
    port_hint = "http://127.0.0.1"  # public URLs in documents only; the API answers on any host
    settings = Settings(database_url=database_url, base_url=port_hint, secret_key=SECRET, access_log=False,
                        public_cache_seconds=0)
    token = make_token(settings, unique_email("schemathesis"), admin=True)
    badgekit = ("fuzz-master", run_store(settings, lambda store: create_key(store.session, store.keybox, "fuzz-master")))
    with serve_app(create_app(settings)) as base_url, \
            httpx.Client(base_url=base_url, headers=bearer(token), timeout=10) as http:
        yield _Live(base_url, token, http, badgekit)


@pytest.fixture(scope="module")
def api_schema(live: _Live) -> Any:
    return schemathesis.openapi.from_url(f"{live.base_url}/schema/openapi.json")


def _created(http: httpx.Client, path: str, body: dict[str, Any], key: str) -> dict[str, Any] | None:
    res = http.post(path, json=body)
    if res.status_code != 201:  # an endpoint not (yet) mounted, or refusing: keep the generated value
        return None
    created: dict[str, Any] = res.json()[key]
    return created


def _references(http: httpx.Client, path: str, wanted: set[str], n: int) -> dict[str, str]:
    """Real values for the path parameters ``wanted`` of ``path``: a new issuer, and as needed a staff member, a
    badge class and an assertion of it (OB 3.0 for ``/public/credentials``), all created through the API (so a
    DELETE in one case does not starve the next). Public paths get the public id of the kind they serve."""
    kind = _PUBLIC_KINDS.get(path.split("/")[2]) if path.startswith("/public/") else "v1"
    if kind is None:
        return {}
    if path.startswith(CREDLY):
        return _credly_references(http, wanted, n)
    issuer = _created(http, "/v1/issuers", {"name": "Fuzz Issuer", "url": "https://issuer.example.org",
                                            "email": "badges@issuer.example.org", "slug": unique_slug("fz")}, "issuer")
    if issuer is None:
        return {}
    ids = {"issuer": issuer["id"]}
    refs = {"issuer_ref": issuer["slug"] if n % 2 else issuer["id"]}
    if "email" in wanted and kind == "v1":
        member = unique_email("staff")
        if _created(http, f"/v1/issuers/{issuer['id']}/staff", {"email": member, "role": "editor"}, "staff"):
            refs["email"] = member
    if kind != "issuer" and (kind != "v1" or wanted & {"badge_ref", *_ASSERTION_PARAMS}):
        badge = _created(http, f"/v1/issuers/{issuer['id']}/badges", {
            "name": "Fuzz Badge", "description": "For fuzzing.", "image": PNG_DATA_URI,
            "criteria": {"narrative": "Be generated."}}, "badge")
        if badge is not None:
            ids["badge"] = badge["id"]
            refs["badge_ref"] = badge["slug"] if n % 2 else badge["id"]
            if kind in ("assertion", "credential") or (kind == "v1" and wanted & _ASSERTION_PARAMS):
                body = {"recipient": unique_email("earner"), **({"format": "ob3"} if kind == "credential" else {})}
                assertion = _created(http, f"/v1/issuers/{issuer['id']}/badges/{badge['id']}/assertions", body,
                                     "assertion")
                if assertion is not None:
                    ids["assertion"] = ids["credential"] = assertion["id"]
                    refs.update(dict.fromkeys(_ASSERTION_PARAMS, assertion["id"]))
    if kind != "v1":
        return {"public_id": ids[kind]} if kind in ids else {}
    return refs


def _basic(token: str) -> dict[str, str]:
    """Credly's authentication: the API token as the Basic user name, an empty password."""
    return {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}


def _credly_references(http: httpx.Client, wanted: set[str], n: int) -> dict[str, str]:
    """An organisation (issuer) with a template (badge class: also ``template_id``) and, for ``badge_id``, a
    badge issued through the Credly API; ``template`` is for the bodies."""
    issuer = _created(http, "/v1/issuers", {"name": "Fuzz Org", "url": "https://org.example.org",
                                            "email": "badges@org.example.org", "slug": unique_slug("fo")}, "issuer")
    if issuer is None:
        return {}
    badge = _created(http, f"/v1/issuers/{issuer['id']}/badges", {
        "name": "Fuzz Template", "description": "For fuzzing.", "image": PNG_DATA_URI,
        "criteria": {"narrative": "Be generated."}}, "badge")
    refs = {"organization_id": issuer["slug"] if n % 2 else issuer["id"]}
    if badge is None:
        return refs
    refs["template"] = refs["template_id"] = badge["slug"] if n % 3 == 1 else badge["id"]
    if "badge_id" in wanted:
        token = http.headers["authorization"].removeprefix("Bearer ")
        res = http.post(f"{CREDLY}/{issuer['id']}/badges", headers=_basic(token), json={
            "recipient_email": unique_email("earner"), "issued_to_first_name": "Fuzz", "issued_to_last_name": "Earner",
            "badge_template_id": badge["id"], "issued_at": "2024-05-01 09:41:00 -0500"})
        if res.status_code == 201:
            refs["badge_id"] = res.json()["data"]["id"]
    return refs


def _credly_body(body: Any, template: str | None) -> None:
    """Most generated Credly bodies name the real template, so the handlers get past the lookup."""
    if template is None or not isinstance(body, dict):
        return
    items = body.get("badges") if isinstance(body.get("badges"), list) else [body]
    for item in items:
        if isinstance(item, dict) and "badge_template_id" in item:
            item["badge_template_id"] = template


def _documented_operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in the document (collected from an app that is never started)."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db", base_url="http://t.example",
                              secret_key=SECRET))
    return sorted((method.upper(), path) for path, item in _document(app)["paths"].items()
                  for method in item if method in ("get", "put", "post", "delete", "patch"))


_counter = itertools.count()


@pytest.mark.parametrize(("method", "path"), _documented_operations(), ids=lambda v: str(v))
def test_no_server_error_and_every_response_matches_the_document(
        method: str, path: str, api_schema: Any, live: _Live) -> None:
    operation = api_schema[path][method]

    @hsettings(max_examples=EXAMPLES if path.startswith("/v1/") or _is_badgekit(path) else 3, deadline=None, derandomize=True, database=None, phases=_PHASES,
               suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        n = next(_counter)
        if _is_badgekit(path):
            signed = bool(n % 4)
            if signed and case.path_parameters:
                refs = _badgekit_references(live, path)
                case.path_parameters.update({k: v for k, v in refs.items() if k in case.path_parameters})
            case.call_and_validate(base_url=live.base_url, auth=_BadgeKitAuth(live.badgekit) if signed else None,
                                   checks=[not_a_server_error, response_schema_conformance])
            return
        refs: dict[str, str] = {}
        if case.path_parameters and n % 4:  # 3 cases in 4 address real resources; the rest stay random
            refs = _references(live.http, path, set(case.path_parameters), n)
            case.path_parameters.update({k: v for k, v in refs.items() if k in case.path_parameters})
        _credly_body(case.body, refs.get("template"))
        if isinstance(case.body, dict) and isinstance(case.body.get("image"), str) \
                and not case.body["image"].startswith("data:"):
            case.body["image"] = PNG_DATA_URI  # the server fetches image URLs: never let it leave the machine
        headers = _basic(live.token) if path.startswith(CREDLY) else bearer(live.token)
        case.call_and_validate(base_url=live.base_url, headers=headers,
                               checks=[not_a_server_error, response_schema_conformance])

    run()
