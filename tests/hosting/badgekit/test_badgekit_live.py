"""End to end on a real ``openbadges-server run`` (uvicorn, loopback, SQLite): a BadgeKit client signing its
requests over HTTP creates a system, a badge and an instance; the ``openbadges verify`` command accepts the
instance at its ``assertionUrl``, then reports it revoked once the client deleted the instance."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _badgekit_support import new_key, sign
from _hosting_live import LiveServer, live_server, openbadges_verify
from test_badgekit_auth_systems import PNG_DATA_URI

from hosting import Settings


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("badgekit-live")) as srv:
        yield srv


def _call(api: httpx.Client, key: tuple[str, str], method: str, path: str, body: Any = None) -> httpx.Response:
    content = json.dumps(body).encode() if body is not None else None
    headers = {"authorization": sign(*key, method, path, content)}
    if content is not None:
        headers["content-type"] = "application/json"
    return api.request(method, path, content=content, headers=headers)


def test_badgekit_instance_verifies_with_openbadges_verify_then_is_revoked(server: LiveServer) -> None:
    settings = Settings(database_url=server.database_url, base_url=server.base_url, secret_key=server.secret)
    key = new_key(settings, "master")
    with httpx.Client(base_url=server.base_url, timeout=30) as api:
        ping = _call(api, key, "GET", "/")
        assert ping.status_code == 200 and ping.json()["app"] == "BadgeKit API", ping.text
        res = _call(api, key, "POST", "/systems", {"slug": "live-system", "name": "Live System",
                                                   "url": "https://systemsite.example.org",
                                                   "email": "admin@systemsite.example.org"})
        assert res.status_code == 201, res.text
        res = _call(api, key, "POST", "/systems/live-system/badges", {
            "slug": "live-badge", "name": "Live Badge", "earnerDescription": "For earners.",
            "consumerDescription": "For consumers.", "type": "skill", "imageUrl": PNG_DATA_URI})
        assert res.status_code == 201, res.text
        res = _call(api, key, "POST", "/systems/live-system/badges/live-badge/instances",
                    {"email": "earner@example.org"})
        assert res.status_code == 201, res.text
        url = res.json()["instance"]["assertionUrl"]
        assert url.startswith(server.base_url)
        run = openbadges_verify(url)
        assert run.returncode == 0 and run.stdout.startswith("VALID"), run.stdout + run.stderr
        res = _call(api, key, "DELETE", "/systems/live-system/badges/live-badge/instances/earner@example.org")
        assert res.status_code == 200 and res.json()["status"] == "deleted", res.text
        assert api.get(url).status_code == 410
    run = openbadges_verify(url)
    assert run.returncode == 1 and "NOT VALID" in run.stdout and "revoked" in run.stdout.lower(), \
        run.stdout + run.stderr
