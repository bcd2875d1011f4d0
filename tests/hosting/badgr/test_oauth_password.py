"""The password grant (Badgr's own clients log in this way) and tokens on /v1."""

from __future__ import annotations

from typing import Any

from _badgr_support import PASSWORD, bearer, make_client, make_user, password_token
from litestar.testing import TestClient

from hosting import Settings


def test_password_grant_answers_badgr_token_fields(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings)
    res = password_token(badgr, client_id, email.upper())  # emails compare case-insensitively
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["token_type"] == "Bearer"
    assert body["access_token"].startswith("oba_") and body["refresh_token"].startswith("obr_")
    assert body["expires_in"] == 86400
    assert body["scope"] == "rw:issuer rw:profile"
    assert res.headers["cache-control"] == "no-store"


def test_wrong_password_is_invalid_grant(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings)
    res = password_token(badgr, client_id, email, password=PASSWORD + "x")
    assert res.status_code == 400
    assert res.json()["error"] == "invalid_grant"
    res = password_token(badgr, client_id, "nobody@example.org")
    assert res.status_code == 400 and res.json()["error"] == "invalid_grant"


def test_unknown_client_and_unknown_scope_are_refused(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    assert password_token(badgr, "no-such-client", email).json()["error"] == "invalid_client"
    client_id, _ = make_client(badgr_settings)
    res = password_token(badgr, client_id, email, scope="rw:issuer rw:everything")
    assert res.status_code == 400 and res.json()["error"] == "invalid_scope"


def test_server_admin_scope_only_for_admin_users(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    client_id, _ = make_client(badgr_settings)
    plain = password_token(badgr, client_id, make_user(badgr_settings), scope="rw:issuer rw:serverAdmin").json()
    assert plain["scope"] == "rw:issuer"
    admin = password_token(badgr, client_id, make_user(badgr_settings, admin=True),
                           scope="rw:issuer rw:serverAdmin").json()
    assert admin["scope"] == "rw:issuer rw:serverAdmin"


def test_confidential_client_needs_its_secret(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, secret = make_client(badgr_settings, public=False)
    assert secret
    assert password_token(badgr, client_id, email).json()["error"] == "invalid_client"
    assert password_token(badgr, client_id, email, secret="wrong").json()["error"] == "invalid_client"
    assert password_token(badgr, client_id, email, secret=secret).status_code == 200
    basic = badgr.post("/o/token", data={"grant_type": "password", "username": email, "password": PASSWORD,
                                         "scope": "rw:issuer"}, auth=(client_id, secret))
    assert basic.status_code == 200, basic.text


def test_oauth_token_works_on_v1_with_mapped_scopes(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings)
    token = password_token(badgr, client_id, email).json()
    res = badgr.post("/v1/issuers", json={"name": "Via OAuth", "url": "https://x.example.org",
                                          "email": "x@example.org"}, headers=bearer(token))
    assert res.status_code == 201, res.text
    assert res.json()["issuer"]["role"] == "owner"
    assert badgr.get("/v1/issuers", headers=bearer(token)).json()["metadata"]["total_count"] == 1
    profile_only = password_token(badgr, client_id, email, scope="r:profile").json()
    res = badgr.get("/v1/issuers", headers=bearer(profile_only))
    assert res.status_code == 403 and "issuer:read" in res.json()["message"]


def test_a_client_gets_no_scope_it_is_not_registered_for(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings, admin=True)
    client_id, _ = make_client(badgr_settings, scopes="r:profile")
    token = password_token(badgr, client_id, email, scope="r:profile rw:issuer rw:serverAdmin").json()
    assert token["scope"] == "r:profile"
    assert badgr.get("/v2/issuers", headers=bearer(token)).status_code == 403
    assert badgr.get("/v1/issuers", headers=bearer(token)).status_code == 403
    narrow, _ = make_client(badgr_settings, scopes="rw:issuer")  # may ask for rw:issuer:<id>, nothing wider
    token = password_token(badgr, narrow, email, scope="rw:issuer:abcdefgh12 rw:profile").json()
    assert token["scope"] == "rw:issuer:abcdefgh12"


def test_malformed_token_requests_are_rfc6749_errors(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    res = badgr.post("/o/token", content=b'{"bad \\u00e9 json', headers={"content-type": "application/json"})
    assert res.status_code == 400 and res.json()["error"] == "invalid_request"
    assert badgr.post("/o/token", data={"grant_type": "nope"}).json()["error"] == "unsupported_grant_type"
    res = badgr.post("/o/token", data={"grant_type": "password", "username": "a" * 5000, "password": "p",
                                       "client_id": make_client(badgr_settings)[0]})
    assert res.status_code == 400 and res.json()["error"] == "invalid_grant"
