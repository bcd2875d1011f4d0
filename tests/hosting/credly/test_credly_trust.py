"""Adversarial tests of the Credly API's trust boundary: HTTP Basic auth and organisation scoping.

Every ``/v1/organizations/…`` route — enumerated from the app's own route table, so a route added later is
covered without editing this file — refuses a request without valid Basic credentials (missing, another scheme,
malformed, unknown, revoked or expired token) with 401 in Credly's error shape and a ``WWW-Authenticate: Basic``
challenge (RFC 9110), before it looks at the
organisation, the path ids or the body. A token whose user holds a role on organisation A cannot read, issue,
revoke, replace or delete anything of organisation B — through B's paths (404, as for an organisation that does
not exist) or through A's paths with B's ids — nor see B's badges through A's list filters or a cursor of B's
high-volume search. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from _api_support import make_token, unique_email
from _credly_support import (  # noqa: F401 - the fixtures
    SEED_BATCH,
    SEED_ISSUE,
    SEED_REPLACE,
    SEED_REVOKE,
    basic,
    credly_api_fixture,
    issued,
    org_path,
)
from _issue_support import Team, count_assertions, new_team, stored, team_fixture  # noqa: F401 - fixture
from litestar.testing import TestClient

from hosting import Settings

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def _credly_routes(api: TestClient[Any]) -> list[tuple[str, str]]:
    """(method, path template) of every Credly route in the app's route table (CORS preflights aside)."""
    return sorted({(method, route.path) for route in api.app.routes if route.path.startswith("/v1/organizations")
                   for method in getattr(route, "methods", ()) if method not in ("OPTIONS", "HEAD")})


def _filled(template: str, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: values[m.group(1)], template)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _assert_credly_error(res: Any, status: int) -> dict[str, Any]:
    assert res.status_code == status, (res.request.method, res.request.url, res.status_code, res.text)
    body = res.json()
    assert set(body) == {"data"}, body
    assert isinstance(body["data"]["message"], str) and body["data"]["message"], body
    assert res.headers["content-type"].startswith("application/json")
    data: dict[str, Any] = body["data"]
    return data


# --- Basic auth over the whole route table ------------------------------------------------------------------

def test_the_route_table_has_the_credly_routes_this_file_expects(api: TestClient[Any]) -> None:
    """The enumeration below is not vacuous: it sees every documented route (a new one only adds to it)."""
    routes = set(_credly_routes(api))
    base = "/v1/organizations/{organization_id:str}"
    assert {("POST", f"{base}/badges"), ("GET", f"{base}/badges"), ("POST", f"{base}/badges/batch"),
            ("GET", f"{base}/badges/{{badge_id:str}}"), ("DELETE", f"{base}/badges/{{badge_id:str}}"),
            ("PUT", f"{base}/badges/{{badge_id:str}}/revoke"), ("POST", f"{base}/badges/{{badge_id:str}}/replace"),
            ("GET", f"{base}/high_volume_issued_badge_search"), ("GET", f"{base}/badge_templates"),
            ("POST", f"{base}/badge_templates"), ("GET", f"{base}/badge_templates/{{template_id:str}}"),
            ("PUT", f"{base}/badge_templates/{{template_id:str}}"),
            ("DELETE", f"{base}/badge_templates/{{template_id:str}}")} <= routes


def _bad_credentials(settings: Settings) -> dict[str, dict[str, str] | None]:
    """Authorization headers that must all be refused (``None``: no header at all)."""
    revoked = make_token(settings, unique_email("revoked"), revoke=True)
    expired = make_token(settings, unique_email("expired"), expires_in=timedelta(seconds=-1))
    return {
        "missing": None,
        "empty": {"Authorization": ""},
        "scheme only": {"Authorization": "Basic"},
        "scheme and space": {"Authorization": "Basic "},
        "not base64": {"Authorization": "Basic !!!not-base64!!!"},
        "base64 with junk": {"Authorization": "Basic " + _b64(b"obt_x:") + "*"},
        "not utf-8": {"Authorization": "Basic " + _b64(b"\xff\xfe\xfd:")},
        "no colon": {"Authorization": "Basic " + _b64(b"obt_unknown")},
        "unknown token": basic("obt_" + "A" * 43),
        "not a token": basic("someone@example.org", "a password"),
        "token as password": {"Authorization": "Basic " + _b64(b":" + b"obt_" + b"A" * 43)},
        "huge": basic("obt_" + "A" * 5000),
        "nul byte": {"Authorization": "Basic " + _b64(b"obt_\x00:")},
        "revoked token": basic(revoked),
        "expired token": basic(expired),
        "bearer scheme": {"Authorization": f"Bearer {revoked}"},
        "digest scheme": {"Authorization": 'Digest username="obt_x", response="00"'},
    }


