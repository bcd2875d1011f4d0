"""A complete flow driven exactly as an existing Badgr client library drives Badgr (the request shapes of the
``badgrclient`` package on PyPI, re-created here): a form-encoded password login asking for its default scopes
``rw:profile rw:issuer rw:backpack``, an issuer without an image, a badge class through ``POST /v2/badgeclasses``
with the older ``criteria_text``/``criteria_url`` names and nulls for what it does not use, GET-then-PUT updates of
whole entities, an award with ``notify``, ``expires: null`` and Badgr's ``%Y-%m-%d %H:%M:%SZ`` issue date, a
refresh that sends its scope again, a DELETE revocation without a body, and the bulk revoke. The client treats any
response whose ``status.success`` is false (or any ``error``) as a failure, so every step checks that too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from _badgr_support import PASSWORD, PNG_DATA_URI, in_session, make_user
from litestar.testing import TestClient

from hosting import Settings
from hosting.oauth.accounts import create_client

BASE_URL = "http://testserver.local"
CLIENT_SCOPE = "rw:profile rw:issuer rw:backpack"  # the library's default


class BadgrLikeClient:
    """The calls of a Badgr client library: form-encoded ``/o/token``, JSON bodies with a bearer token."""

    def __init__(self, api: TestClient[Any], client_id: str) -> None:
        self.api, self.client_id = api, client_id
        self.access = self.refresh = ""

    def login(self, username: str, password: str) -> dict[str, Any]:
        return self._token({"username": username, "password": password, "grant_type": "password"})

    def refresh_login(self) -> dict[str, Any]:
        return self._token({"refresh_token": self.refresh, "grant_type": "refresh_token"})

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        res = self.api.post("/o/token", data={"client_id": self.client_id, "scope": CLIENT_SCOPE, **form})
        body: dict[str, Any] = res.json()
        assert res.status_code == 200 and "error" not in body, body
        self.access, self.refresh = body["access_token"], body["refresh_token"]
        return body

    def call(self, path: str, method: str = "GET", data: Any = None, params: dict[str, str] | None = None,
             status: int = 200) -> dict[str, Any]:
        res = self.api.request(method, path, params=params, json=data,
                               headers={"Authorization": f"Bearer {self.access}"})
        assert res.status_code == status, res.text
        body: dict[str, Any] = res.json()
        assert body["status"]["success"] is True and "error" not in body, body
        return body


def test_a_badgr_client_library_runs_its_whole_flow(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings, "library")
    client_id = "badgr-library"
    in_session(badgr_settings, lambda s: create_client(s, client_id, public=True))  # the defaults of the CLI
    client = BadgrLikeClient(badgr, client_id)
    token = client.login(email, PASSWORD)
    assert token["token_type"] == "Bearer" and token["expires_in"] > 0
    assert token["scope"].split() == ["rw:profile", "rw:issuer"]  # rw:backpack is not the client's: dropped

    issuer = client.call("/v2/issuers", "POST", {"name": "Library Faculty", "description": "Made by a client.",
                                                 "email": "faculty@example.org", "url": "https://example.org",
                                                 "image": None}, status=201)["result"][0]
    assert issuer["entityType"] == "Issuer" and issuer["image"] is None
    fetched = client.call(f"/v2/issuers/{issuer['entityId']}")["result"][0]
    client.call(f"/v2/issuers/{issuer['entityId']}", "PUT", {**fetched, "description": "Edited."})
    assert client.call(f"/v2/issuers/{issuer['entityId']}")["result"][0]["description"] == "Edited."

    badge = client.call("/v2/badgeclasses", "POST", {
        "name": "Library badge", "image": PNG_DATA_URI, "issuer": issuer["entityId"], "description": "d",
        "criteria_text": "Do the thing.", "criteria_url": None, "alignments": [], "tags": [], "expires": None},
        status=201)["result"][0]
    assert badge["entityType"] == "BadgeClass" and badge["issuer"] == issuer["entityId"]
    assert badge["criteriaNarrative"] == "Do the thing." and badge["criteriaUrl"] is None
    listed = client.call(f"/v2/issuers/{issuer['entityId']}/badgeclasses")["result"]
    assert [b["entityId"] for b in listed] == [badge["entityId"]]
    client.call(f"/v2/badgeclasses/{badge['entityId']}", "PUT", {**listed[0], "name": "Library badge 2"})
    assert client.call(f"/v2/badgeclasses/{badge['entityId']}")["result"][0]["name"] == "Library badge 2"

    def award(recipient: str) -> dict[str, Any]:
        return client.call(f"/v2/badgeclasses/{badge['entityId']}/assertions", "POST", {
            "recipient": {"type": "email", "identity": recipient}, "narrative": None, "evidence": [],
            "notify": True, "expires": None, "issuedOn": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")},
            status=201)["result"][0]

    first, second = award("First@Example.org"), award("second@example.org")
    assert first["entityType"] == "Assertion" and first["badgeclass"] == badge["entityId"]
    assert first["recipient"]["hashed"] is True and first["recipient"]["plaintextIdentity"] == "first@example.org"
    assert first["recipient"]["identity"].startswith("sha256$") and first["expires"] is None
    assert first["openBadgeId"] == f"{BASE_URL}/public/assertions/{first['entityId']}"
    assert badgr.get(first["openBadgeId"].removeprefix(BASE_URL)).status_code == 200
    for image in (first["image"], badge["image"]):  # what a client shows: served, as PNG
        got = badgr.get(image.removeprefix(BASE_URL))
        assert got.status_code == 200 and got.headers["content-type"] == "image/png", image
    mine = client.call(f"/v2/badgeclasses/{badge['entityId']}/assertions",
                       params={"recipient": "first@example.org"})["result"]
    assert [a["entityId"] for a in mine] == [first["entityId"]]
    everyone = client.call(f"/v2/issuers/{issuer['entityId']}/assertions")["result"]
    assert {a["entityId"] for a in everyone} == {first["entityId"], second["entityId"]}

    old_access = client.access
    client.refresh_login()  # the library refreshes once its token's expires_in has passed
    assert badgr.get("/v2/users/self", headers={"Authorization": f"Bearer {old_access}"}).status_code == 401
    assert client.call("/v2/users/self")["result"][0]["emails"][0]["email"] == email
    assert client.call("/v2/auth/tokens")["result"]

    fetched = client.call(f"/v2/assertions/{second['entityId']}")["result"][0]  # GET-then-PUT of the whole entity
    edited = client.call(f"/v2/assertions/{second['entityId']}", "PUT", {**fetched, "narrative": "Edited."})
    replaced, second = second, edited["result"][0]  # a replacement here (docs/compat-badgr.md)
    assert second["narrative"] == "Edited." and second["recipient"]["plaintextIdentity"] == "second@example.org"
    moved = badgr.get(replaced["openBadgeId"].removeprefix(BASE_URL), follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == second["openBadgeId"]

    revoked = client.call(f"/v2/assertions/{first['entityId']}", "DELETE")["result"][0]  # no body at all
    assert revoked["revoked"] is True and revoked["revocationReason"]
    assert badgr.get(first["openBadgeId"].removeprefix(BASE_URL)).status_code == 410
    bulk = client.call("/v2/assertions/revoke", "POST",
                       [{"entityId": second["entityId"], "revocationReason": "Revoked by the library"}])["result"]
    assert bulk == [{"entityId": second["entityId"], "revoked": True, "revocationReason": "Revoked by the library"}]
    assert client.call(f"/v2/issuers/{issuer['entityId']}/assertions")["result"] == []  # revoked: hidden
    shown = client.call(f"/v2/issuers/{issuer['entityId']}/assertions", params={"include_revoked": "true"})
    assert {a["entityId"] for a in shown["result"]} >= {first["entityId"], second["entityId"]}
    assert all(a["revoked"] for a in shown["result"])
