"""Credly badge templates (``/v1/organizations/{organization_id}/badge_templates``): create (JSON with a
``data:`` URI, multipart upload, http(s) URL), read, list, update, archive, delete; the template object in
badge responses; templates whose badges are issued as accepted; the badge list's template filters; Credly's
envelope and errors; who may do what — on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from _api_support import make_token, serving, unique_email
from _credly_support import SEED_ISSUE, basic, issue
from _issue_support import Team, new_team
from conftest import BASE_URL
from litestar.testing import TestClient

from hosting import Settings, create_app
from hosting.app.demo import demo_png

PNG = demo_png(size=16)
PNG_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()
# The keys of the seed's badge_template object (inside a badge: all but the two counts).
SEED_TEMPLATE_KEYS = {
    "id", "description", "global_activity_url", "name", "state", "public", "badges_count", "recipient_type",
    "show_badge_lmi", "show_lmi_jobs", "show_skill_tag_links", "vanity_slug", "criteria_url_name", "criteria_url",
    "certification", "state_updated_at", "created_at", "updated_at", "template_type", "show_template_settings",
    "get_issue_count", "image", "image_url", "url", "owner", "alignments", "recommendations",
    "required_badge_templates", "badge_template_activities", "skills",
}
SEED_OWNER_KEYS = {"type", "id", "name", "url", "vanity_url", "vanity_slug", "verified", "viewable"}


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient[Any]]:
    relaxed = dataclasses.replace(settings, allow_private_image_urls=True, earner_pages_per_ip_minute=100_000)
    with TestClient(create_app(relaxed), base_url=BASE_URL) as c:
        yield c


@pytest.fixture
def team(settings: Settings, api: TestClient[Any]) -> Team:
    return new_team(settings, api)


@pytest.fixture(scope="module")
def image_server() -> Iterator[str]:
    """A loopback HTTP server answering /badge.png with a PNG and anything else with 404."""
    with serving("/badge.png", PNG, "image/png") as url:
        yield url


def _templates(team: Team, org: str | None = None) -> str:
    return f"/v1/organizations/{org or team.issuer['id']}/badge_templates"


def _body(**fields: Any) -> dict[str, Any]:
    return {"name": "Cloud Architect", "description": "Designs cloud systems.", "image": PNG_URI, **fields}


def _created(team: Team, **fields: Any) -> dict[str, Any]:
    res = team.api.post(_templates(team), json=_body(**fields), headers=basic(team.owner))
    assert res.status_code == 201, res.text
    data: dict[str, Any] = res.json()["data"]
    return data


def _errors(res: Any) -> dict[str, list[str]]:
    assert set(res.json()) == {"data"} and res.json()["data"]["message"], res.text
    return {e["attribute"]: e["messages"] for e in res.json()["data"].get("errors", ())}


# --- create and read ------------------------------------------------------------------------------------

def test_create_with_a_data_uri_answers_the_seeds_template_object(team: Team) -> None:
    res = team.api.post(_templates(team), json=_body(
        skills=["Cloud", "Security", "Cloud"], reporting_tags=["q3", "internal"],
        criteria_url="https://example.org/criteria", global_activity_url="https://example.org/earn",
        alignments=[{"name": "Framework A", "url": "https://example.org/a", "description": "Aligned."}],
        vanity_slug="cloud-architect"), headers=basic(team.owner))
    assert res.status_code == 201, res.text
    assert set(res.json()) == {"data", "metadata"}
    data = res.json()["data"]
    assert SEED_TEMPLATE_KEYS <= set(data) and SEED_OWNER_KEYS <= set(data["owner"])
    assert res.headers["location"] == data["url"] == f"{BASE_URL}/public/badges/{data['id']}"
    assert (data["name"], data["description"], data["state"]) == ("Cloud Architect", "Designs cloud systems.",
                                                                   "active")
    assert data["skills"] == ["Cloud", "Security"] and data["reporting_tags"] == ["q3", "internal"]
    assert data["criteria_url"] == "https://example.org/criteria"
    assert data["global_activity_url"] == "https://example.org/earn"
    assert data["vanity_slug"] == "cloud-architect" and data["badges_count"] == 0
    assert data["badges_issued_as_accepted"] is False
    (alignment,) = data["alignments"]
    assert str(uuid.UUID(alignment["id"])) == alignment["id"]  # an id, as in the seed's template object
    assert {k: v for k, v in alignment.items() if k != "id"} == {
        "name": "Framework A", "url": "https://example.org/a", "description": "Aligned."}
    assert data["owner"]["id"] == team.issuer["id"]
    assert data["image"]["url"] == data["image_url"]
    assert team.api.get(data["image_url"].removeprefix(BASE_URL)).content == PNG
    # the same row is the public OB 2.0 BadgeClass: skills are its tags, alignments OB's
    public = team.api.get(f"/public/badges/{data['id']}").json()
    assert public["name"] == "Cloud Architect" and public["tags"] == ["Cloud", "Security"]
    assert public["criteria"]["id"] == "https://example.org/criteria"
    assert public["alignment"][0]["targetName"] == "Framework A"
    got = team.api.get(f"{_templates(team)}/{data['id']}", headers=basic(team.owner))
    assert got.status_code == 200 and got.json()["data"] == data


def test_without_criteria_url_the_description_is_the_criteria_narrative(team: Team) -> None:
    made = _created(team)
    assert team.api.get(f"/public/badges/{made['id']}").json()["criteria"]["narrative"] == "Designs cloud systems."
    res = team.api.put(f"{_templates(team)}/{made['id']}", json={"description": "Now different."},
                       headers=basic(team.owner))
    assert res.status_code == 200, res.text
    assert team.api.get(f"/public/badges/{made['id']}").json()["criteria"]["narrative"] == "Now different."


def test_create_with_a_multipart_upload(team: Team) -> None:
    res = team.api.post(_templates(team), files={"image": ("badge.png", PNG, "image/png")},
                        data={"name": "Uploaded", "description": "From a form.", "skills": "A, B",
                              "badges_issued_as_accepted": "true"}, headers=basic(team.owner))
    assert res.status_code == 201, res.text
    data = res.json()["data"]
    assert data["skills"] == ["A", "B"] and data["badges_issued_as_accepted"] is True
    assert team.api.get(data["image_url"].removeprefix(BASE_URL)).content == PNG


def test_create_with_an_image_url(team: Team, image_server: str) -> None:
    data = _created(team, image=f"{image_server}/badge.png")
    assert team.api.get(data["image_url"].removeprefix(BASE_URL)).content == PNG
    res = team.api.post(_templates(team), json=_body(image=f"{image_server}/missing.png"), headers=basic(team.owner))
    assert res.status_code == 422 and "image" in _errors(res)


@pytest.mark.parametrize(("fields", "attribute"), [
    ({"name": None}, "name"),
    ({"name": ""}, "name"),
    ({"description": 5}, "description"),
    ({"image": None}, "image"),
    ({"image": "data:image/png;base64," + base64.b64encode(b"not a png").decode()}, "image"),
    ({"image": "file:///etc/passwd"}, "image"),
    ({"skills": "Cloud"}, "skills"),
    ({"skills": [1, 2]}, "skills"),
    ({"reporting_tags": ["x"] * 51}, "reporting_tags"),
    ({"state": "draft"}, "state"),
    ({"criteria_url": "ftp://example.org"}, "criteria_url"),
    ({"vanity_slug": "Not A Slug"}, "vanity_slug"),
    ({"alignments": [{"name": "No URL"}]}, "alignments[0].url"),
    ({"badges_issued_as_accepted": "yes"}, "badges_issued_as_accepted"),
    ({"colour": "blue"}, "colour"),
])
def test_invalid_fields_answer_credlys_422(team: Team, fields: dict[str, Any], attribute: str) -> None:
    before = team.api.get(_templates(team), headers=basic(team.owner)).json()["metadata"]["total_count"]
    res = team.api.post(_templates(team), json=_body(**fields), headers=basic(team.owner))
    assert res.status_code == 422, res.text
    assert attribute in _errors(res) and res.json()["data"]["message"].startswith("Validation failed")
    assert team.api.get(_templates(team), headers=basic(team.owner)).json()["metadata"]["total_count"] == before


def test_a_taken_vanity_slug_is_refused_and_a_derived_one_is_made_free(team: Team) -> None:
    _created(team, vanity_slug="taken-slug")
    res = team.api.post(_templates(team), json=_body(vanity_slug="taken-slug"), headers=basic(team.owner))
    assert res.status_code == 422 and "vanity_slug" in _errors(res)
    first, second = _created(team, name="Same Name"), _created(team, name="Same Name")
    assert first["vanity_slug"] == "same-name" and second["vanity_slug"].startswith("same-name-")


# --- update, archive, delete ----------------------------------------------------------------------------

def test_put_changes_the_fields_given_and_a_get_echoed_back_changes_nothing(team: Team) -> None:
    made = _created(team, skills=["Old"])
    url = f"{_templates(team)}/{made['id']}"
    res = team.api.put(url, json={"name": "Renamed", "skills": ["New"], "reporting_tags": ["r1"]},
                       headers=basic(team.owner))
    assert res.status_code == 200, res.text
    data = res.json()["data"]
    assert (data["name"], data["skills"], data["reporting_tags"]) == ("Renamed", ["New"], ["r1"])
    assert data["description"] == made["description"]
    assert team.api.get(f"/public/badges/{made['id']}").json()["name"] == "Renamed"
    echoed = team.api.put(url, json=data, headers=basic(team.owner))
    assert echoed.status_code == 200, echoed.text
    assert {k: v for k, v in echoed.json()["data"].items() if k != "updated_at"} == \
        {k: v for k, v in data.items() if k != "updated_at"}
    other = demo_png(color=(200, 10, 10), size=16)
    res = team.api.put(url, json={"image": "data:image/png;base64," + base64.b64encode(other).decode()},
                       headers=basic(team.owner))
    assert res.status_code == 200 and team.api.get(data["image_url"].removeprefix(BASE_URL)).content == other
    bad = team.api.put(url, json={"name": "", "state": "gone"}, headers=basic(team.owner))
    assert bad.status_code == 422 and {"name", "state"} <= set(_errors(bad))
    assert team.api.get(url, headers=basic(team.owner)).json()["data"]["name"] == "Renamed"


def test_an_archived_template_cannot_issue_until_made_active_again(team: Team) -> None:
    made = _created(team)
    url = f"{_templates(team)}/{made['id']}"
    assert team.api.put(url, json={"state": "archived"}, headers=basic(team.owner)).json()["data"][
        "state"] == "archived"
    res = issue(team, made["id"])
    assert res.status_code == 422 and "archived" in res.json()["data"]["message"]
    assert team.api.put(url, json={"state": "active"}, headers=basic(team.owner)).status_code == 200
    assert issue(team, made["id"]).status_code == 201


def test_delete_without_badges_and_refused_with_badges(team: Team) -> None:
    empty, used = _created(team), _created(team)
    res = team.api.delete(f"{_templates(team)}/{empty['id']}", headers=basic(team.owner))
    assert res.status_code == 200 and res.json()["data"]["id"] == empty["id"]
    assert team.api.get(f"{_templates(team)}/{empty['id']}", headers=basic(team.owner)).status_code == 404
    assert team.api.get(f"/public/badges/{empty['id']}").status_code == 404
    assert issue(team, used["id"]).status_code == 201
    res = team.api.delete(f"{_templates(team)}/{used['id']}", headers=basic(team.owner))
    assert res.status_code == 409 and "archive" in res.json()["data"]["message"]
    got = team.api.get(f"{_templates(team)}/{used['id']}", headers=basic(team.owner)).json()["data"]
    assert got["badges_count"] == got["get_issue_count"] == 1


# --- listing --------------------------------------------------------------------------------------------

def test_list_filters_sorts_and_pages(team: Team) -> None:
    for name in ("Charlie", "Alpha", "Bravo"):
        _created(team, name=name)
    archived = _created(team, name="Delta", state="archived")
    url = _templates(team)

    def names(**params: str) -> list[str]:
        res = team.api.get(url, params=params, headers=basic(team.owner))
        assert res.status_code == 200, res.text
        return [t["name"] for t in res.json()["data"]]

    assert names() == ["Alpha", "Bravo", "Charlie", "Delta"]  # default: by name
    assert names(sort="-name") == ["Delta", "Charlie", "Bravo", "Alpha"]
    assert names(filter="state::archived") == ["Delta"] and archived["state"] == "archived"
    assert names(filter="state::active|query::AR") == ["Charlie"]
    page = team.api.get(url, params={"per": "2", "page": "2", "sort": "created_at"}, headers=basic(team.owner))
    meta = page.json()["metadata"]
    assert [t["name"] for t in page.json()["data"]] == ["Bravo", "Delta"]  # created: Charlie, Alpha, Bravo, Delta
    assert (meta["count"], meta["total_count"], meta["total_pages"], meta["per"]) == (2, 4, 2, 2)
    assert meta["next_page_url"] is None and "page=1" in meta["previous_page_url"]


@pytest.mark.parametrize("params", [{"filter": "colour::red"}, {"filter": "state::draft"}, {"sort": "price"},
                                    {"per": "51"}, {"page": "0"}, {"limit": "5"}])
def test_list_refuses_unknown_keys_and_malformed_values(team: Team, params: dict[str, str]) -> None:
    res = team.api.get(_templates(team), params=params, headers=basic(team.owner))
    assert res.status_code == 400 and set(res.json()) == {"data"}


# --- the template in badges; accepted at issue ----------------------------------------------------------

def test_badges_show_the_templates_fields(team: Team) -> None:
    made = _created(team, skills=["Skill 2"], global_activity_url="https://example.org/earn",
                    alignments=[{"name": "Alignment 2", "url": "http://www.example.com/alignment"}])
    res = issue(team, made["id"])
    assert res.status_code == 201, res.text
    shown = res.json()["data"]["badge_template"]
    assert SEED_TEMPLATE_KEYS - {"badges_count", "get_issue_count"} <= set(shown)
    assert SEED_OWNER_KEYS <= set(shown["owner"])
    assert shown["skills"] == ["Skill 2"] and shown["global_activity_url"] == "https://example.org/earn"
    assert [{k: v for k, v in a.items() if k != "id"} for a in shown["alignments"]] == [
        {"name": "Alignment 2", "url": "http://www.example.com/alignment", "description": None}]
    # the alignment's id is the template's, as its own route shows it, and the same on every read
    own = team.api.get(f"/v1/organizations/{team.issuer['id']}/badge_templates/{made['id']}", headers=basic(team.owner)).json()["data"]
    assert [a["id"] for a in own["alignments"]] == [a["id"] for a in shown["alignments"]]
    assert all(str(uuid.UUID(a["id"])) == a["id"] for a in shown["alignments"])
    assert shown["image_url"] == made["image_url"] and shown["vanity_slug"] == made["vanity_slug"]
    assert res.json()["data"]["alignments"] == [{"name": "Alignment 2", "description": None}]  # the seed's shape


def test_a_template_issuing_as_accepted_starts_badges_accepted(team: Team) -> None:
    accepted = _created(team, badges_issued_as_accepted=True)
    res = issue(team, accepted["id"])
    assert res.status_code == 201, res.text
    data = res.json()["data"]
    assert data["state"] == "accepted" and data["accept_badge_url"] is None and data["public"] is True
    assert team.api.get(f"/public/assertions/{data['id']}").status_code == 200
    batch = team.api.post(f"/v1/organizations/{team.issuer['id']}/badges/batch", json={"badges": [
        {**SEED_ISSUE, "badge_template_id": accepted["id"], "recipient_email": unique_email("b")}]},
                          headers=basic(team.owner))
    assert batch.status_code == 201 and batch.json()["data"][0]["state"] == "accepted"
    # replacing a pending badge under such a template gives an accepted one
    pending = issue(team, _created(team)["id"]).json()["data"]
    replaced = team.api.post(f"/v1/organizations/{team.issuer['id']}/badges/{pending['id']}/replace",
                             json={**SEED_ISSUE, "badge_template_id": accepted["id"],
                                   "recipient_email": pending["recipient_email"]}, headers=basic(team.owner))
    assert replaced.status_code == 201 and replaced.json()["data"]["state"] == "accepted", replaced.text
    # the default (and a template switched back) issues pending badges
    url = f"{_templates(team)}/{accepted['id']}"
    assert team.api.put(url, json={"badges_issued_as_accepted": False}, headers=basic(team.owner)).status_code == 200
    assert issue(team, accepted["id"]).json()["data"]["state"] == "pending"
    assert issue(team, _created(team)["id"]).json()["data"]["state"] == "pending"


def test_badge_list_filters_on_template_skills_reporting_tags_and_owner(team: Team) -> None:
    cloud = _created(team, name="Cloud", skills=["Skill 2", "Ops"], reporting_tags=["Q3", "emea"])
    plain = _created(team, name="Plain", skills=["Skill"], reporting_tags=['we"ird%_tag'])
    ids = {issue(team, cloud["id"]).json()["data"]["id"]: "cloud",
           issue(team, plain["id"]).json()["data"]["id"]: "plain"}
    url = f"/v1/organizations/{team.issuer['id']}/badges"

    def found(text: str) -> list[str]:
        res = team.api.get(url, params={"filter": text}, headers=basic(team.owner))
        assert res.status_code == 200, res.text
        return sorted(ids[b["id"]] for b in res.json()["data"])

    assert found("badge_templates[skills]::Skill") == ["plain"]  # whole skills, not parts of one
    assert found("badge_templates[skills]::skill 2") == ["cloud"]  # case is ignored
    assert found("badge_templates[skills]::Nothing,Ops") == ["cloud"]  # any of a list
    assert found("badge_templates[reporting_tags]::q3") == ["cloud"]
    assert found('badge_templates[reporting_tags]::we"ird%_tag') == ["plain"]
    assert found("badge_templates[reporting_tags]::%") == []
    assert found(f"badge_templates[owner_id]::{team.issuer['id']}") == ["cloud", "plain"]
    assert found("badge_templates[owner_id]::someone-else") == []
    assert found("badge_templates[skills]::Ops|state::accepted") == []
    for bad in ("badge_templates[skills]::", "badge_templates[owner_id]::,", "badge_templates[colour]::x"):
        res = team.api.get(url, params={"filter": bad}, headers=basic(team.owner))
        assert res.status_code == 400, bad


# --- who may do what ------------------------------------------------------------------------------------

def test_templates_of_another_organisation_are_not_reachable(settings: Settings, team: Team) -> None:
    mine = _created(team)
    other = new_team(settings, team.api)
    theirs = _templates(other)
    # the other owner, through its own organisation's path or through mine
    for path in (f"{theirs}/{mine['id']}", f"{_templates(team)}/{mine['id']}"):
        for method, body in (("GET", None), ("PUT", {"name": "Hijacked"}), ("DELETE", None)):
            res = team.api.request(method, path, json=body, headers=basic(other.owner))
            assert res.status_code == 404 and set(res.json()) == {"data"}, (method, path, res.text)
    assert team.api.post(_templates(team), json=_body(), headers=basic(other.owner)).status_code == 404
    assert team.api.get(_templates(team), headers=basic(other.owner)).status_code == 404
    assert mine["id"] not in [t["id"] for t in team.api.get(theirs, headers=basic(other.owner)).json()["data"]]
    # and a badge of my organisation cannot be issued from their template
    res = issue(team, _created(other)["id"])
    assert res.status_code == 422 and "badge_template_id" in _errors(res)
    assert team.api.get(f"{_templates(team)}/{mine['id']}", headers=basic(team.owner)).json()["data"][
        "name"] == "Cloud Architect"


def test_roles_scopes_and_credentials(settings: Settings, team: Team) -> None:
    made = _created(team)
    url = f"{_templates(team)}/{made['id']}"
    staff, editor = team.member("staff"), team.member("editor")
    reader = make_token(settings, unique_email("reader"), scopes=["issuer:read"])
    for token in (staff, editor):  # any role reads
        assert team.api.get(url, headers=basic(token)).status_code == 200
    for method, path, body in (("POST", _templates(team), _body()), ("PUT", url, {"name": "X"}),
                               ("DELETE", url, None)):
        res = team.api.request(method, path, json=body, headers=basic(staff))
        assert res.status_code == 403 and set(res.json()) == {"data"}, (method, res.text)
    assert team.api.put(url, json={"name": "By Editor"}, headers=basic(editor)).status_code == 200
    # a token without issuer:write (its user an editor) cannot write
    email = unique_email("readonly")
    team.api.post(f"{team.path}/staff", json={"email": email, "role": "editor"},
                  headers={"Authorization": f"Bearer {team.owner}"})
    read_only = make_token(settings, email, scopes=["issuer:read"])
    assert team.api.get(url, headers=basic(read_only)).status_code == 200
    assert team.api.put(url, json={"name": "Nope"}, headers=basic(read_only)).status_code == 403
    assert team.api.get(url, headers=basic(reader)).status_code == 404  # no role on the organisation
    for headers in ({}, basic("obt_" + "x" * 43), {"Authorization": f"Bearer {team.owner}"}):
        res = team.api.get(url, headers=headers)
        assert res.status_code == 401 and set(res.json()) == {"data"}
    assert team.api.get(url, headers=basic(team.owner)).json()["data"]["name"] == "By Editor"


def test_the_template_routes_and_the_search_are_documented_and_answer_as_documented(team: Team) -> None:
    import jsonschema

    doc = team.api.get("/schema/openapi.json").json()
    paths = doc["paths"]
    base = "/v1/organizations/{organization_id}"
    create = paths[f"{base}/badge_templates"]["post"]
    assert create["tags"] == ["credly"] and create["security"] == [{"credly_basic": []}]
    assert set(create["requestBody"]["content"]) == {
        "application/json", "application/x-www-form-urlencoded", "multipart/form-data"}
    assert "409" in paths[f"{base}/badge_templates/{{template_id}}"]["delete"]["responses"]
    assert {"badge_format", "cursor", "filter"} <= {
        p["name"] for p in paths[f"{base}/high_volume_issued_badge_search"]["get"]["parameters"]}
    assert "per" in {p["name"] for p in paths[f"{base}/badge_templates"]["get"]["parameters"]}
    # a body the tests send fits the document, and the answer fits the documented response
    body = _body(skills=["Cloud"], reporting_tags=["q1"], state="active", criteria_url="https://example.org/c",
                 alignments=[{"name": "ESCO", "url": "https://esco.example.org/1"}], badges_issued_as_accepted=False)
    jsonschema.validate(body, create["requestBody"]["content"]["application/json"]["schema"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x"}, create["requestBody"]["content"]["application/json"]["schema"])
    made = _created(team, **{k: v for k, v in body.items() if k not in _body()})
    detail = doc["components"]["schemas"]["CredlyTemplateDetail"]
    assert set(detail["required"]) <= set(made)
    assert {"badges_count", "reporting_tags", "badges_issued_as_accepted", "skills", "image"} <= set(detail["required"])