def test_every_credly_route_refuses_missing_wrong_or_malformed_basic_credentials(
        settings: Settings, team: Team) -> None:
    template = team.badge()
    badge = issued(team, template)
    real = {"organization_id": team.issuer["id"], "badge_id": badge["id"], "template_id": template}
    made_up = {"organization_id": "no-such-org", "badge_id": "no-such-badge", "template_id": "no-such-template"}
    routes = _credly_routes(team.api)
    assert len(routes) >= 13
    bodies = {"POST": {**SEED_ISSUE, "badge_template_id": template}, "PUT": SEED_REVOKE}
    before = count_assertions(settings, template)
    for label, headers in _bad_credentials(settings).items():
        for method, path in routes:
            for values in (real, made_up):  # auth is decided before the organisation or any id is looked at
                res = team.api.request(method, _filled(path, values), json=bodies.get(method), headers=headers)
                data = _assert_credly_error(res, 401)
                assert res.headers["www-authenticate"].startswith("Basic realm="), (label, method, path)
                assert "errors" not in data or isinstance(data["errors"], list), (label, method, path)
    # nothing was written by any of them: the badge is still pending, its template issued nothing more
    assert count_assertions(settings, template) == before
    assert stored(settings, badge["id"]).state == "pending"


def test_the_owners_basic_credentials_pass_every_reading_route(team: Team) -> None:
    """The refusals above are about the credentials: the owner's Basic header is let through (the writing
    routes with it are the other tests' subject)."""
    template = team.badge()
    badge = issued(team, template)
    real = {"organization_id": team.issuer["id"], "badge_id": badge["id"], "template_id": template}
    for method, path in _credly_routes(team.api):
        if method == "GET":
            res = team.api.request(method, _filled(path, real), headers=basic(team.owner))
            assert res.status_code == 200, (path, res.text)


def test_a_token_without_the_routes_scope_is_403_in_credlys_shape(settings: Settings, team: Team) -> None:
    """An editor of the organisation whose token may only read: every writing route is 403, nothing written."""
    email = unique_email("reader")
    res = team.api.post(f"{team.path}/staff", json={"email": email, "role": "editor"},
                        headers={"Authorization": f"Bearer {team.owner}"})
    assert res.status_code == 201, res.text
    reader = basic(make_token(settings, email, scopes=["issuer:read"]))
    template = team.badge()
    badge = issued(team, template)
    real = {"organization_id": team.issuer["id"], "badge_id": badge["id"], "template_id": template}
    bodies = {"POST": {**SEED_ISSUE, "badge_template_id": template}, "PUT": SEED_REVOKE}
    for method, path in _credly_routes(team.api):
        res = team.api.request(method, _filled(path, real), json=bodies.get(method), headers=reader)
        if method == "GET":
            assert res.status_code == 200, (path, res.text)
        else:
            _assert_credly_error(res, 403)
    assert count_assertions(settings, template) == 1
    assert stored(settings, badge["id"]).state == "pending"


# --- organisation scoping -----------------------------------------------------------------------------------

@pytest.fixture(name="rival")
def rival_fixture(settings: Settings, api: TestClient[Any]) -> Team:
    """``rival``: organisation B, owned by another user than ``team`` (organisation A)."""
    return new_team(settings, api)


def _b_state(rival: Team, badge_id: str) -> dict[str, Any]:
    res = rival.api.get(f"{org_path(rival)}/badges/{badge_id}", headers=basic(rival.owner))
    assert res.status_code == 200, res.text
    data: dict[str, Any] = res.json()["data"]
    return data


