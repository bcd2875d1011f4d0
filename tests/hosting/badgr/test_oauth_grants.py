"""Refresh rotation, the authorization-code grant with PKCE and its consent page (CSRF), client credentials,
revocation, and expired tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from _badgr_support import (
    PASSWORD,
    REDIRECT,
    approve,
    authorize_page,
    bearer,
    hidden_fields,
    in_session,
    make_client,
    make_user,
    password_token,
    pkce_pair,
)
from litestar.testing import TestClient
from sqlalchemy import update

from hosting import Settings
from hosting.oauth.accounts import hash_secret
from hosting.storage.models import OAuthCode, OAuthToken, utcnow


def _refresh(api: TestClient[Any], client_id: str, refresh_token: str) -> Any:
    return api.post("/o/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                                      "client_id": client_id})


def test_refresh_rotates_and_reuse_revokes_the_family(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings)
    first = password_token(badgr, client_id, email).json()
    second = _refresh(badgr, client_id, first["refresh_token"])
    assert second.status_code == 200, second.text
    second_body = second.json()
    assert second_body["refresh_token"] != first["refresh_token"]
    assert second_body["scope"] == first["scope"]
    assert badgr.get("/v2/users/self", headers=bearer(first)).status_code == 401  # the old access token ends
    assert badgr.get("/v2/users/self", headers=bearer(second_body)).status_code == 200
    replay = _refresh(badgr, client_id, first["refresh_token"])  # the old refresh token again
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # ... which revoked everything of that login, including the legitimate newer tokens
    assert badgr.get("/v2/users/self", headers=bearer(second_body)).status_code == 401
    assert _refresh(badgr, client_id, second_body["refresh_token"]).status_code == 400


def test_refresh_cannot_widen_the_scope_nor_cross_clients(badgr: TestClient[Any],
                                                          badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings)
    other_client, _ = make_client(badgr_settings)
    token = password_token(badgr, client_id, email, scope="r:profile").json()
    wide = badgr.post("/o/token", data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"],
                                        "client_id": client_id, "scope": "r:profile rw:issuer"})
    assert wide.status_code == 400 and wide.json()["error"] == "invalid_scope"
    assert _refresh(badgr, other_client, token["refresh_token"]).json()["error"] == "invalid_grant"
    assert _refresh(badgr, client_id, token["refresh_token"]).status_code == 200  # not burnt by the refusals


def test_refresh_with_the_logins_requested_scope_drops_what_was_never_grantable(badgr: TestClient[Any],
                                                                               badgr_settings: Settings) -> None:
    # Badgr clients send the scope they asked for at login again on every refresh; scopes the client is not
    # registered for, and rw:serverAdmin for a non-admin, were dropped at login and are dropped again.
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings, scopes="rw:issuer rw:profile rw:serverAdmin")
    asked = "rw:profile rw:issuer rw:backpack rw:serverAdmin"
    token = password_token(badgr, client_id, email, scope=asked).json()
    assert token["scope"] == "rw:profile rw:issuer"
    again = badgr.post("/o/token", data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"],
                                         "client_id": client_id, "scope": asked})
    assert again.status_code == 200, again.text
    assert again.json()["scope"] == "rw:profile rw:issuer"  # still no admin scope, nothing new
    for scope in ("rw:backpack", "rw:serverAdmin"):  # nothing grantable left: refused, not an empty token
        res = badgr.post("/o/token", data={"grant_type": "refresh_token", "client_id": client_id, "scope": scope,
                                           "refresh_token": again.json()["refresh_token"]})
        assert res.status_code == 400 and res.json()["error"] == "invalid_scope"
    narrow = password_token(badgr, client_id, email, scope="rw:profile rw:backpack").json()
    assert narrow["scope"] == "rw:profile"
    wide = badgr.post("/o/token", data={"grant_type": "refresh_token", "refresh_token": narrow["refresh_token"],
                                        "client_id": client_id, "scope": "rw:profile rw:backpack rw:issuer"})
    assert wide.status_code == 400 and wide.json()["error"] == "invalid_scope"  # registered, never granted


def test_authorization_code_with_pkce(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings, grants=("authorization_code", "refresh_token"))
    verifier, challenge = pkce_pair()
    page = authorize_page(badgr, client_id, challenge)
    assert page.status_code == 200, page.text
    assert "rw:issuer" in page.text and "<script" not in page.text
    csp = page.headers["content-security-policy"]
    assert "form-action 'self' https://client.example.org;" in csp and "frame-ancestors 'none'" in csp
    wrong = approve(badgr, page, email, password="nope")
    assert wrong.status_code == 401 and "wrong email or password" in wrong.text
    answer = approve(badgr, page, email)
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    code = query["code"][0]
    res = badgr.post("/o/token", data={"grant_type": "authorization_code", "code": code, "client_id": client_id,
                                       "redirect_uri": REDIRECT, "code_verifier": verifier})
    assert res.status_code == 200, res.text
    token = res.json()
    assert token["scope"] == "rw:issuer r:profile" and token["refresh_token"]
    assert badgr.get("/v2/users/self", headers=bearer(token)).json()["result"][0]["emails"][0]["email"] == email
    again = badgr.post("/o/token", data={"grant_type": "authorization_code", "code": code, "client_id": client_id,
                                         "redirect_uri": REDIRECT, "code_verifier": verifier})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"  # single use
    # ... and the replay revoked what the first exchange gave (RFC 6749 4.1.2)
    assert badgr.get("/v2/users/self", headers=bearer(token)).status_code == 401
    assert _refresh(badgr, client_id, token["refresh_token"]).status_code == 400


def test_a_code_presented_by_another_client_is_refused_and_stays_usable(badgr: TestClient[Any],
                                                                         badgr_settings: Settings) -> None:
    # A hostile (registered, authenticated) client that learnt another client's code, even with its verifier,
    # gets invalid_grant; the code is not burnt, and its later replays revoke nothing of the rightful client's.
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings, grants=("authorization_code", "refresh_token"))
    hostile, hostile_secret = make_client(badgr_settings, public=False, grants=("authorization_code",))
    assert hostile_secret
    verifier, challenge = pkce_pair()
    code = parse_qs(urlsplit(approve(badgr, authorize_page(badgr, client_id, challenge), email)
                             .headers["location"]).query)["code"][0]
    stolen = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    for attempt in ({**stolen, "client_id": hostile, "client_secret": hostile_secret},
                    {**stolen, "client_id": hostile, "client_secret": hostile_secret}):  # twice: no replay either
        res = badgr.post("/o/token", data=attempt)
        assert res.status_code == 400 and res.json()["error"] == "invalid_grant", res.text
    res = badgr.post("/o/token", data={**stolen, "client_id": client_id})
    assert res.status_code == 200, res.text
    token = res.json()
    res = badgr.post("/o/token", data={**stolen, "client_id": hostile, "client_secret": hostile_secret})
    assert res.status_code == 400 and res.json()["error"] == "invalid_grant"
    assert badgr.get("/v2/users/self", headers=bearer(token)).status_code == 200  # not revoked by the hostile try
    assert _refresh(badgr, client_id, token["refresh_token"]).status_code == 200


def test_pkce_failure_and_missing_verifier(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings, grants=("authorization_code",))
    for verifier in ("x" * 50, None):
        _, challenge = pkce_pair()
        page = authorize_page(badgr, client_id, challenge)
        code = parse_qs(urlsplit(approve(badgr, page, email).headers["location"]).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "client_id": client_id, "redirect_uri": REDIRECT}
        if verifier:
            form["code_verifier"] = verifier
        res = badgr.post("/o/token", data=form)
        assert res.status_code == 400
        assert res.json()["error"] == ("invalid_grant" if verifier else "invalid_request")


def test_plain_pkce_and_no_pkce_are_refused_for_public_clients(badgr: TestClient[Any],
                                                                badgr_settings: Settings) -> None:
    client_id, _ = make_client(badgr_settings, grants=("authorization_code",))
    plain = badgr.get("/o/authorize", params={"response_type": "code", "client_id": client_id,
                                              "redirect_uri": REDIRECT, "code_challenge": "a" * 43,
                                              "code_challenge_method": "plain"})
    assert plain.status_code == 400 and "code_challenge_method" in plain.text


def test_wrong_redirect_uri_is_refused_without_redirecting(badgr: TestClient[Any],
                                                            badgr_settings: Settings) -> None:
    client_id, _ = make_client(badgr_settings, grants=("authorization_code",))
    _, challenge = pkce_pair()
    for uri in ("https://evil.example.org/callback", REDIRECT + "/more", REDIRECT + "?x=1"):
        page = authorize_page(badgr, client_id, challenge, redirect_uri=uri)
        assert page.status_code == 400 and "location" not in page.headers
        assert "redirect" in page.text.lower()


def test_code_exchange_with_another_redirect_uri_fails(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    other = "https://client.example.org/other"
    client_id, _ = make_client(badgr_settings, grants=("authorization_code",), redirect_uris=(REDIRECT, other))
    verifier, challenge = pkce_pair()
    code = parse_qs(urlsplit(approve(badgr, authorize_page(badgr, client_id, challenge), email)
                             .headers["location"]).query)["code"][0]
    res = badgr.post("/o/token", data={"grant_type": "authorization_code", "code": code, "client_id": client_id,
                                       "redirect_uri": other, "code_verifier": verifier})
    assert res.status_code == 400 and res.json()["error"] == "invalid_grant"


def test_consent_form_needs_the_csrf_token(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings, grants=("authorization_code",))
    _, challenge = pkce_pair()
    page = authorize_page(badgr, client_id, challenge)
    fields = hidden_fields(page.text)
    forged = {**fields, "_csrf_token": "forged", "username": email, "password": PASSWORD, "decision": "approve"}
    res = badgr.post("/o/authorize", data=forged, follow_redirects=False)
    assert res.status_code == 403 and "location" not in res.headers
    del forged["_csrf_token"]
    assert badgr.post("/o/authorize", data=forged, follow_redirects=False).status_code == 403
    # a cross-site form post has the field but not the victim's cookie
    fresh = TestClient(badgr.app, base_url=str(badgr.base_url))
    with fresh:
        res = fresh.post("/o/authorize", data={**fields, "username": email, "password": PASSWORD,
                                               "decision": "approve"}, follow_redirects=False)
    assert res.status_code == 403


def test_denying_consent_redirects_with_access_denied(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    client_id, _ = make_client(badgr_settings, grants=("authorization_code",))
    _, challenge = pkce_pair()
    res = approve(badgr, authorize_page(badgr, client_id, challenge), "", password="", decision="deny")
    assert res.status_code == 302
    assert parse_qs(urlsplit(res.headers["location"]).query)["error"] == ["access_denied"]


def test_client_credentials_act_for_the_clients_user(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, secret = make_client(badgr_settings, public=False, grants=("client_credentials",), user=email)
    assert secret
    res = badgr.post("/o/token", data={"grant_type": "client_credentials", "scope": "rw:issuer r:profile"},
                     auth=(client_id, secret))
    assert res.status_code == 200, res.text
    token = res.json()
    assert "refresh_token" not in token and token["scope"] == "rw:issuer r:profile"
    me = badgr.get("/v2/users/self", headers=bearer(token)).json()
    assert me["result"][0]["emails"][0]["email"] == email
    bad = badgr.post("/o/token", data={"grant_type": "client_credentials"}, auth=(client_id, "wrong"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    password_client, _ = make_client(badgr_settings)  # not registered for this grant
    res = badgr.post("/o/token", data={"grant_type": "client_credentials", "client_id": password_client})
    assert res.status_code in (400, 401)


def test_revocation_ends_access_and_refresh(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings)
    token = password_token(badgr, client_id, email).json()
    assert badgr.get("/v2/users/self", headers=bearer(token)).status_code == 200
    res = badgr.post("/o/revoke_token/", data={"token": token["access_token"], "client_id": client_id})
    assert res.status_code == 200, res.text
    res = badgr.get("/v2/users/self", headers=bearer(token))
    assert res.status_code == 401 and res.json()["status"]["success"] is False
    assert badgr.get("/v1/issuers", headers=bearer(token)).status_code == 401
    # revoking the refresh token ends what is left of the login
    res = badgr.post("/o/revoke_token", data={"token": token["refresh_token"], "client_id": client_id,
                                              "token_type_hint": "refresh_token"})
    assert res.status_code == 200
    assert _refresh(badgr, client_id, token["refresh_token"]).status_code == 400


def test_another_client_cannot_revoke_a_token(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings)
    other, _ = make_client(badgr_settings)
    token = password_token(badgr, client_id, email).json()
    badgr.post("/o/revoke_token", data={"token": token["access_token"], "client_id": other})
    assert badgr.get("/v2/users/self", headers=bearer(token)).status_code == 200


def test_expired_access_token_is_refused(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings)
    token = password_token(badgr, client_id, email).json()

    async def _expire(session: Any) -> None:
        await session.execute(update(OAuthToken).where(OAuthToken.access_hash == hash_secret(token["access_token"]))
                              .values(expires_at=utcnow() - timedelta(seconds=1)))

    in_session(badgr_settings, _expire)
    res = badgr.get("/v2/users/self", headers=bearer(token))
    assert res.status_code == 401 and "expired" in res.json()["status"]["description"]
    assert badgr.get("/v1/issuers", headers=bearer(token)).status_code == 401
    assert _refresh(badgr, client_id, token["refresh_token"]).status_code == 200  # the refresh token still works


def test_expired_refresh_tokens_and_codes_and_other_clients_codes_are_refused(badgr: TestClient[Any],
                                                                              badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings, grants=("password", "authorization_code", "refresh_token"))
    token = password_token(badgr, client_id, email).json()

    async def _expire_refresh(session: Any) -> None:
        await session.execute(update(OAuthToken).where(OAuthToken.refresh_hash == hash_secret(token["refresh_token"]))
                              .values(refresh_expires_at=utcnow() - timedelta(seconds=1)))

    in_session(badgr_settings, _expire_refresh)
    res = _refresh(badgr, client_id, token["refresh_token"])
    assert res.status_code == 400 and res.json()["error"] == "invalid_grant"

    def code_for(challenge: str) -> str:
        page = authorize_page(badgr, client_id, challenge)
        return parse_qs(urlsplit(approve(badgr, page, email).headers["location"]).query)["code"][0]

    verifier, challenge = pkce_pair()
    code = code_for(challenge)

    async def _expire_code(session: Any) -> None:
        await session.execute(update(OAuthCode).where(OAuthCode.code_hash == hash_secret(code))
                              .values(expires_at=utcnow() - timedelta(seconds=1)))

    in_session(badgr_settings, _expire_code)
    form = {"grant_type": "authorization_code", "client_id": client_id, "redirect_uri": REDIRECT,
            "code_verifier": verifier}
    res = badgr.post("/o/token", data={**form, "code": code})
    assert res.status_code == 400 and res.json()["error"] == "invalid_grant"
    other, _ = make_client(badgr_settings, grants=("authorization_code",))
    verifier, challenge = pkce_pair()
    stolen = code_for(challenge)
    res = badgr.post("/o/token", data={**form, "client_id": other, "code": stolen, "code_verifier": verifier})
    assert res.status_code == 400 and res.json()["error"] == "invalid_grant"  # a code is its own client's only
    # Django-based Badgr serves the token endpoint with a trailing slash too
    res = badgr.post("/o/token/", data={"grant_type": "password", "client_id": client_id, "username": email,
                                        "password": PASSWORD, "scope": "r:profile"})
    assert res.status_code == 200 and res.json()["scope"] == "r:profile"
