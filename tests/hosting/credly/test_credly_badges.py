"""The Credly API (``/v1/organizations/{organization_id}/badges``): the seed's request examples as written, each
route, Credly's envelope and errors, Basic-auth refusals, states through the accept link, revoke → 410 — on
SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from _api_support import make_token, unique_email
from _credly_support import (  # noqa: F401 - the fixtures
    SEED_BADGE_KEYS,
    SEED_BATCH,
    SEED_EVIDENCE,
    SEED_ISSUE,
    SEED_LISTED_KEYS,
    SEED_PAGE_KEYS,
    SEED_REPLACE,
    SEED_REVOKE,
    accept,
    basic,
    credly_api_fixture,
    issue,
    issued,
    listed_ids,
    named_template,
    org_path,
    path_of,
)
from _issue_support import Team, new_team, stored, team_fixture  # noqa: F401 - fixture
from conftest import BASE_URL

from hosting import Settings
from hosting.credly.batch import MAX_BATCH

# --- the seed's examples --------------------------------------------------------------------------------

def test_the_seeds_issue_example_is_accepted_as_written(team: Team) -> None:
    template = team.badge()
    res = team.api.post(f"{org_path(team)}/badges", json={**SEED_ISSUE, "badge_template_id": template},
                        headers=basic(team.owner))
    assert res.status_code == 201, res.text
    body = res.json()
    assert set(body) == {"data", "metadata"}
    data = body["data"]
    assert SEED_BADGE_KEYS <= set(data)
    assert res.headers["location"] == data["badge_url"]
    assert data["state"] == "pending" and data["accept_badge_url"].startswith(f"{BASE_URL}/accept/")
    assert data["issued_at"] == "2014-04-01T14:41:00Z" and data["issued_at_date"] == "2014-04-01"
    assert data["expires_at"] is None and data["expires_at_date"] is None
    assert (data["issued_to_first_name"], data["issued_to_last_name"]) == ("Earner First Name", "Earner Last Name")
    assert data["issued_to"] == "Earner First Name Earner Last Name"
    assert data["recipient_email"] == "test@example.com" and data["issuer_earner_id"] == "abc123"
    assert data["locale"] == "en" and data["badge_template"]["id"] == template
    assert data["issuer"]["id"] == team.issuer["id"] and data["issuer"]["type"] == "Organization"
    assert data["state_updated_at"] is None and data["replacement_badge_id"] is None
    # a duplicate (same template, recipient and issued_at) is refused as Credly does, storing nothing more
    again = team.api.post(f"{org_path(team)}/badges", json={**SEED_ISSUE, "badge_template_id": template},
                          headers=basic(team.owner))
    assert again.status_code == 422, again.text
    assert again.json()["data"]["message"].startswith("Validation failed")
    assert again.json()["data"]["errors"][0]["attribute"] == "recipient_email"
    listed = team.api.get(f"{org_path(team)}/badges", params={"filter": f"badge_template_id::{template}"},
                          headers=basic(team.owner))
    assert listed.json()["metadata"]["total_count"] == 1


def test_the_seeds_evidence_example_maps_to_ob_evidence_and_back(settings: Settings, team: Team) -> None:
    template = team.badge()
    res = team.api.post(f"{org_path(team)}/badges", json={**SEED_EVIDENCE, "badge_template_id": template},
                        headers=basic(team.owner))
    assert res.status_code == 201, res.text
    data = res.json()["data"]
    assert data["issued_to"] == "Firstname Lastname"
    # each item carries an id as in the seed's response: a UUID, distinct, the same on every read
    ids = [item.pop("id") for item in data["evidence"]]
    assert len(set(ids)) == 3 and all(str(uuid.UUID(i)) == i for i in ids)
    again = team.api.get(f"{org_path(team)}/badges/{data['id']}", headers=basic(team.owner)).json()["data"]
    assert [item["id"] for item in again["evidence"]] == ids
    assert data["evidence"] == [
        {"type": "KeyValueGroupEvidence", "name": "Custom Evidence", "values": [
            {"type": "KeyValuePairEvidence", "key": "Testing Center",
             "value": "Master Test Facility, Minneapolis, MN",
             "url": "http://www.url-in-custom-evidence-is-optional.com"}]},
        {"type": "PlainTextEvidence", "title": "Evidence", "description": "The evidence is clear."},
        {"type": "UrlEvidence", "name": "Evidence", "description": "Description in URL evidence is optional",
         "value": "http://www.example.com/evidence"},
    ]
    # the public assertion (once accepted) carries OB 2.0 Evidence objects
    assert accept(team.api, data["accept_badge_url"]).status_code == 200
    public = team.api.get(path_of(data["badge_url"]))
    assert public.status_code == 200, public.text
    evidence = public.json()["evidence"]
    assert [e.get("type") for e in evidence] == ["Evidence"] * 3
    assert evidence[0]["name"] == "Custom Evidence"
    assert "Testing Center: Master Test Facility, Minneapolis, MN" in evidence[0]["narrative"]
    assert evidence[1] == {"type": "Evidence", "name": "Evidence", "narrative": "The evidence is clear."}
    assert evidence[2]["id"] == "http://www.example.com/evidence"


@pytest.mark.parametrize("evidence", [
    [{"type": "IdEvidence", "description": "an invented name"}],
    [{"type": "UrlEvidence", "value": "not a url"}],
    [{"type": "KeyValueGroupEvidence", "name": "x", "values": [{"type": "KeyValuePair", "key": "k", "value": "v"}]}],
    [{"type": "PlainTextEvidence", "title": "no description"}],
    "http://example.com",
])
def test_evidence_other_than_the_seeds_three_types_is_refused(team: Team, evidence: Any) -> None:
    res = issue(team, team.badge(), evidence=evidence)
    assert res.status_code == 422, res.text
    errors = res.json()["data"]["errors"]
    assert all({"attribute", "attribute_label", "messages"} == set(e) for e in errors)
    assert errors[0]["attribute"].startswith("evidence")


@pytest.mark.parametrize(("given", "stored"), [
    ("2014-04-01 09:41:00 -0500", "2014-04-01T14:41:00Z"),
    ("2014-04-01T14:41:00Z", "2014-04-01T14:41:00Z"),
    ("2014-04-01T16:41:00+02:00", "2014-04-01T14:41:00Z"),
    ("2014-04-01T14:41:00.000Z", "2014-04-01T14:41:00Z"),
    ("2014-04-01", "2014-04-01T00:00:00Z"),
])
def test_timestamp_forms(team: Team, given: str, stored: str) -> None:
    assert issued(team, team.badge(), issued_at=given)["issued_at"] == stored


@pytest.mark.parametrize(("field", "value"), [
    ("issued_at", None), ("issued_at", "yesterday"), ("recipient_email", "nobody"), ("recipient_email", None),
    ("issued_to_first_name", None), ("issued_to_last_name", ""), ("locale", "xx"), ("badge_template_id", None),
    ("suppress_badge_notification_email", "no"), ("expires_at", "2014-03-01 00:00:00 +0000"), ("colour", "red"),
])
def test_invalid_fields_answer_credlys_422(team: Team, field: str, value: Any) -> None:
    res = issue(team, team.badge(), **{field: value})
    assert res.status_code == 422, res.text
    data = res.json()["data"]
    assert data["message"].startswith("Validation failed") and field in {e["attribute"] for e in data["errors"]}


def test_unknown_and_archived_templates_are_refused(settings: Settings, team: Team) -> None:
    other = new_team(settings, team.api)
    res = issue(team, other.badge())  # another organisation's template
    assert res.status_code == 422 and res.json()["data"]["errors"][0]["attribute"] == "badge_template_id"
    archived = team.badge(archived=True)
    res = issue(team, archived)
    assert res.status_code == 422 and "archived" in res.json()["data"]["message"]


# --- auth -----------------------------------------------------------------------------------------------

def test_basic_auth_refusals(settings: Settings, team: Team) -> None:
    template = team.badge()
    url = f"{org_path(team)}/badges"
    body = {**SEED_ISSUE, "badge_template_id": template}
    for headers in ({}, {"Authorization": f"Bearer {team.owner}"}, basic("obt_" + "x" * 43),
                    {"Authorization": "Basic !!!notbase64"}, basic("")):
        res = team.api.post(url, json=body, headers=headers)
        assert res.status_code == 401, (headers, res.text)
        assert set(res.json()) == {"data"} and res.json()["data"]["message"]
        assert team.api.get(url, headers=headers).status_code == 401
    revoked = make_token(settings, unique_email("gone"), revoke=True)
    assert team.api.get(url, headers=basic(revoked)).status_code == 401
    stranger = make_token(settings, unique_email("stranger"))  # valid token, no role on this organisation
    assert team.api.get(url, headers=basic(stranger)).status_code == 404
    assert team.api.post(url, json=body, headers=basic(stranger)).status_code == 404
    reader = make_token(settings, unique_email("reader"), scopes=["issuer:read"])
    assert team.api.post(url, json=body, headers=basic(reader)).status_code in (403, 404)
    # an owner of another organisation reaches neither this one's list nor its badges through its own path
    other = new_team(settings, team.api)
    mine = issued(team, template)
    assert team.api.get(f"{org_path(team)}/badges/{mine['id']}", headers=basic(other.owner)).status_code == 404
    assert team.api.get(f"{org_path(other)}/badges/{mine['id']}", headers=basic(other.owner)).status_code == 404
    res = team.api.put(f"{org_path(other)}/badges/{mine['id']}/revoke", json=SEED_REVOKE, headers=basic(other.owner))
    assert res.status_code == 404
    assert team.api.get(f"{org_path(team)}/badges/{mine['id']}", headers=basic(team.owner)).json()["data"][
        "state"] == "pending"


def test_staff_issue_but_cannot_revoke(team: Team) -> None:
    staff = team.member("staff")
    made = issue(team, team.badge(), token=staff)
    assert made.status_code == 201, made.text
    res = team.api.put(f"{org_path(team)}/badges/{made.json()['data']['id']}/revoke", json=SEED_REVOKE,
                       headers=basic(staff))
    assert res.status_code == 403 and "message" in res.json()["data"]


def test_the_native_v1_api_still_answers_beside_organizations(team: Team) -> None:
    res = team.api.get(f"/v1/issuers/{team.issuer['id']}", headers={"Authorization": f"Bearer {team.owner}"})
    assert res.status_code == 200
    missing = team.api.get("/v1/organizations/nope/badges", headers=basic(team.owner))
    assert missing.status_code == 404 and set(missing.json()) == {"data"}


# --- states, accept link, revoke, replace, delete -------------------------------------------------------

def test_accept_link_publishes_the_badge(team: Team) -> None:
    badge = issued(team, team.badge())
    assert team.api.get(path_of(badge["badge_url"])).status_code == 404  # pending: unpublished
    assert accept(team.api, badge["accept_badge_url"]).status_code == 200
    view = team.api.get(f"{org_path(team)}/badges/{badge['id']}", headers=basic(team.owner)).json()["data"]
    assert view["state"] == "accepted" and view["accept_badge_url"] is None and view["state_updated_at"]
    assert view["public"] is True
    assert team.api.get(path_of(badge["badge_url"])).status_code == 200


def test_rejected_through_the_link(team: Team) -> None:
    badge = issued(team, team.badge())
    assert accept(team.api, badge["accept_badge_url"], "reject").status_code == 200
    view = team.api.get(f"{org_path(team)}/badges/{badge['id']}", headers=basic(team.owner)).json()["data"]
    assert view["state"] == "rejected"


def test_revoke_then_the_public_url_answers_410(team: Team) -> None:
    badge = issued(team, team.badge())
    accept(team.api, badge["accept_badge_url"])
    url = f"{org_path(team)}/badges/{badge['id']}/revoke"
    assert team.api.put(url, json={}, headers=basic(team.owner)).status_code == 422  # reason required
    res = team.api.put(url, json=SEED_REVOKE, headers=basic(team.owner))
    assert res.status_code == 200, res.text
    data = res.json()["data"]
    assert data["state"] == "revoked" and data["revocation_reason"] == "Check bounced"
    assert team.api.get(path_of(badge["badge_url"])).status_code == 410
    again = team.api.put(url, json=SEED_REVOKE, headers=basic(team.owner))
    assert again.status_code == 409 and "message" in again.json()["data"]


def test_delete_withdraws(team: Team) -> None:
    badge = issued(team, team.badge())
    res = team.api.delete(f"{org_path(team)}/badges/{badge['id']}", headers=basic(team.owner))
    assert res.status_code == 200, res.text
    assert res.json()["data"]["state"] == "revoked"
    assert team.api.get(path_of(badge["badge_url"])).status_code == 410
    gone = team.api.delete(f"{org_path(team)}/badges/{badge['id']}", headers=basic(team.owner))
    assert gone.status_code == 409


def test_replace_with_the_seeds_example(team: Team) -> None:
    first, second = team.badge(), team.badge()
    old = issued(team, first)
    accept(team.api, old["accept_badge_url"])
    res = team.api.post(f"{org_path(team)}/badges/{old['id']}/replace",
                        json={**SEED_REPLACE, "badge_template_id": second}, headers=basic(team.owner))
    assert res.status_code == 201, res.text
    new = res.json()["data"]
    assert SEED_BADGE_KEYS <= set(new) and res.headers["location"] == new["badge_url"]
    assert new["badge_template"]["id"] == second and new["state"] == "accepted"
    assert new["issuer_earner_id"] == "earner-1" and new["recipient_email"] == old["recipient_email"]
    assert (new["issued_to_first_name"], new["issued_to_last_name"]) == ("Firstname", "Lastname")
    assert new["expires_at"] is None and [e["type"] for e in new["evidence"]] == ["UrlEvidence"]
    view = team.api.get(f"{org_path(team)}/badges/{old['id']}", headers=basic(team.owner)).json()["data"]
    assert view["replacement_badge_id"] == new["id"] and view["state"] == "revoked"
    redirect = team.api.get(path_of(old["badge_url"]), follow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["location"] == new["badge_url"]
    # an accepted badge's recipient cannot change
    res = team.api.post(f"{org_path(team)}/badges/{new['id']}/replace",
                        json={**SEED_REPLACE, "badge_template_id": second, "recipient_email": "x@example.org"},
                        headers=basic(team.owner))
    assert res.status_code == 409, res.text


def test_replace_a_pending_badge_may_change_the_recipient(team: Team) -> None:
    old = issued(team, team.badge())
    res = team.api.post(f"{org_path(team)}/badges/{old['id']}/replace",
                        json={**SEED_REPLACE, "badge_template_id": old["badge_template"]["id"],
                              "recipient_email": "New@Example.org"}, headers=basic(team.owner))
    assert res.status_code == 201, res.text
    new = res.json()["data"]
    assert new["recipient_email"] == "new@example.org" and new["state"] == "pending" and new["accept_badge_url"]


def test_the_seeds_batch_list_and_revoke_examples_answer_the_seeds_status_and_keys(team: Team) -> None:
    template = team.badge()
    batch = {"badges": [{**item, "badge_template_id": template} for item in SEED_BATCH["badges"]]}
    res = team.api.post(f"{org_path(team)}/badges/batch", json=batch, headers=basic(team.owner))
    assert res.status_code == 201, res.text
    assert res.json()["metadata"] == {} and all(SEED_BADGE_KEYS <= set(b) for b in res.json()["data"])
    assert [b["recipient_email"] for b in res.json()["data"]] == ["user971@example.com", "user972@example.com"]
    listed = team.api.get(f"{org_path(team)}/badges", params={"filter": f"badge_template_id::{template}"},
                          headers=basic(team.owner))
    assert listed.status_code == 200 and SEED_PAGE_KEYS <= set(listed.json()["metadata"])
    assert len(listed.json()["data"]) == 2 and all(SEED_LISTED_KEYS <= set(b) for b in listed.json()["data"])
    badge_id = listed.json()["data"][0]["id"]
    revoked = team.api.put(f"{org_path(team)}/badges/{badge_id}/revoke", json=SEED_REVOKE, headers=basic(team.owner))
    assert revoked.status_code == 200 and SEED_LISTED_KEYS <= set(revoked.json()["data"])


def test_the_dates_are_the_days_as_written_and_issued_at_date_filters_on_them(team: Team) -> None:
    template = team.badge()
    evening = issued(team, template, issued_at="2014-04-01 21:41:00 -0500", expires_at="2016-04-01 23:00:00 -0300")
    assert evening["issued_at"] == "2014-04-02T02:41:00Z" and evening["issued_at_date"] == "2014-04-01"
    assert evening["expires_at"] == "2016-04-02T02:00:00Z" and evening["expires_at_date"] == "2016-04-01"
    morning = issued(team, template, issued_at="2014-04-02T08:00:00+09:00")  # 2014-04-01 23:00 UTC
    assert morning["issued_at_date"] == "2014-04-02"

    def ids(flt: str) -> set[str]:
        return set(listed_ids(team, {"filter": f"badge_template_id::{template}|{flt}"}))

    assert ids("issued_at_date_min::2014-04-01|issued_at_date_max::2014-04-01") == {evening["id"]}
    assert ids("issued_at_date_min::2014-04-02") == {morning["id"]}
    assert ids("issued_at_min::2014-04-02") == {evening["id"]}  # the UTC day
    assert ids("issued_at_max::2014-04-01") == {morning["id"]}


def test_a_duplicate_is_the_same_issued_at_or_expires_at_moment_not_the_same_day(team: Team) -> None:
    template, email = team.badge(), unique_email("twice")
    first = issue(team, template, recipient_email=email, issued_at="2024-05-01 09:00:00 +0000",
                  expires_at="2026-01-01 00:00:00 +0000")
    assert first.status_code == 201, first.text
    # the same day at another time, another expiry: Credly issues it
    later = issue(team, template, recipient_email=email, issued_at="2024-05-01 17:30:00 +0000")
    assert later.status_code == 201, later.text
    # the same moment, written in another offset: a duplicate
    same = issue(team, template, recipient_email=email, issued_at="2024-05-01 11:00:00 +0200")
    assert same.status_code == 422 and same.json()["data"]["errors"][0]["attribute"] == "recipient_email"
    # the same expires_at, another issued_at: a duplicate too
    expiring = issue(team, template, recipient_email=email, issued_at="2024-06-01",
                     expires_at="2026-01-01T00:00:00Z")
    assert expiring.status_code == 422, expiring.text


# --- Get Issued Badges ----------------------------------------------------------------------------------

def test_list_filters_sorts_and_pages(team: Team) -> None:
    template = team.badge()
    days = [date(2020, 1, 1) + timedelta(days=n) for n in range(55)]
    made = [issued(team, template, issued_at=f"{day.isoformat()} 12:00:00 +0000") for day in days]
    accept(team.api, made[0]["accept_badge_url"])
    url = f"{org_path(team)}/badges"
    res = team.api.get(url, headers=basic(team.owner))
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["metadata"]["count"] == 50 and body["metadata"]["total_count"] == 55
    assert body["metadata"]["total_pages"] == 2 and body["metadata"]["current_page"] == 1
    assert body["metadata"]["previous_page_url"] is None and "page=2" in body["metadata"]["next_page_url"]
    second = team.api.get(path_of(body["metadata"]["next_page_url"]) + "?page=2", headers=basic(team.owner))
    assert second.json()["metadata"]["count"] == 5 and second.json()["metadata"]["next_page_url"] is None
    seen = {b["id"] for b in body["data"]} | {b["id"] for b in second.json()["data"]}
    assert seen == {b["id"] for b in made}

    assert listed_ids(team, {"filter": "state::accepted"}) == [made[0]["id"]]
    assert len(listed_ids(team, {"filter": "state::pending,accepted"})) == 50
    assert listed_ids(team, {"filter": "issued_at_min::2020-01-10|issued_at_max::2020-01-11",
                             "sort": "issued_at"}) == [made[9]["id"], made[10]["id"]]
    assert listed_ids(team, {"filter": "issued_at_max::2020-01-02", "sort": "-issued_at"}) == [
        made[1]["id"], made[0]["id"]]
    assert listed_ids(team, {"filter": f"query::{made[3]['recipient_email']}"}) == [made[3]["id"]]
    assert listed_ids(team, {"filter": "state::rejected"}) == []
    assert listed_ids(team, {"filter": "public::true"}) == [made[0]["id"]]
    assert made[0]["id"] not in listed_ids(team, {"filter": "public::false"})
    assert listed_ids(team, {"filter": "issued_at_date_min::2020-02-24", "sort": "-issued_at"}) == [made[54]["id"]]
    today = date.today().isoformat()
    assert len(listed_ids(team, {"filter": f"created_at_min::{today}|updated_at_max::{today}"})) == 50
    assert listed_ids(team, {"filter": f"state_updated_at_min::{today}|state::accepted"}) == [made[0]["id"]]
    assert listed_ids(team, {"filter": "created_at_max::2000-01-01"}) == []


def test_sort_by_template_name_then_issue_date(settings: Settings, team: Team) -> None:
    zebra, apple = named_template(settings, team, "Zebra"), named_template(settings, team, "Apple")
    z1 = issued(team, zebra, issued_at="2021-01-01")
    a1 = issued(team, apple, issued_at="2021-01-02")
    a2 = issued(team, apple, issued_at="2021-01-03")
    res = team.api.get(f"{org_path(team)}/badges", params={"sort": "badge_templates[name]|-issued_at"},
                       headers=basic(team.owner))
    assert [b["id"] for b in res.json()["data"]] == [a2["id"], a1["id"], z1["id"]]


@pytest.mark.parametrize("query", [
    {"filter": "colour::red"}, {"filter": "state::lost"}, {"filter": "issued_at_min::01/02/2020"},
    {"filter": "state"}, {"sort": "colour"}, {"filter": "public::yes"}, {"filter": "created_at_min::2020-13-01"},
    {"page": "0"}, {"page": "x"}, {"per_page": "10"}, {"per": "51"}, {"filter": "issued_at_date_max::2020-02-30"},
    # numbers are ASCII digits: "²" was a 500, "٣" read as 3, " 2" and "+2" as 2
    {"page": "\u00b2"}, {"page": "\u0663"}, {"per": " 2"}, {"per": "+2"}, {"page": "9" * 5000},
])
def test_list_refuses_unknown_keys_and_malformed_values(team: Team, query: dict[str, str]) -> None:
    res = team.api.get(f"{org_path(team)}/badges", params=query, headers=basic(team.owner))
    assert res.status_code == 400, res.text
    assert res.json()["data"]["message"]


def test_get_unknown_badge_is_404(team: Team) -> None:
    for ref in ("x" * 10, "0" * 22, "a%20b"):
        res = team.api.get(f"{org_path(team)}/badges/{ref}", headers=basic(team.owner))
        assert res.status_code == 404 and set(res.json()) == {"data"}


# --- batch ----------------------------------------------------------------------------------------------

def _batch_item(template: str, **fields: Any) -> dict[str, Any]:
    return {"user_id": "36d5ebfb-1d4f-4488-97bc-e7871cff49ca", "recipient_email": unique_email("batch"),
            "badge_template_id": template, "issued_at": "2014-04-01 09:41:00 -0500",
            "issued_to_first_name": "Alfred", "issued_to_last_name": "Skiles", "expires_at": None, **fields}


def _count(team: Team, template: str) -> int:
    res = team.api.get(f"{org_path(team)}/badges", params={"filter": f"badge_template_id::{template}"},
                       headers=basic(team.owner))
    assert res.status_code == 200, res.text
    return int(res.json()["metadata"]["total_count"])


def test_batch_issues_badges_of_several_templates(team: Team) -> None:
    first, second = team.badge(), team.badge()
    items = [_batch_item(first), _batch_item(second), _batch_item(first)]
    res = team.api.post(f"{org_path(team)}/badges/batch", json={"badges": items}, headers=basic(team.owner))
    assert res.status_code == 201, res.text
    data = res.json()["data"]
    assert [b["badge_template"]["id"] for b in data] == [first, second, first]
    assert all(SEED_BADGE_KEYS <= set(b) and b["state"] == "pending" and b["accept_badge_url"] for b in data)
    assert [b["recipient_email"] for b in data] == [i["recipient_email"] for i in items]
    assert (_count(team, first), _count(team, second)) == (2, 1)


def test_batch_failure_names_the_item_and_stores_nothing(team: Team) -> None:
    template = team.badge()
    missing = _batch_item(template)
    del missing["issued_at"]
    res = team.api.post(f"{org_path(team)}/badges/batch", json={"badges": [_batch_item(template), missing]},
                        headers=basic(team.owner))
    assert res.status_code == 422, res.text
    data = res.json()["data"]
    assert data["error_index"] == 1 and data["errors"][0]["attribute"] == "issued_at"
    assert data["errors"][0]["attribute_label"] == "Issued at" and data["errors"][0]["messages"] == ["can't be blank"]
    dup = _batch_item(template)
    res = team.api.post(f"{org_path(team)}/badges/batch", json={"badges": [_batch_item(template), dup, dup]},
                        headers=basic(team.owner))
    assert res.status_code == 422 and res.json()["data"]["error_index"] == 2, res.text
    archived = team.badge(archived=True)
    res = team.api.post(f"{org_path(team)}/badges/batch",
                        json={"badges": [_batch_item(template), _batch_item(archived)]}, headers=basic(team.owner))
    assert res.status_code == 422 and res.json()["data"]["error_index"] == 1
    assert _count(team, template) == 0  # every failed batch stored nothing


def test_batch_holds_at_most_1000_badges(team: Team) -> None:
    template = team.badge()
    over = [_batch_item(template) for _ in range(MAX_BATCH + 1)]
    res = team.api.post(f"{org_path(team)}/badges/batch", json={"badges": over}, headers=basic(team.owner))
    assert res.status_code == 422, res.text
    assert _count(team, template) == 0
    res = team.api.post(f"{org_path(team)}/badges/batch", json={"badges": over[:MAX_BATCH]},
                        headers=basic(team.owner))
    assert res.status_code == 201, res.text
    assert len(res.json()["data"]) == MAX_BATCH == _count(team, template)
    for body in ({"badges": []}, {"badges": "x"}, {}, {"badges": [_batch_item(template)], "extra": 1}):
        assert team.api.post(f"{org_path(team)}/badges/batch", json=body, headers=basic(team.owner)).status_code == 422


@pytest.mark.parametrize("accepted", [False, True])
def test_a_replacement_keeps_the_originals_user_id(team: Team, accepted: bool) -> None:
    """The seed's replace example gives no ``user_id``: the new badge stays associated with the original's user
    (its ``user.id``, and the ``user_id`` filter finds it), whether the old badge was pending or accepted."""
    old = issued(team, team.badge())
    assert old["user"] == {"id": SEED_ISSUE["user_id"]}
    if accepted:
        accept(team.api, old["accept_badge_url"])
    res = team.api.post(f"{org_path(team)}/badges/{old['id']}/replace",
                        json={**SEED_REPLACE, "badge_template_id": old["badge_template"]["id"]},
                        headers=basic(team.owner))
    assert res.status_code == 201, res.text
    new = res.json()["data"]
    assert new["user"] == {"id": SEED_ISSUE["user_id"]}
    again = team.api.get(f"{org_path(team)}/badges/{new['id']}", headers=basic(team.owner)).json()["data"]
    assert again["user"] == {"id": SEED_ISSUE["user_id"]}
    found = listed_ids(team, {"filter": f"user_id::{SEED_ISSUE['user_id']}|state::pending,accepted"})
    assert new["id"] in found and old["id"] not in found


def test_a_replacements_user_id_changes_only_while_pending(team: Team) -> None:
    template = team.badge()
    pending = issued(team, template)
    res = team.api.post(f"{org_path(team)}/badges/{pending['id']}/replace",
                        json={**SEED_REPLACE, "badge_template_id": template, "user_id": "another-user"},
                        headers=basic(team.owner))
    assert res.status_code == 201, res.text
    assert res.json()["data"]["user"] == {"id": "another-user"}
    accepted = issued(team, template)
    accept(team.api, accepted["accept_badge_url"])
    res = team.api.post(f"{org_path(team)}/badges/{accepted['id']}/replace",
                        json={**SEED_REPLACE, "badge_template_id": template, "user_id": "another-user"},
                        headers=basic(team.owner))
    assert res.status_code == 409, res.text
    assert res.json()["data"]["errors"][0]["attribute"] == "user_id"
    same = team.api.post(f"{org_path(team)}/badges/{accepted['id']}/replace",
                         json={**SEED_REPLACE, "badge_template_id": template, "user_id": SEED_ISSUE["user_id"]},
                         headers=basic(team.owner))
    assert same.status_code == 201, same.text


def test_the_issuing_user_is_recorded_and_kept_by_a_replacement(settings: Settings, team: Team) -> None:
    """Who issued a badge (the token's user) is recorded as on ``/v1`` and Badgr — by issue and batch; a
    replacement, made by another user, keeps the original's issuing user."""
    editor, other = unique_email("editor"), unique_email("editor")
    for email in (editor, other):
        res = team.api.post(f"{team.path}/staff", json={"email": email, "role": "editor"},
                            headers={"Authorization": f"Bearer {team.owner}"})
        assert res.status_code == 201, res.text
    template = team.badge()
    issued_by = issue(team, template, token=make_token(settings, editor))
    assert issued_by.status_code == 201, issued_by.text
    batch = team.api.post(f"{org_path(team)}/badges/batch", json={"badges": [
        {**item, "badge_template_id": template} for item in SEED_BATCH["badges"]]},
        headers=basic(make_token(settings, editor)))
    assert batch.status_code == 201, batch.text
    made = [issued_by.json()["data"]["id"], *(b["id"] for b in batch.json()["data"])]
    assert [stored(settings, public_id).created_by for public_id in made] == [editor] * 3
    res = team.api.post(f"{org_path(team)}/badges/{made[0]}/replace",
                        json={**SEED_REPLACE, "badge_template_id": template},
                        headers=basic(make_token(settings, other)))
    assert res.status_code == 201, res.text
    assert stored(settings, res.json()["data"]["id"]).created_by == editor
