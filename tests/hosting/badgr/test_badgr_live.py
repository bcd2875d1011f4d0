"""End to end on a real ``openbadges-server run`` (uvicorn, loopback): a Badgr client logs in over HTTP, issues
through /v2, and the ``openbadges verify`` command accepts the assertion at its openBadgeId, then reports it
revoked after the client's DELETE."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from _badgr_support import PASSWORD, PNG_DATA_URI, in_session
from _hosting_live import LiveServer, live_server, openbadges_verify

from hosting import Settings
from hosting.oauth.accounts import create_client, create_user


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("badgr-live")) as srv:
        yield srv


def test_badgr_client_issues_and_openbadges_verify_accepts_then_sees_the_revocation(server: LiveServer) -> None:
    settings = Settings(database_url=server.database_url, base_url=server.base_url, secret_key=server.secret)
    in_session(settings, lambda s: create_user(s, "live@example.org", PASSWORD))
    in_session(settings, lambda s: create_client(s, "badgr-live", public=True))
    with httpx.Client(base_url=server.base_url, timeout=30) as api:
        # plain http is fine on a loopback host (RFC 8252), without OPENBADGES_OAUTH_ALLOW_HTTP
        res = api.post("/o/token", data={"grant_type": "password", "client_id": "badgr-live",
                                         "username": "live@example.org", "password": PASSWORD,
                                         "scope": "rw:issuer rw:profile"})
        assert res.status_code == 200, res.text
        h = {"Authorization": f"Bearer {res.json()['access_token']}"}
        issuer = api.post("/v2/issuers", headers=h, json={"name": "Live", "email": "live@example.org",
                                                          "url": "https://example.org"}).json()["result"][0]
        badge = api.post("/v2/badgeclasses", headers=h, json={
            "issuer": issuer["entityId"], "name": "Live badge", "description": "d", "image": PNG_DATA_URI,
            "criteriaNarrative": "Do it."}).json()["result"][0]
        res = api.post(f"/v2/badgeclasses/{badge['entityId']}/assertions", headers=h,
                       json={"recipient": {"identity": "earner@example.org", "type": "email", "hashed": True}})
        assert res.status_code == 201, res.text
        assertion = res.json()["result"][0]
        run = openbadges_verify(assertion["openBadgeId"])
        assert run.returncode == 0 and run.stdout.startswith("VALID"), run.stdout + run.stderr
        res = api.request("DELETE", f"/v2/assertions/{assertion['entityId']}", headers=h,
                          json={"revocation_reason": "issued in error"})
        assert res.status_code == 200, res.text
        assert api.get(assertion["openBadgeId"]).status_code == 410
    run = openbadges_verify(assertion["openBadgeId"])
    assert run.returncode == 1 and "NOT VALID" in run.stdout, run.stdout + run.stderr
