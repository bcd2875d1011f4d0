"""Issuer API images: multipart upload, data: URI, http(s) URL (SSRF-safe fetch), removal, and the public
Issuer Profile publishing the image — on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from hosting import Settings, create_app
from hosting.app.demo import DEMO_SVG, demo_png

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer, new_issuer, unique_slug
from _image_server import serve_files
from conftest import BASE_URL

PNG = demo_png(size=16)
PNG_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()
SVG_URI = "data:image/svg+xml;base64," + base64.b64encode(DEMO_SVG).decode()


@pytest.fixture(scope="session")
def open_api(settings: Settings) -> Iterator[TestClient[Any]]:
    """The same database, with image URLs on loopback allowed (``allow_private_image_urls``)."""
    relaxed = dataclasses.replace(settings, allow_private_image_urls=True, max_image_bytes=64 * 1024)
    with TestClient(create_app(relaxed), base_url=BASE_URL) as c:
        yield c


@pytest.fixture(scope="module")
def image_server() -> Iterator[str]:
    """A loopback HTTP server: /badge.png, /badge.svg, /big.png (too large), /page.html, /missing (404)."""
    with serve_files({"/badge.png": (PNG, "image/png"), "/badge.svg": (DEMO_SVG, "image/svg+xml"),
                      "/big.png": (PNG + b"\0" * (128 * 1024), "image/png"),
                      "/page.html": (b"<html></html>", "text/html")}) as base:
        yield base


def _issuer_body(**fields: Any) -> dict[str, Any]:
    return {"name": "Image Issuer", "url": "https://issuer.example.org", "email": "badges@issuer.example.org",
            "slug": unique_slug(), **fields}


def _public_image(api: TestClient[Any], issuer: dict[str, Any]) -> bytes:
    """The image the public Issuer Profile names (and the profile must name the API's image URL)."""
    profile = api.get(f"/public/issuers/{issuer['id']}").json()
    assert profile["image"] == issuer["image"] == f"{BASE_URL}/public/issuers/{issuer['id']}/image"
    res = api.get(profile["image"].removeprefix(BASE_URL))
    assert res.status_code == 200
    return res.content


def _field_error(res: Any, field: str = "image") -> str:
    assert res.status_code == 400, res.text
    body = res.json()
    assert body["code"] == "ValidationError"
    messages = [d["message"] for d in body["details"] if d["field"] == field]
    assert messages, body
    return messages[0]


def test_multipart_upload_creates_issuer_with_image(api: TestClient[Any], owner: str) -> None:
    body = _issuer_body()
    res = api.post("/v1/issuers", data=body, files={"image": ("logo.png", PNG, "image/png")},
                   headers=bearer(owner))
    assert res.status_code == 201, res.text
    issuer = res.json()["issuer"]
    assert issuer["name"] == "Image Issuer" and issuer["slug"] == body["slug"]
    assert _public_image(api, issuer) == PNG


def test_data_uri_svg_and_png(api: TestClient[Any], owner: str) -> None:
    issuer = new_issuer(api, owner, image=SVG_URI)
    assert _public_image(api, issuer) == DEMO_SVG
    assert api.get(f"/public/issuers/{issuer['id']}/image").headers["content-type"].startswith("image/svg+xml")
    res = api.patch(f"/v1/issuers/{issuer['id']}", json={"image": PNG_URI}, headers=bearer(owner))
    assert res.status_code == 200, res.text
    assert _public_image(api, res.json()["issuer"]) == PNG


def test_issuer_without_image_has_null_and_profile_has_none(api: TestClient[Any], owner: str) -> None:
    issuer = new_issuer(api, owner)
    assert issuer["image"] is None
    assert "image" not in api.get(f"/public/issuers/{issuer['id']}").json()


@pytest.mark.parametrize("empty", [None, ""])
def test_null_or_empty_removes_image(api: TestClient[Any], owner: str, empty: str | None) -> None:
    issuer = new_issuer(api, owner, image=PNG_URI)
    assert _public_image(api, issuer) == PNG
    res = api.put(f"/v1/issuers/{issuer['id']}", json={"image": empty}, headers=bearer(owner))
    assert res.status_code == 200 and res.json()["issuer"]["image"] is None
    assert "image" not in api.get(f"/public/issuers/{issuer['id']}").json()
    assert api.get(f"/public/issuers/{issuer['id']}/image").status_code == 404


def test_echoed_image_url_keeps_the_image(api: TestClient[Any], owner: str) -> None:
    issuer = new_issuer(api, owner, image=PNG_URI)
    got = api.get(f"/v1/issuers/{issuer['id']}", headers=bearer(owner)).json()["issuer"]
    res = api.put(f"/v1/issuers/{issuer['id']}", json={**got, "name": "Renamed"}, headers=bearer(owner))
    assert res.status_code == 200, res.text
    assert res.json()["issuer"]["name"] == "Renamed"
    assert _public_image(api, res.json()["issuer"]) == PNG


@pytest.mark.parametrize(("image", "expected"), [
    ("data:image/png;base64,!!!", "base64"),
    ("data:text/plain;base64,aGVsbG8=", "media type"),
    ("data:image/png;base64", "comma"),
    ("data:image/png;base64," + base64.b64encode(b"hello").decode(), "PNG or an SVG"),
    ("data:image/svg+xml,%3Csvg%3E%3Cg%3E", "malformed SVG"),
    ("data:image/svg+xml," + '<!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>', "unsafe"),
    ("ftp://example.org/logo.png", "http(s) URL"),
    (42, "data: URI"),
])
def test_bad_image_values_are_400(api: TestClient[Any], owner: str, image: Any, expected: str) -> None:
    res = api.post("/v1/issuers", json=_issuer_body(image=image), headers=bearer(owner))
    assert expected in _field_error(res)


def test_non_image_upload_is_400(api: TestClient[Any], owner: str) -> None:
    res = api.post("/v1/issuers", data=_issuer_body(), files={"image": ("x.png", b"GIF89a....", "image/png")},
                   headers=bearer(owner))
    assert "PNG or an SVG" in _field_error(res)


def test_oversize_upload_is_400(open_api: TestClient[Any], owner: str) -> None:
    big = PNG + b"\0" * (64 * 1024)
    res = open_api.post("/v1/issuers", data=_issuer_body(), files={"image": ("big.png", big, "image/png")},
                        headers=bearer(owner))
    assert "larger than 65536 bytes" in _field_error(res)


def test_image_url_is_fetched(open_api: TestClient[Any], owner: str, image_server: str) -> None:
    issuer = new_issuer(open_api, owner, image=f"{image_server}/badge.png")
    assert _public_image(open_api, issuer) == PNG
    res = open_api.patch(f"/v1/issuers/{issuer['id']}", json={"image": f"{image_server}/badge.svg"},
                         headers=bearer(owner))
    assert res.status_code == 200, res.text
    assert _public_image(open_api, res.json()["issuer"]) == DEMO_SVG


@pytest.mark.parametrize(("path", "expected"), [
    ("/big.png", "bytes"),  # more than max_image_bytes: cut off while streaming
    ("/page.html", "PNG or an SVG"),
    ("/missing", "HTTP 404"),
])
def test_bad_image_urls_are_400(open_api: TestClient[Any], owner: str, image_server: str, path: str,
                                expected: str) -> None:
    res = open_api.post("/v1/issuers", json=_issuer_body(image=image_server + path), headers=bearer(owner))
    assert expected in _field_error(res)


def test_unreachable_url_is_400(open_api: TestClient[Any], owner: str) -> None:
    import socket
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = open_api.post("/v1/issuers", json=_issuer_body(image=f"http://127.0.0.1:{port}/x.png"),
                        headers=bearer(owner))
    assert "cannot fetch" in _field_error(res)


def test_private_url_refused_by_default(api: TestClient[Any], owner: str, image_server: str) -> None:
    res = api.post("/v1/issuers", json=_issuer_body(image=f"{image_server}/badge.png"), headers=bearer(owner))
    assert "non-public address" in _field_error(res)


def test_failed_image_leaves_issuer_unchanged(api: TestClient[Any], owner: str) -> None:
    issuer = new_issuer(api, owner, image=PNG_URI)
    res = api.patch(f"/v1/issuers/{issuer['id']}", json={"name": "Changed", "image": "data:image/png;base64,!"},
                    headers=bearer(owner))
    _field_error(res)
    got = api.get(f"/v1/issuers/{issuer['id']}", headers=bearer(owner)).json()["issuer"]
    assert got["name"] == issuer["name"] != "Changed" and _public_image(api, got) == PNG


def test_malformed_multipart_is_400(api: TestClient[Any], owner: str) -> None:
    res = api.post("/v1/issuers", content=b"--xyz\r\nnot a part", headers={
        **bearer(owner), "Content-Type": "multipart/form-data"})
    assert res.status_code == 400 and res.json()["code"] == "ValidationError"
