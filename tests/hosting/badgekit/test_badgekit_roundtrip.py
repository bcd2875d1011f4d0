"""Issue #16's acceptance, route by route: every BadgeKit write route at every level in all three body
encodings; a badge made here read through ``/v1`` (and the reverse, and updates each way) shows the same data;
``imageUrl`` given as an http(s) URL is fetched (safely: private addresses refused by default)."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from _api_support import bearer, make_token, new_issuer, unique_email
from _badgekit_support import BadgeKit, new_key
from _image_server import serve_files
from conftest import BASE_URL
from litestar.testing import TestClient
from test_badgekit_auth_systems import PNG, PNG_DATA_URI, _system
from test_badgekit_badges import _badge_body
from test_badgekit_hierarchy import make_issuer
from test_badgekit_levels import _tree

import openbadges_core as ob
from hosting import Settings, create_app


@pytest.fixture(scope="module")
def bk(api: TestClient[Any], settings: Settings) -> BadgeKit:
    name, secret = new_key(settings, f"master-{secrets.token_hex(3)}")
    return BadgeKit(api, name, secret)


def _send(bk: BadgeKit, method: str, path: str, encoding: str, fields: dict[str, Any],
          image: bool = False) -> Any:
    """``fields`` in one encoding (form values as text; multipart uploads the image as a file part)."""
    if encoding == "json":
        return bk.request(method, path, json_body={**fields, **({"imageUrl": PNG_DATA_URI} if image else {})})
    text = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in fields.items()}
    if encoding == "form":
        return bk.request(method, path, form={**text, **({"imageUrl": PNG_DATA_URI} if image else {})})
    return bk.request(method, path, form=text, files={"image": ("b.png", PNG, "image/png")} if image else {})


_SCALARS = ("name", "strapline", "earnerDescription", "consumerDescription", "issuerUrl", "rubricUrl",
            "criteriaUrl", "timeValue", "timeUnits", "limit", "unique", "type")


@pytest.mark.parametrize("encoding", ["json", "form", "multipart"])
@pytest.mark.parametrize("level", ["system", "issuer", "program"])
def test_every_write_route_in_every_encoding(bk: BadgeKit, level: str, encoding: str) -> None:
    paths = _tree(bk)
    base = paths[level]
    # the level itself: PUT with the form's `new-slug` (JSON: `slug`)
    renamed = f"renamed-{secrets.token_hex(3)}"
    res = _send(bk, "PUT", base, encoding, {("slug" if encoding == "json" else "new-slug"): renamed,
                                            "name": "Renamed Level", "description": "changed"})
    assert res.status_code == 200 and res.json()["status"] == "updated", res.text
    assert res.json()[level]["slug"] == renamed and res.json()[level]["name"] == "Renamed Level"
    base = base.rsplit("/", 1)[0] + "/" + renamed
    if level == "system":
        paths = {k: v.replace(paths["system"], base, 1) for k, v in paths.items()}
    # a badge: create (imageUrl as a data: URI, or the uploaded file), update with a rename, read back
    body = {k: v for k, v in _badge_body().items() if k not in ("criteria", "tags", "categories", "imageUrl")}
    res = _send(bk, "POST", f"{base}/badges", encoding, body, image=True)
    assert res.status_code == 201 and res.json()["status"] == "created", res.text
    badge = res.json()["badge"]
    assert {k: badge[k] for k in _SCALARS} == {k: body[k] for k in _SCALARS}
    new_slug = f"b-{secrets.token_hex(3)}"
    res = _send(bk, "PUT", f"{base}/badges/{badge['slug']}", encoding,
                {("slug" if encoding == "json" else "new-slug"): new_slug, "strapline": "Changed.",
                 "archived": False}, image=True)
    assert res.status_code == 200 and res.json()["status"] == "updated", res.text
    assert res.json()["badge"]["slug"] == new_slug and res.json()["badge"]["strapline"] == "Changed."
    badge_path = f"{base}/badges/{new_slug}"
    assert bk.get(badge_path).json()["badge"] == res.json()["badge"]
    # an instance, with every field the seed lists
    code = f"C{secrets.token_hex(5)}"
    assert _send(bk, "POST", f"{badge_path}/codes", encoding, {"code": code, "multiuse": True}).status_code == 201
    res = _send(bk, "POST", f"{badge_path}/instances", encoding, {
        "email": "earner@example.org", "claimCode": code, "slug": f"i-{encoding}",
        "issuedOn": "2014-05-21T19:22:09Z", "expires": "2031-01-01T00:00:00Z"})
    assert res.status_code == 201, res.text
    inst = res.json()["instance"]
    assert (inst["email"], inst["claimCode"], inst["slug"], inst["issuedOn"], inst["expires"]) == (
        "earner@example.org", code, f"i-{encoding}", "2014-05-21T19:22:09Z", "2031-01-01T00:00:00Z")
    # claim codes: a random one (no body), then claimed for another earner
    res = bk.post(f"{badge_path}/codes/random")
    assert res.status_code == 201, res.text
    random = res.json()["claimCode"]["code"]
    res = _send(bk, "POST", f"{badge_path}/codes/{random}/claim", encoding, {"email": "claimer@example.org"})
    assert res.status_code == 200, res.text
    assert res.json()["claimCode"] == {**res.json()["claimCode"], "claimed": True, "email": "claimer@example.org"}
    emails = sorted(i["email"] for i in bk.get(f"{badge_path}/instances").json()["instances"])
    assert emails == ["claimer@example.org", "earner@example.org"]
    # read by email (the badge's and the level's routes); a baked image carries it; deleting it revokes it
    assert bk.get(f"{badge_path}/instances/earner@example.org").json() == {"instance": inst}
    assert inst in bk.get(f"{base}/instances/earner@example.org").json()["instances"]
    hosted = bk.client.get(inst["assertionUrl"].removeprefix(BASE_URL))
    assert hosted.status_code == 200 and hosted.json()["id"] == inst["assertionUrl"]
    baked = bk.client.get(hosted.json()["image"].removeprefix(BASE_URL))
    assert baked.status_code == 200 and inst["assertionUrl"] in ob.unbake(baked.content).payload
    res = bk.delete(f"{badge_path}/instances/earner@example.org")
    assert res.status_code == 200 and res.json() == {"status": "deleted", "instance": inst}
    assert bk.client.get(inst["assertionUrl"].removeprefix(BASE_URL)).status_code == 410
    # a validation error is in BadgeKit's shape whatever the encoding
    res = _send(bk, "POST", f"{badge_path}/instances", encoding, {"email": "not-an-email"})
    assert res.status_code == 400 and res.json()["code"] == "ValidationError", res.text
    assert res.json()["details"][0]["field"] == "email"


# --- the same data through /v1 and through BadgeKit ---------------------------------------------------------

def _v1_view(v1: dict[str, Any]) -> dict[str, Any]:
    """A /v1 badge under BadgeKit's field names (the fields both show)."""
    return {
        **{k: v1[k] for k in (*_SCALARS[:-1], "type", "archived") if k != "criteriaUrl"},
        "slug": v1["slug"], "criteriaUrl": v1["criteria"]["url"], "imageUrl": v1["image"],
        "criteria": [{"description": c.get("description"), "required": bool(c.get("required")),
                      "note": c.get("note")} for c in v1["criteriaItems"]],
        "categories": v1["categories"], "tags": v1["tags"], "created": v1["createdAt"],
    }


