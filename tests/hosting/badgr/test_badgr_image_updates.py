"""An ``image`` URL on a Badgr update (issuer PUT/PATCH, badge class PUT) is fetched and stored as on create: the
entity's image is the new artwork afterwards (it was silently ignored). Its own image URL echoed back keeps it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from _badgr_support import OTHER_PNG, PNG_DATA_URI, bearer, login, make_user
from _image_server import serve_files
from litestar.testing import TestClient

from hosting import Settings, create_app

BASE_URL = "http://testserver.local"


@pytest.fixture(scope="module")
def open_badgr(badgr_settings: Settings) -> Iterator[TestClient[Any]]:
    """The Badgr test database, with image URLs on loopback allowed (``allow_private_image_urls``)."""
    relaxed = dataclasses.replace(badgr_settings, allow_private_image_urls=True)
    with TestClient(create_app(relaxed), base_url=BASE_URL) as c:
        yield c


@pytest.fixture(scope="module")
def image_url() -> Iterator[str]:
    with serve_files({"/other.png": (OTHER_PNG, "image/png")}) as base:
        yield f"{base}/other.png"


def _image(api: TestClient[Any], entity: dict[str, Any]) -> bytes:
    res = api.get(entity["image"].removeprefix(BASE_URL))
    assert res.status_code == 200, res.text
    return res.content


def _made(api: TestClient[Any], settings: Settings) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    h = bearer(login(api, settings, make_user(settings, "owner")))
    res = api.post("/v2/issuers", headers=h, json={"name": "Img", "email": "i@example.org", "url": "https://example.org",
                                                   "description": "d", "image": PNG_DATA_URI})
    assert res.status_code == 201, res.text
    issuer = res.json()["result"][0]
    res = api.post(f"/v2/issuers/{issuer['entityId']}/badgeclasses", headers=h, json={
        "name": "B", "description": "d", "image": PNG_DATA_URI, "criteriaNarrative": "c"})
    assert res.status_code == 201, res.text
    return issuer, res.json()["result"][0], h


@pytest.mark.parametrize("method", ["put", "patch"])
def test_issuer_update_with_an_image_url_stores_the_fetched_image(open_badgr: TestClient[Any],
                                                                  badgr_settings: Settings, image_url: str,
                                                                  method: str) -> None:
    issuer, _, h = _made(open_badgr, badgr_settings)
    assert _image(open_badgr, issuer) != OTHER_PNG
    same = getattr(open_badgr, method)(f"/v2/issuers/{issuer['entityId']}", headers=h, json=issuer)  # echoed back
    assert same.status_code == 200, same.text
    assert _image(open_badgr, issuer) != OTHER_PNG
    res = getattr(open_badgr, method)(f"/v2/issuers/{issuer['entityId']}", headers=h,
                                      json={**issuer, "image": image_url})
    assert res.status_code == 200, res.text
    assert _image(open_badgr, res.json()["result"][0]) == OTHER_PNG
    public = open_badgr.get(f"/public/issuers/{issuer['entityId']}").json()["image"]
    assert open_badgr.get(public.removeprefix(BASE_URL)).content == OTHER_PNG


def test_badge_class_put_with_an_image_url_stores_the_fetched_image(open_badgr: TestClient[Any],
                                                                    badgr_settings: Settings, image_url: str) -> None:
    _, badge, h = _made(open_badgr, badgr_settings)
    path = f"/v2/badgeclasses/{badge['entityId']}"
    assert open_badgr.put(path, headers=h, json=badge).status_code == 200  # its own URL: kept
    assert _image(open_badgr, badge) != OTHER_PNG
    res = open_badgr.put(path, headers=h, json={**badge, "image": image_url})
    assert res.status_code == 200, res.text
    assert _image(open_badgr, res.json()["result"][0]) == OTHER_PNG


def test_an_image_that_is_not_a_url_or_data_uri_is_a_field_error_on_update(open_badgr: TestClient[Any],
                                                                          badgr_settings: Settings) -> None:
    issuer, badge, h = _made(open_badgr, badgr_settings)
    for path, body in ((f"/v2/issuers/{issuer['entityId']}", issuer), (f"/v2/badgeclasses/{badge['entityId']}", badge)):
        res = open_badgr.put(path, headers=h, json={**body, "image": 42})
        assert res.status_code == 400 and "image" in res.json()["fieldErrors"], res.text
