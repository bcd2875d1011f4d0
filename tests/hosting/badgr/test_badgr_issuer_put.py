"""Badgr v2 issuer PUT takes the whole issuer, as its body is specified: ``name``, ``email``, ``url`` and
``description`` required (``image`` optional), a missing one a 400 in Badgr's envelope naming it, nothing changed;
PATCH changes the fields given."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from _badgr_support import PNG_DATA_URI, bearer, login, make_user
from litestar.testing import TestClient

from hosting import Settings

WHOLE = {"name": "Credentials Faculty", "email": "faculty@example.org", "url": "https://example.org",
         "description": "This is the faculty."}


def _issuer(api: TestClient[Any], settings: Settings) -> tuple[dict[str, Any], dict[str, str]]:
    token = login(api, settings, make_user(settings, "owner"))
    res = api.post("/v2/issuers", headers=bearer(token), json={**WHOLE, "image": PNG_DATA_URI})
    assert res.status_code == 201, res.text
    issuer: dict[str, Any] = res.json()["result"][0]
    return issuer, bearer(token)


def _paths(issuer: dict[str, Any]) -> list[str]:
    b64 = base64.urlsafe_b64encode(issuer["openBadgeId"].encode()).decode()
    return [f"/v2/issuers/{issuer['entityId']}", f"/v2/issuers/openBadgeId/{b64}", f"/v2/issuers/ref/{b64}"]


@pytest.mark.parametrize("missing", sorted(WHOLE))
def test_put_without_a_required_field_is_a_badgr_400_and_changes_nothing(
        badgr: TestClient[Any], badgr_settings: Settings, missing: str) -> None:
    issuer, headers = _issuer(badgr, badgr_settings)
    partial = {k: v for k, v in {**WHOLE, "name": "Renamed", "description": "Changed."}.items() if k != missing}
    for path in _paths(issuer):
        res = badgr.put(path, headers=headers, json=partial)
        assert res.status_code == 400, (path, res.text)
        body = res.json()
        assert body["status"]["success"] is False and body["result"] == []
        assert list(body["fieldErrors"]) == [missing] and body["fieldErrors"][missing], body
    shown = badgr.get(_paths(issuer)[0], headers=headers).json()["result"][0]
    assert (shown["name"], shown["description"]) == (WHOLE["name"], WHOLE["description"])


def test_put_with_null_or_empty_required_fields_is_refused(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    issuer, headers = _issuer(badgr, badgr_settings)
    res = badgr.put(_paths(issuer)[0], headers=headers, json={**WHOLE, "description": None, "name": " "})
    assert res.status_code == 400 and set(res.json()["fieldErrors"]) == {"description", "name"}, res.text


def test_put_with_the_whole_issuer_replaces_it_and_patch_takes_a_part(badgr: TestClient[Any],
                                                                       badgr_settings: Settings) -> None:
    issuer, headers = _issuer(badgr, badgr_settings)
    whole = {"name": "Renamed", "email": "new@example.org", "url": "https://new.example.org",
             "description": "New text.", "badgrDomain": "badgr.example.org"}  # badgrDomain: optional, not kept
    res = badgr.put(_paths(issuer)[1], headers=headers, json=whole)
    assert res.status_code == 200, res.text
    shown = res.json()["result"][0]
    assert {k: shown[k] for k in WHOLE} == {k: whole[k] for k in WHOLE}
    assert shown["image"] == issuer["image"]  # image is optional: absent, the issuer keeps its own
    res = badgr.patch(_paths(issuer)[0], headers=headers, json={"description": "Only this."})
    assert res.status_code == 200, res.text
    assert res.json()["result"][0]["description"] == "Only this." and res.json()["result"][0]["name"] == "Renamed"