def _bk_view(badge: dict[str, Any]) -> dict[str, Any]:
    out = {k: badge[k] for k in (*_SCALARS, "slug", "imageUrl", "archived", "categories", "tags", "created")}
    return {**out, "criteria": [{k: c[k] for k in ("description", "required", "note")} for c in badge["criteria"]]}


def test_a_badgekit_badge_reads_the_same_through_v1_both_ways(bk: BadgeKit, settings: Settings) -> None:
    system = _system(bk)
    admin = bearer(make_token(settings, unique_email("admin"), admin=True))
    res = bk.post(f"/systems/{system['slug']}/badges", json_body=_badge_body())
    assert res.status_code == 201, res.text
    badge = res.json()["badge"]
    v1_path = f"/v1/issuers/{system['slug']}/badges/{badge['slug']}"
    v1 = bk.client.get(v1_path, headers=admin).json()["badge"]
    assert _v1_view(v1) == _bk_view(badge)
    assert v1["description"] == badge["consumerDescription"]  # the OB description
    # changed through /v1, read through BadgeKit; and the reverse
    res = bk.client.patch(v1_path, headers=admin, json={
        "strapline": "From v1.", "tags": ["v1"], "categories": ["c1"], "limit": 9, "timeUnits": "hours",
        "criteriaItems": [{"description": "Do it.", "required": False, "note": "n"}]})
    assert res.status_code == 200, res.text
    after = bk.get(f"/systems/{system['slug']}/badges/{badge['slug']}").json()["badge"]
    assert _bk_view(after) == _v1_view(res.json()["badge"])
    assert (after["strapline"], after["tags"], after["limit"], after["timeUnits"]) == ("From v1.", ["v1"], 9,
                                                                                      "hours")
    res = bk.put(f"/systems/{system['slug']}/badges/{badge['slug']}", json_body={
        "earnerDescription": "From BadgeKit.", "unique": True, "archived": True})
    assert res.status_code == 200, res.text
    assert _v1_view(bk.client.get(v1_path, headers=admin).json()["badge"]) == _bk_view(res.json()["badge"])


