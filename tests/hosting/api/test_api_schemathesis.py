"""The OpenAPI document (``/schema/openapi.json``) against the app that serves it.

1. Every ``/v1`` route the app mounts is documented with its methods, a documented error response (the shared
   ``ApiErrorBody``), a 2xx shape, its request body (updates) and the bearer security requirement — computed from
   the app's routes, so an undocumented handler fails here.
2. Schemathesis runs against a live server (``openbadges-server run`` on 127.0.0.1, SQLite) with an admin token:
   no 5xx and no response that contradicts the document, for every operation the app mounts (public ones too).
   Bounded: a few derandomized examples per operation. Most cases get real issuer / badge / staff / assertion
   references (created through the API just before) so the handlers' bodies are reached, not only their 404s.
"""

from __future__ import annotations

import base64
import inspect
import itertools
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from litestar.routes import HTTPRoute
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from hosting import Settings, create_app
from hosting.app.demo import demo_png
from hosting.storage.migrate import migrate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer, make_token, unique_email, unique_slug
from _hosting_live import SECRET, serve_app

ERROR_SCHEMA = "#/components/schemas/ApiErrorBody"
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
            # routes kept out of the document on purpose (the Credly API, /v1/organizations) aside
            if method not in ("OPTIONS", "HEAD") and handler.resolve_include_in_schema():
                yield route.path_format, method.lower(), handler


def test_every_v1_route_is_documented_with_errors_and_bearer_security(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", base_url="http://t.example",
                              secret_key=SECRET))
    doc = _document(app)
    assert doc["components"]["securitySchemes"]["bearer"] == {**doc["components"]["securitySchemes"]["bearer"],
                                                              "type": "http", "scheme": "bearer"}
    operations = list(_api_operations(app))
    assert len(operations) >= 10  # issuers and staff at least
    problems: list[str] = []
    for path, method, handler in operations:
        op = doc["paths"].get(path, {}).get(method)
        where = f"{method.upper()} {path} ({handler.handler_name})"
        if op is None:
            problems.append(f"{where}: not in the document")
            continue
        if op.get("security") != [{"bearer": []}]:
            problems.append(f"{where}: no bearer security requirement")
        responses = op.get("responses", {})
        errors = {code for code, r in responses.items() if code.startswith("4")
                  and r.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref") == ERROR_SCHEMA}
        if not {"400", "401", "403"} <= errors:
            problems.append(f"{where}: 400/401/403 not documented with ApiErrorBody (has {sorted(errors)})")
        success = [code for code in responses if code.startswith("2")]
        if not success or any(code != "204" and not responses[code].get("content") for code in success):
            problems.append(f"{where}: no documented 2xx body")
        reads_body = "read_body(" in inspect.getsource(handler.fn)
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
             and response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref") != ERROR_SCHEMA]
    assert not stray, stray


# --- schemathesis against a live server ----------------------------------------------------------------------

@dataclass
class _Live:
    base_url: str
    token: str
    http: httpx.Client  # the admin token's client, for the fixtures


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Live]:
    database_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('schemathesis') / 'live.db'}"
    migrate(database_url)
    port_hint = "http://127.0.0.1"  # public URLs in documents only; the API answers on any host
    settings = Settings(database_url=database_url, base_url=port_hint, secret_key=SECRET, access_log=False,
                        public_cache_seconds=0)
    token = make_token(settings, unique_email("schemathesis"), admin=True)
    with serve_app(create_app(settings)) as base_url, \
            httpx.Client(base_url=base_url, headers=bearer(token), timeout=10) as http:
        yield _Live(base_url, token, http)


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

    @hsettings(max_examples=EXAMPLES if path.startswith("/v1/") else 3, deadline=None, derandomize=True, database=None, phases=_PHASES,
               suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        n = next(_counter)
        if case.path_parameters and n % 4:  # 3 cases in 4 address real resources; the rest stay random
            refs = _references(live.http, path, set(case.path_parameters), n)
            case.path_parameters.update({k: v for k, v in refs.items() if k in case.path_parameters})
        if isinstance(case.body, dict) and isinstance(case.body.get("image"), str) \
                and not case.body["image"].startswith("data:"):
            case.body["image"] = PNG_DATA_URI  # the server fetches image URLs: never let it leave the machine
        case.call_and_validate(base_url=live.base_url, headers=bearer(live.token),
                               checks=[not_a_server_error, response_schema_conformance])

    run()
