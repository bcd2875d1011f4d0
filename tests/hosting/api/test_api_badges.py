"""Issuer API: badge classes (``/v1/issuers/{issuer}/badges``), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from hosting import Settings, create_app
from hosting.storage.models import BadgeClass, Issuer, StoredImage
from openbadges_core import ob2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer, make_token, new_issuer, serving, unique_email
from _badge_support import PNG, PNG_DATA_URI, SVG_DATA_URI, badge_body, new_badge
from conftest import BASE_URL, run_store

from hosting.app.demo import DEMO_SVG


@pytest.fixture
def issuer(api: TestClient[Any], owner: str) -> dict[str, Any]:
    return new_issuer(api, owner)


def _url(issuer: dict[str, Any], badge: str | None = None) -> str:
    return f"/v1/issuers/{issuer['id']}/badges" + (f"/{badge}" if badge else "")


def _issue(settings: Settings, badge_id: str, n: int = 1) -> list[str]:
    """Issue ``n`` assertions of the badge class through the store; their public ids."""

    async def _go(store: Any) -> list[str]:
        badge = await store.session.scalar(select(BadgeClass).where(BadgeClass.public_id == badge_id))
        return [(await store.issue(badge, recipient=f"earner{i}@example.org")).public_id for i in range(n)]

    return run_store(settings, _go)


def _grant(settings: Settings, issuer: dict[str, Any], role: str) -> str:
    """A token for a new user holding ``role`` on ``issuer``."""
    from hosting.storage.models import StaffRole

    email = unique_email(role)

    async def _go(store: Any) -> None:
        iid = await store.session.scalar(select(Issuer.id).where(Issuer.public_id == issuer["id"]))
        store.session.add(StaffRole(issuer_id=iid, email=email, role=role))

    run_store(settings, _go)
    return make_token(settings, email)


# --- create and read ---------------------------------------------------------------------------------------

def test_create_minimal_badge_serves_a_valid_public_badgeclass(api: TestClient[Any], owner: str,
                                                              issuer: dict[str, Any]) -> None:
    res = api.post(_url(issuer), json=badge_body(), headers=bearer(owner))
    assert res.status_code == 201, res.text
    assert res.json()["status"] == "created"
    badge = res.json()["badge"]
    assert badge["slug"] == "gold-star" and badge["issuer"] == issuer["id"]
    assert badge["name"] == "Gold Star" and badge["description"] == "For shining."
    assert badge["criteria"] == {"url": None, "narrative": "Shine."}
    assert badge["archived"] is False and badge["unique"] is False and badge["assertionCount"] == 0
    assert badge["publicUrl"] == f"{BASE_URL}/public/badges/{badge['id']}"
    assert badge["createdAt"].endswith("Z") and badge["updatedAt"].endswith("Z")
    public = api.get(f"/public/badges/{badge['id']}")
    assert public.status_code == 200
    doc = public.json()
    assert ob2.document_issues(doc, kind="BadgeClass") == []
    assert doc["id"] == badge["publicUrl"] and doc["name"] == "Gold Star"
    assert doc["issuer"] == issuer["publicUrl"] and doc["criteria"] == {"narrative": "Shine."}
    image = api.get(badge["image"].removeprefix(BASE_URL))
    assert image.status_code == 200 and image.content == PNG
    assert image.headers["content-type"].startswith("image/png")


def test_create_with_every_field_round_trips(api: TestClient[Any], owner: str, issuer: dict[str, Any]) -> None:
    alignment = [{"targetName": "Math", "targetUrl": "https://standards.example/math", "targetDescription": "d",
                  "targetFramework": "CCSS", "targetCode": "M.1"}]
    fields = {"slug": "full-badge", "criteria": {"url": "https://crit.example/c", "narrative": "Do it."},
              "tags": ["a", "b", "a"], "alignment": alignment, "strapline": "Short", "earnerDescription": "E",
              "consumerDescription": "C", "type": "Skill", "issuerUrl": "https://issuer.example/b",
              "rubricUrl": "https://issuer.example/r", "timeValue": 3, "timeUnits": "hours", "limit": 5,
              "unique": True, "criteriaItems": [{"description": "One", "required": False, "note": "n"},
                                                {"description": "Two"}],
              "categories": ["science"], "achievementType": "Certificate", "imageAltText": "A star",
              "image": SVG_DATA_URI}
    created = new_badge(api, owner, issuer["id"], **fields)
    got = api.get(_url(issuer, created["id"]), headers=bearer(owner)).json()["badge"]
    assert got == created
    assert got["tags"] == ["a", "b"]  # duplicates dropped, order kept
    assert got["criteria"] == {"url": "https://crit.example/c", "narrative": "Do it."}
    assert got["criteriaItems"] == [{"description": "One", "required": False, "note": "n"},
                                    {"description": "Two", "required": True, "note": None}]
    for key in ("strapline", "earnerDescription", "consumerDescription", "type", "issuerUrl", "rubricUrl",
                "timeValue", "timeUnits", "limit", "unique", "categories", "achievementType", "imageAltText",
                "alignment"):
        assert got[key] == fields[key], key
    doc = api.get(f"/public/badges/{created['id']}").json()
    assert ob2.document_issues(doc, kind="BadgeClass") == []
    assert doc["tags"] == ["a", "b"] and doc["alignment"] == alignment
    assert doc["criteria"] == {"id": "https://crit.example/c", "narrative": "Do it."}
    assert api.get(f"/public/badges/{created['id']}/image").content == DEMO_SVG


def test_badge_is_addressed_by_id_or_slug(api: TestClient[Any], owner: str, issuer: dict[str, Any]) -> None:
    badge = new_badge(api, owner, issuer["id"], slug="by-slug")
    for ref in (badge["id"], "by-slug"):
        assert api.get(f"/v1/issuers/{issuer['slug']}/badges/{ref}", headers=bearer(owner)).json()["badge"] == badge
    for ref in ("no-such-badge", "x" * 300, "%00", "BAD SLUG"):
        res = api.get(_url(issuer, ref), headers=bearer(owner))
        assert res.status_code == 404 and res.json()["code"] == "ResourceNotFound", ref


def test_criteria_url_alone_and_badgekit_criteria_forms(api: TestClient[Any], owner: str,
                                                        issuer: dict[str, Any]) -> None:
    body = {k: v for k, v in badge_body(criteriaUrl="https://crit.example/x").items() if k != "criteria"}
    res = api.post(_url(issuer), json=body, headers=bearer(owner))
    assert res.status_code == 201, res.text
    assert res.json()["badge"]["criteria"] == {"url": "https://crit.example/x", "narrative": None}
    by_id = new_badge(api, owner, issuer["id"], criteria={"id": "https://crit.example/y"})
    assert by_id["criteria"]["url"] == "https://crit.example/y"
    items = new_badge(api, owner, issuer["id"], criteria=[{"description": "Attend"}],
                      criteriaNarrative="Attend the course.")
    assert items["criteriaItems"] == [{"description": "Attend", "required": True, "note": None}]
    assert items["criteria"] == {"url": None, "narrative": "Attend the course."}
    assert api.get(f"/public/badges/{items['id']}").json()["criteria"] == {"narrative": "Attend the course."}


# --- validation ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "field"), [
    ({"name": None}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 256}, "name"),
    ({"name": 5}, "name"),
    ({"description": None}, "description"),
    ({"description": "   "}, "description"),
    ({"image": None}, "image"),
    ({"criteria": None}, "criteria"),
    ({"criteria": {}}, "criteria"),
    ({"criteria": "narrative"}, "criteria"),
    ({"criteria": {"url": "ftp://x.example/c"}}, "criteria.url"),
    ({"criteria": {"url": "https://x.example/<c>"}}, "criteria.url"),  # refused by the library's IRI rule
    ({"criteria": {"url": "https://a.example", "id": "https://b.example"}}, "criteria.id"),
    ({"criteria": {"narrative": "x", "extra": 1}}, "criteria.extra"),
    ({"criteria": {"narrative": 7}}, "criteria.narrative"),
    ({"criteriaUrl": "https://x.example"}, "criteriaUrl"),  # given twice: criteria.url and criteriaUrl
    ({"criteria": {"url": "https://x.example"}, "criteriaUrl": "https://y.example"}, "criteriaUrl"),
    ({"criteria": [{"description": "d"}], "criteriaItems": []}, "criteria"),
    ({"criteriaItems": [{"required": True}]}, "criteriaItems[0].description"),
    ({"criteriaItems": [{"description": "d", "required": "yes"}]}, "criteriaItems[0].required"),
    ({"criteriaItems": [{"description": "d", "bogus": 1}]}, "criteriaItems[0].bogus"),
    ({"criteriaItems": ["d"]}, "criteriaItems[0]"),
    ({"criteriaItems": {"description": "d"}}, "criteriaItems"),
    ({"tags": "a,b"}, "tags"),
    ({"tags": ["ok", 1]}, "tags[1]"),
    ({"tags": [""]}, "tags[0]"),
    ({"tags": ["t"] * 51}, "tags"),
    ({"categories": [None]}, "categories[0]"),
    ({"alignment": [{"targetName": "x"}]}, "alignment[0].targetUrl"),
    ({"alignment": [{"targetUrl": "https://a.example"}]}, "alignment[0].targetName"),
    ({"alignment": [{"targetName": "x", "targetUrl": "nope"}]}, "alignment[0].targetUrl"),
    ({"alignment": [{"targetName": "x", "targetUrl": "https://a.example/{x}"}]}, "alignment[0].targetUrl"),
    ({"alignment": [{"targetName": "x", "targetUrl": "https://a.example", "targetCode": 5}]},
     "alignment[0].targetCode"),
    ({"alignment": [{"targetName": "x", "targetUrl": "https://a.example", "other": "y"}]}, "alignment[0].other"),
    ({"alignment": {"targetName": "x"}}, "alignment"),
    ({"slug": "Bad Slug"}, "slug"),
    ({"slug": "x" * 51}, "slug"),
    ({"strapline": "x" * 141}, "strapline"),
    ({"earnerDescription": ["x"]}, "earnerDescription"),
    ({"consumerDescription": "x\x00y"}, "consumerDescription"),
    ({"type": "x" * 256}, "type"),
    ({"issuerUrl": "javascript:alert(1)"}, "issuerUrl"),
    ({"rubricUrl": "/relative"}, "rubricUrl"),
    ({"timeValue": -1, "timeUnits": "hours"}, "timeValue"),
    ({"timeValue": "3", "timeUnits": "hours"}, "timeValue"),  # JSON: a string is not an integer
    ({"timeValue": 1.5, "timeUnits": "hours"}, "timeValue"),
    ({"timeValue": 3}, "timeUnits"),
    ({"timeUnits": "hours"}, "timeValue"),
    ({"timeValue": 3, "timeUnits": "fortnights"}, "timeUnits"),
    ({"limit": 0}, "limit"),
    ({"limit": True}, "limit"),
    ({"limit": 2**31}, "limit"),
    ({"unique": "true"}, "unique"),
    ({"archived": 1}, "archived"),
    ({"achievementType": "x" * 256}, "achievementType"),
    ({"imageAltText": "x" * 1025}, "imageAltText"),
    ({"image": "data:image/png;base64,!!!"}, "image"),
    ({"image": "data:text/plain;base64,aGVsbG8="}, "image"),
    ({"bogus": 1}, "bogus"),
])
def test_invalid_fields_are_400_with_details(api: TestClient[Any], owner: str, issuer: dict[str, Any],
                                             fields: dict[str, Any], field: str) -> None:
    body = badge_body(**fields)
    if "criteriaUrl" in fields and "criteria" not in fields:
        body["criteria"] = {"url": "https://x.example/c"}
    res = api.post(_url(issuer), json=body, headers=bearer(owner))
    assert res.status_code == 400, res.text
    assert res.json()["code"] == "ValidationError"
    assert field in [d["field"] for d in res.json()["details"]], res.json()
    assert all(set(d) >= {"field", "message", "value"} for d in res.json()["details"])
    listed = api.get(_url(issuer) + "?archived=any", headers=bearer(owner)).json()
    assert listed["metadata"]["total_count"] == 0  # nothing was stored


def test_missing_required_fields_are_all_reported(api: TestClient[Any], owner: str,
                                                  issuer: dict[str, Any]) -> None:
    res = api.post(_url(issuer), json={}, headers=bearer(owner))
    assert res.status_code == 400
    fields = {d["field"] for d in res.json()["details"]}
    assert fields >= {"name", "description", "image", "criteria"}


@pytest.mark.parametrize("raw", [b"{", b"[1]", b"\xff\xfe"])
def test_malformed_body_is_400(api: TestClient[Any], owner: str, issuer: dict[str, Any], raw: bytes) -> None:
    res = api.post(_url(issuer), content=raw, headers={**bearer(owner), "content-type": "application/json"})
    assert res.status_code == 400 and res.json()["code"] == "ValidationError"


def test_read_only_fields_are_ignored_on_input(api: TestClient[Any], owner: str, issuer: dict[str, Any]) -> None:
    badge = new_badge(api, owner, issuer["id"])
    echoed = {**badge, "name": "Renamed", "id": "other", "assertionCount": 99}
    res = api.put(_url(issuer, badge["id"]), json=echoed, headers=bearer(owner))
    assert res.status_code == 200, res.text
    got = res.json()["badge"]
    assert got["name"] == "Renamed" and got["id"] == badge["id"] and got["assertionCount"] == 0
    assert api.get(got["image"].removeprefix(BASE_URL)).content == PNG  # the echoed image URL kept the image


# --- slugs -------------------------------------------------------------------------------------------------

def test_derived_slugs_pick_a_free_variant(api: TestClient[Any], owner: str, issuer: dict[str, Any]) -> None:
    slugs = [new_badge(api, owner, issuer["id"], name="Gold Star!")["slug"] for _ in range(3)]
    assert slugs == ["gold-star", "gold-star-2", "gold-star-3"]
    assert new_badge(api, owner, issuer["id"], name="日本")["slug"] == "badge"
    long_name = "word " * 20
    first, second = (new_badge(api, owner, issuer["id"], name=long_name)["slug"] for _ in range(2))
    assert len(first) <= 50 and len(second) <= 50 and second.endswith("-2") and first != second


def test_concurrent_creates_with_one_name_get_distinct_slugs(api: TestClient[Any], settings: Settings, owner: str,
                                                              issuer: dict[str, Any],
                                                              request: pytest.FixtureRequest) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def create(_: int) -> Any:
        return api.post(_url(issuer), json=badge_body(name="Race Badge"), headers=bearer(owner))

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(create, range(6)))
    assert [r.status_code for r in results] == [201] * 6, [r.text for r in results]
    slugs = sorted(r.json()["badge"]["slug"] for r in results)
    assert len(set(slugs)) == 6 and all(s.startswith("race-badge") for s in slugs)


def test_slug_is_unique_per_issuer_only(api: TestClient[Any], owner: str, issuer: dict[str, Any]) -> None:
    new_badge(api, owner, issuer["id"], slug="shared")
    res = api.post(_url(issuer), json=badge_body(slug="shared"), headers=bearer(owner))
    assert res.status_code == 409 and res.json()["code"] == "ResourceConflict"
    assert res.json()["details"][0]["field"] == "slug"
    other = new_issuer(api, owner)
    assert new_badge(api, owner, other["id"], slug="shared")["slug"] == "shared"


def test_slug_can_be_changed_but_not_to_a_taken_one(api: TestClient[Any], owner: str,
                                                    issuer: dict[str, Any]) -> None:
    a = new_badge(api, owner, issuer["id"], slug="first")
    new_badge(api, owner, issuer["id"], slug="second")
    res = api.patch(_url(issuer, a["id"]), json={"slug": "second"}, headers=bearer(owner))
    assert res.status_code == 409
    res = api.patch(_url(issuer, "first"), json={"slug": "renamed"}, headers=bearer(owner))
    assert res.status_code == 200 and res.json()["badge"]["slug"] == "renamed"
    assert api.get(_url(issuer, "first"), headers=bearer(owner)).status_code == 404
    assert api.get(_url(issuer, "renamed"), headers=bearer(owner)).json()["badge"]["id"] == a["id"]
    assert api.patch(_url(issuer, "renamed"), json={"slug": "renamed"}, headers=bearer(owner)).status_code == 200


# --- listing -----------------------------------------------------------------------------------------------

def test_archived_filter(api: TestClient[Any], owner: str, issuer: dict[str, Any]) -> None:
    live = new_badge(api, owner, issuer["id"], slug="live")
    old = new_badge(api, owner, issuer["id"], slug="old")
    res = api.patch(_url(issuer, "old"), json={"archived": True}, headers=bearer(owner))
    assert res.status_code == 200 and res.json()["badge"]["archived"] is True

    def ids(query: str) -> list[str]:
        res = api.get(_url(issuer) + query, headers=bearer(owner))
        assert res.status_code == 200, res.text
        return [b["id"] for b in res.json()["badges"]]

    assert ids("") == ids("?archived=false") == [live["id"]]
    assert ids("?archived=true") == [old["id"]]
    assert ids("?archived=any") == [live["id"], old["id"]]
    res = api.get(_url(issuer) + "?archived=maybe", headers=bearer(owner))
    assert res.status_code == 400 and res.json()["details"][0]["field"] == "archived"


def test_list_pages_and_counts_assertions(api: TestClient[Any], settings: Settings, owner: str,
                                          issuer: dict[str, Any]) -> None:
    made = [new_badge(api, owner, issuer["id"], slug=f"b{i}") for i in range(5)]
    _issue(settings, made[1]["id"], 2)
    _issue(settings, made[3]["id"], 1)
    res = api.get(_url(issuer) + "?per_page=2&page=1", headers=bearer(owner)).json()
    assert [b["slug"] for b in res["badges"]] == ["b0", "b1"]
    assert [b["assertionCount"] for b in res["badges"]] == [0, 2]
    meta = res["metadata"]
    assert meta["count"] == 2 and meta["total_count"] == 5 and meta["total_pages"] == 3
    assert meta["previous_page_url"] is None and "page=2" in meta["next_page_url"]
    last = api.get(_url(issuer) + "?per_page=2&page=3", headers=bearer(owner)).json()
    assert [b["slug"] for b in last["badges"]] == ["b4"] and last["metadata"]["next_page_url"] is None
    page2 = api.get(meta["next_page_url"].removeprefix(BASE_URL), headers=bearer(owner)).json()
    assert [b["assertionCount"] for b in page2["badges"]] == [0, 1]
    assert api.get(_url(issuer, "b1"), headers=bearer(owner)).json()["badge"]["assertionCount"] == 2
    assert api.get(_url(issuer) + "?per_page=101", headers=bearer(owner)).status_code == 400


def test_list_query_count_does_not_grow_with_the_page(api: TestClient[Any], settings: Settings, owner: str,
                                                      issuer: dict[str, Any]) -> None:
    for i in range(8):
        new_badge(api, owner, issuer["id"], slug=f"q{i}")
    statements: list[str] = []

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def queries(per_page: int) -> int:
        statements.clear()
        event.listen(Engine, "before_cursor_execute", _count)
        try:
            res = api.get(_url(issuer) + f"?per_page={per_page}", headers=bearer(owner))
        finally:
            event.remove(Engine, "before_cursor_execute", _count)
        assert res.status_code == 200 and len(res.json()["badges"]) == per_page
        return len(statements)

    assert queries(2) == queries(8)


# --- updates -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_update_changes_only_given_fields_and_the_public_document(api: TestClient[Any], owner: str,
                                                                  issuer: dict[str, Any], method: str) -> None:
    badge = new_badge(api, owner, issuer["id"], criteria={"url": "https://crit.example/c", "narrative": "Old"},
                      tags=["t"], strapline="S", limit=3)
    before = api.get(f"/public/badges/{badge['id']}")
    assert before.json()["name"] == "Gold Star"
    res = api.request(method, _url(issuer, badge["id"]), headers=bearer(owner),
                      json={"name": "Platinum Star", "criteria": {"narrative": "New"}, "strapline": None})
    assert res.status_code == 200, res.text
    assert res.json()["status"] == "updated"
    got = res.json()["badge"]
    assert got["name"] == "Platinum Star" and got["strapline"] is None
    assert got["criteria"] == {"url": "https://crit.example/c", "narrative": "New"}
    assert got["description"] == badge["description"] and got["tags"] == ["t"] and got["limit"] == 3
    assert got["slug"] == badge["slug"]
    after = api.get(f"/public/badges/{badge['id']}")
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    doc = after.json()
    assert doc["name"] == "Platinum Star"
    assert doc["criteria"] == {"id": "https://crit.example/c", "narrative": "New"}
    assert ob2.document_issues(doc, kind="BadgeClass") == []


def test_update_with_invalid_field_changes_nothing(api: TestClient[Any], owner: str,
                                                   issuer: dict[str, Any]) -> None:
    badge = new_badge(api, owner, issuer["id"], criteria={"url": "https://crit.example/c"})
    for body in ({"name": "New", "limit": 0}, {"criteria": {"url": None}}, {"criteriaUrl": ""},
                 {"timeValue": 2}, {"alignment": [{"targetName": "x", "targetUrl": "https://a.example/<x>"}]}):
        res = api.patch(_url(issuer, badge["id"]), json=body, headers=bearer(owner))
        assert res.status_code == 400, (body, res.text)
    assert api.get(_url(issuer, badge["id"]), headers=bearer(owner)).json()["badge"] == badge
    assert api.get(f"/public/badges/{badge['id']}").json()["name"] == "Gold Star"


def test_update_clears_and_sets_optional_fields(api: TestClient[Any], owner: str, issuer: dict[str, Any]) -> None:
    badge = new_badge(api, owner, issuer["id"], criteria={"url": "https://crit.example/c", "narrative": "N"},
                      tags=["a"], alignment=[{"targetName": "x", "targetUrl": "https://a.example"}],
                      timeValue=1, timeUnits="days", limit=2)
    res = api.patch(_url(issuer, badge["id"]), headers=bearer(owner), json={
        "criteriaNarrative": None, "tags": [], "alignment": None, "timeValue": None, "timeUnits": None,
        "limit": None, "unique": True})
    got = res.json()["badge"]
    assert got["criteria"] == {"url": "https://crit.example/c", "narrative": None}
    assert got["tags"] == [] and got["alignment"] == [] and got["limit"] is None and got["unique"] is True
    assert got["timeValue"] is None and got["timeUnits"] is None
    doc = api.get(f"/public/badges/{badge['id']}").json()
    assert "tags" not in doc and "alignment" not in doc and doc["criteria"] == {"id": "https://crit.example/c"}


def test_update_replaces_the_image(api: TestClient[Any], settings: Settings, owner: str,
                                   issuer: dict[str, Any]) -> None:
    badge = new_badge(api, owner, issuer["id"])
    (assertion_id,) = _issue(settings, badge["id"])
    assert api.get(f"/public/assertions/{assertion_id}/image").headers["content-type"].startswith("image/png")
    res = api.patch(_url(issuer, badge["id"]), json={"image": SVG_DATA_URI}, headers=bearer(owner))
    assert res.status_code == 200, res.text
    assert api.get(f"/public/badges/{badge['id']}/image").content == DEMO_SVG
    baked = api.get(f"/public/assertions/{assertion_id}/image")  # re-baked from the new artwork
    assert baked.status_code == 200 and baked.headers["content-type"].startswith("image/svg")

    async def _images(store: Any) -> int:
        return len((await store.session.scalars(select(StoredImage.id).where(
            StoredImage.id.in_(select(BadgeClass.image_id).where(BadgeClass.public_id == badge["id"]))))).all())

    assert run_store(settings, _images) == 1


# --- delete and archive ------------------------------------------------------------------------------------

def test_delete_badge_without_assertions(api: TestClient[Any], settings: Settings, owner: str,
                                         issuer: dict[str, Any]) -> None:
    badge = new_badge(api, owner, issuer["id"], slug="doomed")
    assert api.get(f"/public/badges/{badge['id']}").status_code == 200
    res = api.delete(_url(issuer, "doomed"), headers=bearer(owner))
    assert res.status_code == 200 and res.json()["status"] == "deleted" and res.json()["badge"]["id"] == badge["id"]
    assert api.get(_url(issuer, badge["id"]), headers=bearer(owner)).status_code == 404
    assert api.get(f"/public/badges/{badge['id']}").status_code == 404
    assert api.get(f"/public/badges/{badge['id']}/image").status_code == 404

    async def _stored_images(store: Any) -> int:
        rows = await store.session.scalars(select(StoredImage.id).where(StoredImage.data == PNG))
        return len(rows.all())

    before = run_store(settings, _stored_images)
    new_badge(api, owner, issuer["id"], slug="doomed")  # the slug is free again
    assert api.delete(_url(issuer, "doomed"), headers=bearer(owner)).status_code == 200
    assert run_store(settings, _stored_images) == before  # its image went with it


def test_badge_with_assertions_cannot_be_deleted_but_can_be_archived(api: TestClient[Any], settings: Settings,
                                                                     owner: str, issuer: dict[str, Any]) -> None:
    badge = new_badge(api, owner, issuer["id"])
    assertion_ids = _issue(settings, badge["id"], 2)
    res = api.delete(_url(issuer, badge["id"]), headers=bearer(owner))
    assert res.status_code == 409 and res.json()["code"] == "ResourceConflict"
    assert res.json()["details"][0] == {"resource": "assertions", "field": "assertions",
                                        "message": "assertions exist", "value": 2}
    res = api.patch(_url(issuer, badge["id"]), json={"archived": True}, headers=bearer(owner))
    assert res.status_code == 200 and res.json()["badge"]["archived"] is True
    assert res.json()["badge"]["assertionCount"] == 2
    assert api.get(f"/public/badges/{badge['id']}").status_code == 200  # archived: still served
    for assertion_id in assertion_ids:
        assert api.get(f"/public/assertions/{assertion_id}").status_code == 200
    unarchived = api.patch(_url(issuer, badge["id"]), json={"archived": False}, headers=bearer(owner))
    assert unarchived.json()["badge"]["archived"] is False


# --- roles and scopes --------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["owner", "editor"])
def test_owner_and_editor_write(api: TestClient[Any], settings: Settings, owner: str, issuer: dict[str, Any],
                                role: str) -> None:
    token = _grant(settings, issuer, role)
    badge = new_badge(api, token, issuer["id"])
    assert api.patch(_url(issuer, badge["id"]), json={"name": "N"}, headers=bearer(token)).status_code == 200
    assert api.delete(_url(issuer, badge["id"]), headers=bearer(token)).status_code == 200


def test_staff_reads_but_cannot_write(api: TestClient[Any], settings: Settings, owner: str,
                                      issuer: dict[str, Any]) -> None:
    badge = new_badge(api, owner, issuer["id"])
    staff = _grant(settings, issuer, "staff")
    assert api.get(_url(issuer), headers=bearer(staff)).json()["badges"][0]["id"] == badge["id"]
    assert api.get(_url(issuer, badge["id"]), headers=bearer(staff)).status_code == 200
    for method, path, body in (("POST", _url(issuer), badge_body()),
                               ("PUT", _url(issuer, badge["id"]), {"name": "N"}),
                               ("PATCH", _url(issuer, badge["id"]), {"archived": True}),
                               ("DELETE", _url(issuer, badge["id"]), None)):
        res = api.request(method, path, json=body, headers=bearer(staff))
        assert res.status_code == 403 and res.json()["code"] == "Forbidden", method
    assert api.get(_url(issuer, badge["id"]), headers=bearer(owner)).json()["badge"] == badge


def test_staff_of_issuer_a_gets_404_on_issuer_b_badges(api: TestClient[Any], settings: Settings,
                                                       issuer: dict[str, Any]) -> None:
    staff_a = _grant(settings, issuer, "staff")
    owner_b = make_token(settings, unique_email("bob"))
    b = new_issuer(api, owner_b)
    badge = new_badge(api, owner_b, b["id"])
    for method, path in (("GET", _url(b)), ("POST", _url(b)), ("GET", _url(b, badge["id"])),
                         ("PUT", _url(b, badge["id"])), ("PATCH", _url(b, badge["id"])),
                         ("DELETE", _url(b, badge["id"]))):
        res = api.request(method, path, headers=bearer(staff_a),
                          json=badge_body() if method in ("POST", "PUT", "PATCH") else None)
        assert res.status_code == 404 and res.json()["code"] == "ResourceNotFound", (method, path)
    # a badge of issuer B is not found under issuer A either
    owner_a = _grant(settings, issuer, "owner")
    assert api.get(_url(issuer, badge["id"]), headers=bearer(owner_a)).status_code == 404


def test_scopes(api: TestClient[Any], settings: Settings, owner: str, issuer: dict[str, Any]) -> None:
    badge = new_badge(api, owner, issuer["id"])
    email = unique_email("scoped")
    from hosting.storage.models import StaffRole

    async def _owner(store: Any) -> None:
        iid = await store.session.scalar(select(Issuer.id).where(Issuer.public_id == issuer["id"]))
        store.session.add(StaffRole(issuer_id=iid, email=email, role="owner"))

    run_store(settings, _owner)
    read_only = make_token(settings, email, scopes=["issuer:read"])
    write_only = make_token(settings, email, scopes=["issuer:write"])
    assert api.get(_url(issuer, badge["id"]), headers=bearer(read_only)).status_code == 200
    assert api.post(_url(issuer), json=badge_body(), headers=bearer(read_only)).status_code == 403
    assert api.patch(_url(issuer, badge["id"]), json={"name": "n"}, headers=bearer(read_only)).status_code == 403
    assert api.get(_url(issuer), headers=bearer(write_only)).status_code == 403
    assert api.post(_url(issuer), json=badge_body(), headers=bearer(write_only)).status_code == 201
    assert api.get(_url(issuer)).status_code == 401


# --- images and form bodies -------------------------------------------------------------------------------------------

def test_form_encoded_create_coerces_strings(api: TestClient[Any], owner: str, issuer: dict[str, Any]) -> None:
    alignment = [{"targetName": "x", "targetUrl": "https://a.example"}]
    res = api.post(_url(issuer), headers=bearer(owner), data={
        "name": "Form Badge", "description": "d", "image": PNG_DATA_URI, "criteriaUrl": "https://c.example",
        "criteriaNarrative": "n", "unique": "true", "archived": "0", "limit": "3", "timeValue": "2",
        "timeUnits": "hours", "tags": "a, b,,c", "categories": '["x", "y"]', "alignment": json.dumps(alignment),
        "criteriaItems": json.dumps([{"description": "one", "required": "false"}]), "strapline": ""})
    assert res.status_code == 201, res.text
    got = res.json()["badge"]
    assert got["unique"] is True and got["archived"] is False and got["limit"] == 3 and got["timeValue"] == 2
    assert got["tags"] == ["a", "b", "c"] and got["categories"] == ["x", "y"] and got["alignment"] == alignment
    assert got["criteria"] == {"url": "https://c.example", "narrative": "n"} and got["strapline"] is None
    assert got["criteriaItems"] == [{"description": "one", "required": False, "note": None}]
    res = api.patch(_url(issuer, got["id"]), data={"limit": "", "unique": "FALSE", "archived": "1"},
                    headers=bearer(owner))
    assert res.status_code == 200, res.text
    assert res.json()["badge"]["limit"] is None and res.json()["badge"]["unique"] is False
    assert res.json()["badge"]["archived"] is True


@pytest.mark.parametrize(("fields", "field"), [({"unique": "maybe"}, "unique"), ({"limit": "three"}, "limit"),
                                               ({"limit": "0"}, "limit"), ({"alignment": "[{"}, "alignment"),
                                               ({"timeValue": "1.5", "timeUnits": "days"}, "timeValue")])
def test_form_encoded_bad_values_are_400(api: TestClient[Any], owner: str, issuer: dict[str, Any],
                                         fields: dict[str, str], field: str) -> None:
    body = {"name": "F", "description": "d", "image": PNG_DATA_URI, "criteriaNarrative": "n", **fields}
    res = api.post(_url(issuer), data=body, headers=bearer(owner))
    assert res.status_code == 400, res.text
    assert field in [d["field"] for d in res.json()["details"]]


def test_openapi_documents_the_badge_endpoints(api: TestClient[Any]) -> None:
    res = api.get("/schema/openapi.json")
    assert res.status_code == 200
    paths = res.json()["paths"]
    listing, one = paths["/v1/issuers/{issuer_ref}/badges"], paths["/v1/issuers/{issuer_ref}/badges/{badge_ref}"]
    assert set(listing) >= {"get", "post"} and set(one) >= {"get", "put", "patch", "delete"}
    create = listing["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(create["required"]) == {"name", "description", "image"}
    assert "409" in listing["post"]["responses"] and "201" in listing["post"]["responses"]
    ok = listing["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/BadgePage"}
    assert set(res.json()["components"]["schemas"]["BadgePage"]["properties"]) == {"badges", "metadata"}


def test_multipart_create_and_update_with_an_uploaded_image(api: TestClient[Any], owner: str,
                                                             issuer: dict[str, Any]) -> None:
    fields = {"name": "Upload", "description": "d", "criteriaNarrative": "n", "tags": "x,y", "unique": "1"}
    res = api.post(_url(issuer), data=fields, files={"image": ("star.png", PNG, "image/png")}, headers=bearer(owner))
    assert res.status_code == 201, res.text
    badge = res.json()["badge"]
    assert badge["tags"] == ["x", "y"] and badge["unique"] is True
    assert api.get(f"/public/badges/{badge['id']}/image").content == PNG
    res = api.patch(_url(issuer, badge["id"]), data={"name": "Upload 2"},
                    files={"image": ("star.svg", DEMO_SVG, "image/svg+xml")}, headers=bearer(owner))
    assert res.status_code == 200, res.text
    assert res.json()["badge"]["name"] == "Upload 2"
    assert api.get(f"/public/badges/{badge['id']}/image").content == DEMO_SVG
    res = api.post(_url(issuer), data=fields, files={"image": ("notes.txt", b"hello", "text/plain")},
                   headers=bearer(owner))
    assert res.status_code == 400 and [d["field"] for d in res.json()["details"]] == ["image"]
    res = api.post(_url(issuer), data=fields, files={"image": ("empty.png", b"", "image/png")}, headers=bearer(owner))
    assert res.status_code == 400 and [d["field"] for d in res.json()["details"]] == ["image"]


def test_image_cannot_be_removed(api: TestClient[Any], owner: str, issuer: dict[str, Any]) -> None:
    badge = new_badge(api, owner, issuer["id"])
    for value in (None, ""):
        res = api.patch(_url(issuer, badge["id"]), json={"image": value}, headers=bearer(owner))
        assert res.status_code == 400 and res.json()["details"][0]["field"] == "image"
    assert api.get(f"/public/badges/{badge['id']}/image").content == PNG


def test_image_url_on_a_private_address_is_refused(api: TestClient[Any], owner: str,
                                                   issuer: dict[str, Any]) -> None:
    with serving("/star.png", PNG, "image/png") as base:
        res = api.post(_url(issuer), json=badge_body(image=f"{base}/star.png"), headers=bearer(owner))
    assert res.status_code == 400 and res.json()["details"][0]["field"] == "image"


def test_image_url_is_fetched_when_private_urls_are_allowed(settings: Settings, owner: str) -> None:
    import dataclasses

    relaxed = dataclasses.replace(settings, allow_private_image_urls=True)
    with TestClient(create_app(relaxed), base_url=BASE_URL) as api, \
            serving("/star.svg", DEMO_SVG, "image/svg+xml") as base:
        issuer = new_issuer(api, owner)
        badge = new_badge(api, owner, issuer["id"], image=f"{base}/star.svg")
        assert api.get(f"/public/badges/{badge['id']}/image").content == DEMO_SVG
        res = api.patch(_url(issuer, badge["id"]), json={"image": f"{base}/missing.png"}, headers=bearer(owner))
        assert res.status_code == 400 and res.json()["details"][0]["field"] == "image"
        assert api.get(f"/public/badges/{badge['id']}/image").content == DEMO_SVG


_ODD_VALUES: list[Any] = [None, "", -1, 2**70, 1.5, True, {}, [None], [[]], ["x"] * 60, "x" * 20_000, "\x00",
                          "https://a.example/<x>", "[{", '{"url": 1}']


# one field per way of reading a value (the others share its code path)
@pytest.mark.parametrize("field", ["name", "image", "slug", "criteria", "criteriaUrl", "criteriaNarrative",
                                   "criteriaItems", "tags", "alignment", "strapline", "rubricUrl", "timeValue",
                                   "timeUnits", "limit", "unique"])
def test_odd_values_never_cause_a_server_error(api: TestClient[Any], owner: str, issuer: dict[str, Any],
                                               field: str) -> None:
    badge = new_badge(api, owner, issuer["id"], criteria={"url": "https://crit.example/c"})
    for value in _ODD_VALUES:
        for method, path in (("POST", _url(issuer)), ("PATCH", _url(issuer, badge["id"]))):
            body = {field: value} if method == "PATCH" else badge_body(**{field: value})
            res = api.request(method, path, content=json.dumps(body), headers={
                **bearer(owner), "content-type": "application/json"})
            assert res.status_code in (200, 201, 400, 409), (method, field, value, res.text)
            if res.status_code < 300:
                doc = api.get(f"/public/badges/{res.json()['badge']['id']}")
                assert doc.status_code == 200 and ob2.document_issues(doc.json(), kind="BadgeClass") == []
        if not isinstance(value, str):
            continue
        form = {k: v for k, v in {**badge_body(), field: value}.items() if isinstance(v, str)}
        res = api.post(_url(issuer), data={"criteriaNarrative": "n", **form}, headers=bearer(owner))
        assert res.status_code in (201, 400, 409), (field, value, res.text)