def test_a_v1_badge_reads_the_same_through_badgekit(bk: BadgeKit, settings: Settings) -> None:
    owner = make_token(settings, unique_email("owner"))
    issuer = new_issuer(bk.client, owner)
    res = bk.client.post(f"/v1/issuers/{issuer['id']}/badges", headers=bearer(owner), json={
        "name": "Gold Star", "description": "For consumers.", "image": PNG_DATA_URI, "slug": "gold-star",
        "criteria": {"url": "https://issuer.example.org/criteria"}, "tags": ["shiny"], "categories": ["art"],
        "strapline": "Shine.", "earnerDescription": "For earners.", "consumerDescription": "For consumers.",
        "type": "skill", "issuerUrl": "https://issuer.example.org/", "rubricUrl": "https://issuer.example.org/r",
        "timeValue": 3, "timeUnits": "days", "limit": 2, "unique": True,
        "criteriaItems": [{"description": "Shine.", "required": True, "note": "brightly"}]})
    assert res.status_code == 201, res.text
    v1 = res.json()["badge"]
    got = bk.get(f"/systems/{issuer['slug']}/badges/gold-star")
    assert got.status_code == 200, got.text
    assert _bk_view(got.json()["badge"]) == _v1_view(v1)


# --- imageUrl as an http(s) URL -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def image_url() -> Iterator[str]:
    with serve_files({"/badge.png": (PNG, "image/png"), "/page.html": (b"<html></html>", "text/html")}) as base:
        yield base


@pytest.fixture(scope="module")
def open_bk(settings: Settings) -> Iterator[BadgeKit]:
    """The same database, image URLs on loopback allowed (``allow_private_image_urls``)."""
    relaxed = dataclasses.replace(settings, allow_private_image_urls=True)
    with TestClient(create_app(relaxed), base_url=BASE_URL) as client:
        name, secret = new_key(settings, f"master-{secrets.token_hex(3)}")
        yield BadgeKit(client, name, secret)


def test_image_url_is_fetched_for_badges_systems_and_issuers(open_bk: BadgeKit, image_url: str) -> None:
    system = _system(open_bk, imageUrl=f"{image_url}/badge.png")
    assert system["imageUrl"] and open_bk.client.get(system["imageUrl"]).content == PNG
    issuer = make_issuer(open_bk, system["slug"], imageUrl=f"{image_url}/badge.png")
    assert open_bk.client.get(issuer["imageUrl"]).content == PNG
    res = open_bk.post(f"/systems/{system['slug']}/badges", json_body=_badge_body(imageUrl=f"{image_url}/badge.png"))
    assert res.status_code == 201, res.text
    assert open_bk.client.get(res.json()["badge"]["imageUrl"]).content == PNG
    for bad in (f"{image_url}/page.html", f"{image_url}/missing.png"):
        res = open_bk.post(f"/systems/{system['slug']}/badges", json_body=_badge_body(imageUrl=bad))
        assert res.status_code == 400 and res.json()["code"] == "ValidationError", res.text


def test_private_image_url_refused_by_default(bk: BadgeKit, image_url: str) -> None:
    system = _system(bk)
    res = bk.post(f"/systems/{system['slug']}/badges", json_body=_badge_body(imageUrl=f"{image_url}/badge.png"))
    assert res.status_code == 400 and res.json()["code"] == "ValidationError", res.text
    assert bk.get(f"/systems/{system['slug']}/badges").json() == {"badges": []}
