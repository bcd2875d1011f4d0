"""Every ``/v1`` route is authenticated and needs a known scope, declared once (``hosting/api/auth.py``): reads
``issuer:read``, writes the ``write_scope`` of their controller. A route added without one must fail here, not
silently need no scope (or fall back to ``admin``)."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from hosting import Settings, create_app
from hosting.api.auth import SCOPES, required_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer, make_token, unique_email


def _v1_handlers(tmp_path: Path) -> list[tuple[str, str, Any]]:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
                              base_url="http://t.example", secret_key="s" * 32))
    return [(route.path_format, method, handler) for route in app.routes
            if isinstance(route, HTTPRoute) and route.path.startswith("/v1")
            for method, (handler, _) in route.route_handler_map.items() if method != "OPTIONS"]


def test_every_v1_handler_asks_for_the_principal_and_needs_a_known_non_admin_scope(tmp_path: Path) -> None:
    handlers = _v1_handlers(tmp_path)
    assert len(handlers) >= 25
    problems = []
    for path, method, handler in handlers:
        if "principal" not in inspect.signature(handler.fn).parameters:
            problems.append(f"{method} {path}: no principal parameter")
        scope = required_scope(method, handler.opt)
        if scope not in SCOPES or scope == "admin":
            problems.append(f"{method} {path}: scope {scope!r}")
    assert not problems, "\n".join(problems)


def test_writes_need_their_controllers_scope_and_an_undeclared_write_fails_closed() -> None:
    assert required_scope("GET", {"write_scope": "assertion:write"}) == "issuer:read"
    assert required_scope("POST", {"write_scope": "assertion:write"}) == "assertion:write"
    assert required_scope("DELETE", {}) == "admin"


@pytest.mark.parametrize(("method", "path", "scope"), [
    ("POST", "/v1/issuers", "issuer:write"),
    ("POST", "/v1/issuers/some-issuer/badges/some-badge/assertions", "assertion:write"),
    ("POST", "/v1/assertions/AAAAAAAAAAAAAAAAAAAAAA/revoke", "assertion:write"),
    ("GET", "/v1/issuers/some-issuer/assertions", "issuer:read"),
])
def test_a_token_without_the_scope_is_refused_before_anything_is_looked_up(
        api: TestClient[Any], settings: Settings, method: str, path: str, scope: str) -> None:
    others = [s for s in ("issuer:read", "issuer:write", "assertion:write") if s != scope]
    res = api.request(method, path, headers=bearer(make_token(settings, unique_email(), scopes=others)), json={})
    assert res.status_code == 403, res.text
    body = res.json()
    assert body["code"] == "Forbidden"
    assert body["details"] == [{"field": "scope", "message": "missing scope", "value": scope}]