def test_a_token_of_a_cannot_touch_b_through_bs_paths(settings: Settings, team: Team, rival: Team) -> None:
    b_template = rival.badge()
    b_badge = issued(rival, b_template)
    b = org_path(rival)
    a_token = basic(team.owner)
    nowhere = "/v1/organizations/no-such-org"
    attempts: list[tuple[str, str, Any]] = [
        ("GET", "/badges", None), ("GET", f"/badges/{b_badge['id']}", None),
        ("POST", "/badges", {**SEED_ISSUE, "badge_template_id": b_template}),
        ("POST", "/badges/batch", {"badges": [{**i, "badge_template_id": b_template} for i in SEED_BATCH["badges"]]}),
        ("PUT", f"/badges/{b_badge['id']}/revoke", SEED_REVOKE),
        ("POST", f"/badges/{b_badge['id']}/replace", {**SEED_REPLACE, "badge_template_id": b_template}),
        ("DELETE", f"/badges/{b_badge['id']}", None),
        ("GET", "/high_volume_issued_badge_search", None),
        ("GET", "/badge_templates", None), ("GET", f"/badge_templates/{b_template}", None),
        ("POST", "/badge_templates", {"name": "Stolen", "description": "x"}),
        ("PUT", f"/badge_templates/{b_template}", {"name": "Renamed by A"}),
        ("DELETE", f"/badge_templates/{b_template}", None),
    ]
    for method, tail, body in attempts:
        res = team.api.request(method, f"{b}{tail}", json=body, headers=a_token)
        data = _assert_credly_error(res, 404)
        # the same answer as for an organisation that does not exist: B's existence is not disclosed
        twin = team.api.request(method, f"{nowhere}{tail}", json=body, headers=a_token)
        assert (twin.status_code, twin.json()["data"]["message"]) == (404, data["message"]), (method, tail)
    after = _b_state(rival, b_badge["id"])
    assert after["state"] == "pending" and after["revocation_reason"] is None
    assert after["replacement_badge_id"] is None and after["badge_template"]["name"] == "Gold Star"
    assert count_assertions(settings, b_template) == 1


def test_a_token_of_a_cannot_reach_bs_badges_and_templates_through_as_paths(settings: Settings, team: Team,
                                                                          rival: Team) -> None:
    b_template = rival.badge()
    b_badge = issued(rival, b_template)
    a, a_token = org_path(team), basic(team.owner)
    for method, tail, body in [
            ("GET", f"/badges/{b_badge['id']}", None),
            ("PUT", f"/badges/{b_badge['id']}/revoke", SEED_REVOKE),
            ("POST", f"/badges/{b_badge['id']}/replace", {**SEED_REPLACE, "badge_template_id": team.badge()}),
            ("DELETE", f"/badges/{b_badge['id']}", None),
            ("GET", f"/badge_templates/{b_template}", None),
            ("PUT", f"/badge_templates/{b_template}", {"name": "Renamed by A"}),
            ("DELETE", f"/badge_templates/{b_template}", None)]:
        _assert_credly_error(team.api.request(method, f"{a}{tail}", json=body, headers=a_token), 404)
    # issuing under B's template from A's organisation: the template is not A's
    res = team.api.post(f"{a}/badges", json={**SEED_ISSUE, "badge_template_id": b_template}, headers=a_token)
    assert _assert_credly_error(res, 422)["errors"][0]["attribute"] == "badge_template_id"
    res = team.api.post(f"{a}/badges/batch", json={"badges": [
        {**item, "badge_template_id": b_template} for item in SEED_BATCH["badges"]]}, headers=a_token)
    assert _assert_credly_error(res, 422)["error_index"] == 0
    # replacing A's own badge by one of B's template
    a_badge = issued(team, team.badge())
    res = team.api.post(f"{a}/badges/{a_badge['id']}/replace", json={**SEED_REPLACE, "badge_template_id": b_template},
                        headers=a_token)
    assert _assert_credly_error(res, 422)["errors"][0]["attribute"] == "badge_template_id"
    assert stored(settings, a_badge["id"]).state == "pending"
    after = _b_state(rival, b_badge["id"])
    assert after["state"] == "pending" and after["badge_template"]["name"] == "Gold Star"
    assert count_assertions(settings, b_template) == 1


