"""BadgeKit badges at system level, in JSON, form and multipart bodies, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from _badgekit_support import BadgeKit, check_deleted, new_key
from litestar.testing import TestClient
from test_badgekit_auth_systems import PNG, PNG_DATA_URI, _system

from hosting import Settings


@pytest.fixture(scope="module")
def bk(api: TestClient[Any], settings: Settings) -> BadgeKit:
    name, secret = new_key(settings, f"master-{secrets.token_hex(3)}")
    return BadgeKit(api, name, secret)


def _badge_body(**extra: Any) -> dict[str, Any]:
    return {"slug": f"badge-{secrets.token_hex(3)}", "name": "Badge Name", "strapline": "Badge strapline.",
            "earnerDescription": "For earners.", "consumerDescription": "For consumers.",
            "issuerUrl": "http://issuersite.example.org", "rubricUrl": "http://issuersite.example.org/rubric",
            "timeValue": 10, "timeUnits": "minutes", "limit": 5, "unique": False, "type": "badge type",
            "imageUrl": PNG_DATA_URI, "criteriaUrl": "http://issuersite.example.org/criteria",
            "criteria": [{"description": "Criteria description.", "required": True, "note": "For assessors."}],
            "categories": ["science"], "tags": ["t1", "t2"], **extra}


def test_create_get_list_badge(bk: BadgeKit) -> None:
    system = _system(bk)
    body = _badge_body()
    res = bk.post(f"/systems/{system['slug']}/badges", json_body=body)
    assert res.status_code == 201, res.text
    assert res.json()["status"] == "created"
    badge = res.json()["badge"]
    assert isinstance(badge["id"], int) and badge["created"].endswith("Z")
    for field in ("slug", "name", "strapline", "earnerDescription", "consumerDescription", "issuerUrl",
                  "rubricUrl", "timeValue", "timeUnits", "limit", "unique", "type", "criteriaUrl", "categories",
                  "tags"):
        assert badge[field] == body[field], field
    assert badge["archived"] is False and badge["milestones"] == []
    assert badge["criteria"] == [{"id": 1, "description": "Criteria description.", "required": True,
                                  "note": "For assessors."}]
    assert badge["system"]["slug"] == system["slug"]
    image = bk.client.get(badge["imageUrl"].removeprefix("http://testserver.local"))
    assert image.status_code == 200 and image.content == PNG
    assert bk.get(f"/systems/{system['slug']}/badges/{badge['slug']}").json() == {"badge": badge}
    assert bk.get(f"/systems/{system['slug']}/badges").json() == {"badges": [badge]}


def test_archived_filter(bk: BadgeKit) -> None:
    system = _system(bk)
    base = f"/systems/{system['slug']}/badges"
    live = bk.post(base, json_body=_badge_body()).json()["badge"]
    old = bk.post(base, json_body=_badge_body(archived=True)).json()["badge"]
    slugs = lambda q: [b["slug"] for b in bk.get(base + q).json()["badges"]]
    assert slugs("") == [live["slug"]] and slugs("?archived=false") == [live["slug"]]
    assert slugs("?archived=true") == [old["slug"]]
    assert slugs("?archived=any") == [live["slug"], old["slug"]]
    res = bk.get(base + "?archived=maybe")
    assert res.status_code == 400 and res.json()["details"][0]["field"] == "archived"


def test_create_badge_form_and_multipart(bk: BadgeKit) -> None:
    system = _system(bk)
    base = f"/systems/{system['slug']}/badges"
    form = {"slug": "form-badge", "name": "Form Badge", "earnerDescription": "E", "consumerDescription": "C",
            "type": "t", "imageUrl": PNG_DATA_URI, "unique": "true", "limit": "3", "tags": "a, b"}
    res = bk.post(base, form=form)
    assert res.status_code == 201, res.text
    badge = res.json()["badge"]
    assert badge["unique"] is True and badge["limit"] == 3 and badge["tags"] == ["a", "b"]
    multi = {k: v for k, v in form.items() if k != "imageUrl"} | {"slug": "multi-badge"}
    res = bk.post(base, form=multi, files={"image": ("b.png", PNG, "image/png")})
    assert res.status_code == 201, res.text


def test_create_badge_validation_errors(bk: BadgeKit) -> None:
    system = _system(bk)
    res = bk.post(f"/systems/{system['slug']}/badges",
                  json_body={"slug": "Bad Slug", "name": "x" * 300, "timeUnits": "years", "limit": -1})
    assert res.status_code == 400
    body = res.json()
    assert body["code"] == "ValidationError" and body["message"] == "Could not validate required fields"
    fields = {d["field"] for d in body["details"]}
    assert {"slug", "name", "earnerDescription", "consumerDescription", "type", "image", "timeUnits",
            "limit"} <= fields
    assert bk.get(f"/systems/{system['slug']}/badges?archived=any").json() == {"badges": []}


def test_nul_characters_in_lists_are_refused_as_in_text_fields(bk: BadgeKit) -> None:
    """``tags``, ``categories`` and ``criteria`` refuse a NUL character like every text field (and ``/v1``)."""
    system = _system(bk)
    base = f"/systems/{system['slug']}/badges"
    badge = bk.post(base, json_body=_badge_body()).json()["badge"]
    for body, field in (({"tags": ["ok", "a\x00b"]}, "tags"), ({"categories": ["\x00"]}, "categories"),
                        ({"criteria": [{"description": "d\x00"}]}, "criteria"),
                        ({"criteria": [{"description": "d", "note": "n\x00"}]}, "criteria")):
        res = bk.put(f"{base}/{badge['slug']}", json_body=body)
        assert res.status_code == 400, res.text
        assert [d["field"] for d in res.json()["details"]] == [field]
    res = bk.put(f"{base}/{badge['slug']}", form={"tags": "a,b\x00c"})
    assert res.status_code == 400 and res.json()["details"][0]["field"] == "tags"
    assert bk.get(f"{base}/{badge['slug']}").json() == {"badge": badge}


def test_create_badge_conflict(bk: BadgeKit) -> None:
    system = _system(bk)
    body = _badge_body()
    bk.post(f"/systems/{system['slug']}/badges", json_body=body)
    res = bk.post(f"/systems/{system['slug']}/badges", json_body=body)
    assert res.status_code == 409
    assert res.json()["code"] == "ResourceConflict"
    assert res.json()["error"] == "badge with that `slug` already exists"
    assert res.json()["details"]["slug"] == body["slug"] and res.json()["details"]["name"] == "Badge Name"


def test_update_badge_incl_rename(bk: BadgeKit) -> None:
    system = _system(bk)
    base = f"/systems/{system['slug']}/badges"
    badge = bk.post(base, json_body=_badge_body()).json()["badge"]
    res = bk.put(f"{base}/{badge['slug']}", json_body={"name": "New Name", "slug": "renamed-badge",
                                                      "archived": True})
    assert res.status_code == 200, res.text
    assert res.json()["status"] == "updated"
    updated = res.json()["badge"]
    assert updated["slug"] == "renamed-badge" and updated["name"] == "New Name" and updated["archived"] is True
    assert updated["id"] == badge["id"] and updated["consumerDescription"] == "For consumers."
    assert bk.get(f"{base}/{badge['slug']}").status_code == 404
    res = bk.put(f"{base}/renamed-badge", form={"new-slug": "form-renamed", "strapline": "New strapline"})
    assert res.status_code == 200, res.text
    assert bk.get(f"{base}/form-renamed").json()["badge"]["strapline"] == "New strapline"
    other = bk.post(base, json_body=_badge_body()).json()["badge"]
    clash = bk.put(f"{base}/{other['slug']}", json_body={"slug": "form-renamed"})
    assert clash.status_code == 409 and clash.json()["details"]["id"] == badge["id"]
    invalid = bk.put(f"{base}/form-renamed", json_body={"timeUnits": "fortnights"})
    assert invalid.status_code == 400 and invalid.json()["details"][0]["field"] == "timeUnits"


def test_update_badge_description_sets_consumer_description(bk: BadgeKit, settings: Settings) -> None:
    """The seed's form and multipart updates send the OB ``description``: it is the ``consumerDescription``, in
    every encoding (``consumerDescription`` wins when both are sent)."""
    from _api_support import bearer, make_token, unique_email

    system = _system(bk)
    base = f"/systems/{system['slug']}/badges"
    slug = bk.post(base, json_body=_badge_body()).json()["badge"]["slug"]
    admin = make_token(settings, unique_email("admin"), admin=True)
    sends = [("form", lambda d: bk.put(f"{base}/{slug}", form={"name": "N", "description": d})),
             ("multipart", lambda d: bk.put(f"{base}/{slug}", form={"description": d},
                                            files={"image": ("b.png", PNG, "image/png")})),
             ("json", lambda d: bk.put(f"{base}/{slug}", json_body={"description": d}))]
    for encoding, send in sends:
        res = send(f"New {encoding} description")
        assert res.status_code == 200, res.text
        assert res.json()["badge"]["consumerDescription"] == f"New {encoding} description"
        assert res.json()["badge"]["earnerDescription"] == "For earners."
        v1 = bk.client.get(f"/v1/issuers/{system['slug']}/badges/{slug}", headers=bearer(admin)).json()["badge"]
        assert v1["description"] == f"New {encoding} description"
    both = bk.put(f"{base}/{slug}", json_body={"description": "ignored", "consumerDescription": "Wins."})
    assert both.status_code == 200 and both.json()["badge"]["consumerDescription"] == "Wins."
    made = bk.post(base, form={k: str(v) for k, v in _badge_body(consumerDescription=None).items()
                               if k not in ("criteria", "categories", "tags", "consumerDescription")}
                   | {"description": "Created by form."})
    assert made.status_code == 201, made.text
    assert made.json()["badge"]["consumerDescription"] == "Created by form."


def test_delete_badge_and_not_found(bk: BadgeKit) -> None:
    system = _system(bk)
    base = f"/systems/{system['slug']}/badges"
    badge = bk.post(base, json_body=_badge_body()).json()["badge"]
    check_deleted(bk, f"{base}/{badge['slug']}", "badge", badge)


def test_badges_of_other_system_refused(bk: BadgeKit, settings: Settings) -> None:
    mine, other = _system(bk), _system(bk)
    badge = bk.post(f"/systems/{other['slug']}/badges", json_body=_badge_body()).json()["badge"]
    name, secret = new_key(settings, system=mine["slug"])
    scoped = BadgeKit(bk.client, name, secret)
    assert scoped.get(f"/systems/{other['slug']}/badges").status_code == 403
    assert scoped.post(f"/systems/{other['slug']}/badges", json_body=_badge_body()).status_code == 403
    assert scoped.put(f"/systems/{other['slug']}/badges/{badge['slug']}",
                      json_body={"name": "Hijack"}).status_code == 403
    assert scoped.delete(f"/systems/{other['slug']}/badges/{badge['slug']}").status_code == 403
    assert bk.get(f"/systems/{other['slug']}/badges/{badge['slug']}").json()["badge"]["name"] == "Badge Name"
    assert scoped.post(f"/systems/{mine['slug']}/badges", json_body=_badge_body()).status_code == 201


def test_badge_visible_through_v1(bk: BadgeKit, settings: Settings) -> None:
    from _api_support import bearer, make_token, unique_email

    system = _system(bk)
    badge = bk.post(f"/systems/{system['slug']}/badges", json_body=_badge_body()).json()["badge"]
    admin = make_token(settings, unique_email("admin"), admin=True)
    res = bk.client.get(f"/v1/issuers/{system['slug']}/badges/{badge['slug']}", headers=bearer(admin))
    assert res.status_code == 200, res.text
    assert res.json()["badge"]["name"] == "Badge Name"


def test_v1_badge_read_through_badgekit(bk: BadgeKit, settings: Settings) -> None:
    from _api_support import bearer, make_token, new_issuer, unique_email

    owner = make_token(settings, unique_email("owner"))
    issuer = new_issuer(bk.client, owner)
    res = bk.client.post(f"/v1/issuers/{issuer['id']}/badges", headers=bearer(owner), json={
        "name": "Gold Star", "description": "For shining.", "image": PNG_DATA_URI,
        "criteria": {"narrative": "Shine."}, "slug": "gold-star", "tags": ["shiny"]})
    assert res.status_code == 201, res.text
    got = bk.get(f"/systems/{issuer['slug']}/badges/gold-star")
    assert got.status_code == 200, got.text
    badge = got.json()["badge"]
    assert badge["name"] == "Gold Star" and badge["tags"] == ["shiny"] and badge["archived"] is False
    assert badge["system"]["slug"] == issuer["slug"]


def test_non_ascii_digits_in_numbers_are_validation_errors(bk: BadgeKit) -> None:
    """``str.isdigit`` holds for "²" or "١", which ``int`` refuses or reads: numbers are ASCII digits only, and
    anything else a 400 naming the field (was a 500)."""
    system = _system(bk)
    base = f"/systems/{system['slug']}/badges"
    badge = bk.post(base, json_body=_badge_body()).json()["badge"]
    for form, field in (({"limit": "²"}, "limit"), ({"timeValue": "٣"}, "timeValue"),
                        ({"limit": "9" * 5000}, "limit")):  # int() refuses more than 4,300 digits: was a 500
        res = bk.put(f"{base}/{badge['slug']}", form=form)
        assert res.status_code == 400, res.text
        assert [d["field"] for d in res.json()["details"]] == [field]
    for milestone, field in (({"numberRequired": "²", "supportBadges": [badge["slug"]]}, "numberRequired"),
                             ({"numberRequired": "9" * 5000, "supportBadges": [badge["slug"]]}, "numberRequired"),
                             ({"numberRequired": 1, "supportBadges": ["²"]}, "supportBadges")):
        res = bk.post(base, json_body=_badge_body(milestones=[milestone]))
        assert res.status_code == 400, res.text
        assert f"milestones[0].{field}" in {d["field"] for d in res.json()["details"]}
    res = bk.post(f"{base}/{badge['slug']}/instances", json_body={"email": "d@example.org", "issuedOn": "١٤٠٠٠٠٠٠٠٠"})
    assert res.status_code == 400 and [d["field"] for d in res.json()["details"]] == ["issuedOn"]
    assert bk.get(f"{base}/{badge['slug']}").json() == {"badge": badge}