def test_as_list_filters_never_reach_bs_badges(team: Team, rival: Team) -> None:
    b_template = rival.badge()
    b_email = unique_email("b-earner")
    b_badge = issued(rival, b_template, recipient_email=b_email, user_id="b-user", issuer_earner_id="b-earner")
    issued(team, team.badge())  # A has a badge of its own, so an empty answer is the filter's doing
    b_org = rival.issuer["id"]
    filters = [f"issuer_id::{b_org}", f"issuer_id::{team.issuer['id']},{b_org}", f"badge_templates[owner_id]::{b_org}",
               f"badge_template_id::{b_template}", f"query::{b_email}", "query::@example.org", "user_id::b-user",
               "issuer_earner_id::b-earner", "state::pending,accepted,rejected,revoked", "public::false"]
    for path in ("badges", "high_volume_issued_badge_search"):
        for text in filters:
            res = team.api.get(f"{org_path(team)}/{path}", params={"filter": text}, headers=basic(team.owner))
            assert res.status_code == 200, (path, text, res.text)
            ids = [b["id"] for b in res.json()["data"]]
            assert b_badge["id"] not in ids, (path, text)
            assert all(b["issuer"]["id"] == team.issuer["id"] for b in res.json()["data"] if "issuer" in b)
    # B sees its own badge through the same filters (the filters do match it where it belongs)
    res = rival.api.get(f"{org_path(rival)}/badges", params={"filter": "user_id::b-user"}, headers=basic(rival.owner))
    assert [b["id"] for b in res.json()["data"]] == [b_badge["id"]]
    templates = team.api.get(f"{org_path(team)}/badge_templates", headers=basic(team.owner)).json()["data"]
    assert b_template not in [t["id"] for t in templates]


def test_a_cursor_of_bs_search_opens_nothing_of_b(settings: Settings, team: Team, rival: Team) -> None:
    b_template = rival.badge()
    badges = [{**SEED_BATCH["badges"][0], "badge_template_id": b_template, "recipient_email": unique_email("b"),
               "user_id": f"b-{i}"} for i in range(51)]
    res = rival.api.post(f"{org_path(rival)}/badges/batch", json={"badges": badges}, headers=basic(rival.owner))
    assert res.status_code == 201, res.text
    first = rival.api.get(f"{org_path(rival)}/high_volume_issued_badge_search", headers=basic(rival.owner))
    next_url = first.json()["metadata"]["next_page_url"]
    assert next_url, first.text
    cursor = parse_qs(urlsplit(next_url).query)["cursor"][0]
    # B's next page with A's token: B's organisation is not found
    _assert_credly_error(team.api.get(urlsplit(next_url).path, params={"cursor": cursor},
                                      headers=basic(team.owner)), 404)
    # B's cursor on A's search: refused (bound to B), not a page of A's — nor of B's — badges
    issued(team, team.badge())
    data = _assert_credly_error(team.api.get(f"{org_path(team)}/high_volume_issued_badge_search",
                                             params={"cursor": cursor}, headers=basic(team.owner)), 400)
    assert data["errors"][0]["attribute"] == "cursor"
    # and on B's own search, the cursor still works for B (so the refusal above is about the organisation)
    res = rival.api.get(urlsplit(next_url).path, params={"cursor": cursor}, headers=basic(rival.owner))
    assert res.status_code == 200 and len(res.json()["data"]) == 1, res.text


def test_staff_of_a_are_strangers_to_b(settings: Settings, team: Team, rival: Team) -> None:
    """A role on A (even owner-like editor) gives nothing on B; a role on both gives each its own."""
    editor = unique_email("editor")
    res = team.api.post(f"{team.path}/staff", json={"email": editor, "role": "editor"},
                        headers={"Authorization": f"Bearer {team.owner}"})
    assert res.status_code == 201, res.text
    token = make_token(settings, editor)
    b_badge = issued(rival, rival.badge())
    _assert_credly_error(team.api.get(f"{org_path(rival)}/badges/{b_badge['id']}", headers=basic(token)), 404)
    _assert_credly_error(team.api.put(f"{org_path(rival)}/badges/{b_badge['id']}/revoke", json=SEED_REVOKE,
                                      headers=basic(token)), 404)
    assert team.api.get(f"{org_path(team)}/badges", headers=basic(token)).status_code == 200
    assert _b_state(rival, b_badge["id"])["state"] == "pending"
