"""Credly's listings: the issue fields kept as given, Get Issued Badges' ``user_id``/``issuer_id``/``query`` filters,
the name sorts and ``per``, a list page's fixed number of SQL statements, and ``high_volume_issued_badge_search``
(forward cursor, ``badge_format``, forged cursors refused) — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from _api_support import bearer, make_token, new_issuer, sql_statements, unique_email
from _credly_support import (
    SEED_ISSUE,
    accept,
    basic,
    credly_api_fixture,  # noqa: F401 - fixture
    named_template,
    org_path,
    path_of,
)
from _issue_support import Team, outbox_kinds, team_fixture  # noqa: F401 - fixture
from conftest import BASE_URL

from hosting import Settings

# The keys of the seed's "minimal" example (Get Badges in Bulk)
SEED_MINIMAL_KEYS = {
    "id", "issued_to", "issued_to_first_name", "issued_to_last_name", "issuer_earner_id", "public",
    "recipient_email", "state", "created_at", "expires_at", "issued_at", "state_updated_at", "badge_template",
}
# The keys of the seed's "default" example (Get Badges in Bulk)
SEED_DEFAULT_KEYS = SEED_MINIMAL_KEYS | {
    "locale", "replacement_badge_id", "revocation_reason", "suppress_badge_notification_email", "expires_at_date",
    "issued_at_date", "badge_url", "issuer",
}


def _issued(team: Team, template: str, **body: Any) -> dict[str, Any]:
    data = {**SEED_ISSUE, "badge_template_id": template, "recipient_email": unique_email("earner"), **body}
    res = team.api.post(f"{org_path(team)}/badges", json=data, headers=basic(team.owner))
    assert res.status_code == 201, res.text
    made: dict[str, Any] = res.json()["data"]
    return made


def _batch(team: Team, templates: list[str], count: int) -> list[dict[str, Any]]:
    """``count`` badges in one batch, cycling through ``templates`` (one transaction: they share created_at)."""
    items = [{**SEED_ISSUE, "badge_template_id": templates[n % len(templates)], "user_id": None,
              "recipient_email": f"earner{n}-{unique_email('b')}", "issued_to_first_name": f"First{n:03d}",
              "issued_to_last_name": f"Last{n:03d}", "suppress_badge_notification_email": True}
             for n in range(count)]
    res = team.api.post(f"{org_path(team)}/badges/batch", json={"badges": items}, headers=basic(team.owner))
    assert res.status_code == 201, res.text
    made: list[dict[str, Any]] = res.json()["data"]
    return made


def _ids(team: Team, query: dict[str, str], path: str = "badges") -> list[str]:
    res = team.api.get(f"{org_path(team)}/{path}", params=query, headers=basic(team.owner))
    assert res.status_code == 200, res.text
    return [b["id"] for b in res.json()["data"]]


# --- the issue fields, kept as given ---------------------------------------------------------------------

def test_first_and_last_names_user_id_and_suppression_read_back_as_given(settings: Settings, team: Team) -> None:
    template = team.badge()
    made = _issued(team, template, issued_to_first_name="Ada Byron", issued_to_last_name="King",
                   user_id="95787b46-352d-4d04-a27d-bf1d0cd9c5c6", suppress_badge_notification_email=True)
    res = team.api.get(f"{org_path(team)}/badges/{made['id']}", headers=basic(team.owner))
    assert res.status_code == 200, res.text
    read = res.json()["data"]
    assert (read["issued_to_first_name"], read["issued_to_last_name"]) == ("Ada Byron", "King")
    assert read["issued_to"] == "Ada Byron King"
    assert read["user"] == {"id": "95787b46-352d-4d04-a27d-bf1d0cd9c5c6"}
    assert read["suppress_badge_notification_email"] is True
    assert outbox_kinds(settings, made["id"]) == []  # suppressed: no email queued
    plain = _issued(team, template)
    read = team.api.get(f"{org_path(team)}/badges/{plain['id']}", headers=basic(team.owner)).json()["data"]
    assert read["suppress_badge_notification_email"] is False and read["user"] == {"id": SEED_ISSUE["user_id"]}
    assert read["issued_to_first_name"] == SEED_ISSUE["issued_to_first_name"]


def test_a_user_id_longer_than_stored_is_refused(team: Team) -> None:
    res = team.api.post(f"{org_path(team)}/badges", headers=basic(team.owner), json={
        **SEED_ISSUE, "badge_template_id": team.badge(), "user_id": "u" * 256})
    assert res.status_code == 422 and res.json()["data"]["errors"][0]["attribute"] == "user_id"


# --- Get Issued Badges: filters, sorts, per --------------------------------------------------------------

def test_user_id_and_issuer_id_filters(team: Team) -> None:
    template = team.badge()
    mine = _issued(team, template, user_id="user-42")
    other = _issued(team, template, user_id="user-43")
    assert _ids(team, {"filter": "user_id::user-42"}) == [mine["id"]]
    assert _ids(team, {"filter": "user_id::user-4"}) == []  # exact, not partial
    org = team.issuer["id"]
    assert set(_ids(team, {"filter": f"issuer_id::{org}"})) == {mine["id"], other["id"]}
    assert set(_ids(team, {"filter": f"issuer_id::someone-else,{org}|user_id::user-43"})) == {other["id"]}
    assert _ids(team, {"filter": "issuer_id::someone-else"}) == []


def test_another_organisations_id_does_not_reach_its_badges(team: Team) -> None:
    """``issuer_id`` naming an organisation the caller also owns still lists the path's organisation only."""
    template = team.badge()
    _issued(team, template)
    second = new_issuer(team.api, team.owner)
    assert _ids(team, {"filter": f"issuer_id::{second['id']}"}) == []


def test_query_searches_template_and_earner_names_and_email(settings: Settings, team: Team) -> None:
    zebra, plain = named_template(settings, team, "Zebra Wrangling"), named_template(settings, team, "Plain")
    at_domain = _issued(team, plain, recipient_email="ann@example.com", issued_to_first_name="Grace",
                        issued_to_last_name="Hopper")
    at_sub = _issued(team, plain, recipient_email="bob@mail.example.com")
    elsewhere = _issued(team, zebra, recipient_email="cy@example.com.au")
    assert _ids(team, {"filter": "query::@example.com"}) == [at_domain["id"]]
    assert _ids(team, {"filter": "query::@*.example.com"}) == [at_sub["id"]]
    assert _ids(team, {"filter": "query::@EXAMPLE.COM.au"}) == [elsewhere["id"]]
    assert _ids(team, {"filter": "query::wrangl"}) == [elsewhere["id"]]  # the template's name
    assert _ids(team, {"filter": "query::grace hop"}) == [at_domain["id"]]  # the earner's full name
    assert _ids(team, {"filter": "query::mail.example"}) == [at_sub["id"]]  # part of an address
    assert _ids(team, {"filter": "query::%"}) == []  # LIKE wildcards are matched literally
    assert _ids(team, {"filter": "query::_"}) == []


def test_query_domain_forms_refuse_a_malformed_domain(team: Team) -> None:
    res = team.api.get(f"{org_path(team)}/badges", params={"filter": "query::@*."}, headers=basic(team.owner))
    assert res.status_code == 400 and "query" in res.json()["data"]["message"]


def test_sort_by_the_earners_first_then_last_name(team: Team) -> None:
    template = team.badge()
    b = _issued(team, template, issued_to_first_name="bea", issued_to_last_name="Adams")
    a2 = _issued(team, template, issued_to_first_name="Al", issued_to_last_name="Zed")
    a1 = _issued(team, template, issued_to_first_name="Al", issued_to_last_name="Young")
    assert _ids(team, {"sort": "users[first_name]|users[last_name]"}) == [a1["id"], a2["id"], b["id"]]
    assert _ids(team, {"sort": "-users[last_name]"}) == [a2["id"], a1["id"], b["id"]]


def test_per_sets_the_page_size(team: Team) -> None:
    _batch(team, [team.badge()], 7)
    res = team.api.get(f"{org_path(team)}/badges", params={"per": "3", "page": "3"}, headers=basic(team.owner))
    meta = res.json()["metadata"]
    assert (meta["count"], meta["per"], meta["total_pages"], meta["next_page_url"]) == (1, 3, 3, None)
    assert "per=3" in meta["previous_page_url"]


@pytest.mark.parametrize("per", ["0", "51", "x", "-1", "2.5"])
def test_per_outside_1_to_50_is_a_400(team: Team, per: str) -> None:
    res = team.api.get(f"{org_path(team)}/badges", params={"per": per}, headers=basic(team.owner))
    assert res.status_code == 400 and res.json()["data"]["errors"][0]["attribute"] == "per"


# --- a list page's queries ------------------------------------------------------------------------------

def test_a_list_page_costs_a_fixed_number_of_statements(team: Team) -> None:
    templates = [team.badge() for _ in range(3)]
    made = _batch(team, templates, 50)
    accept(team.api, made[0]["accept_badge_url"])
    old = _issued(team, templates[0])
    res = team.api.post(f"{org_path(team)}/badges/{old['id']}/replace", headers=basic(team.owner), json={
        "badge_template_id": templates[1], "issued_at": "2020-01-01", "issued_to_first_name": "A",
        "issued_to_last_name": "B"})
    assert res.status_code == 201, res.text
    new_id = res.json()["data"]["id"]
    counts = {}
    for per in ("50", "2"):
        with sql_statements() as seen:
            res = team.api.get(f"{org_path(team)}/badges", params={"per": per, "sort": "-created_at"},
                               headers=basic(team.owner))
        assert res.status_code == 200, res.text
        page = res.json()["data"]
        assert len(page) == int(per)
        counts[per] = len(seen)
    listed = {b["id"]: b for page in ("1", "2") for b in team.api.get(
        f"{org_path(team)}/badges", params={"page": page}, headers=basic(team.owner)).json()["data"]}
    # what the batched loads fill in: the replacement, the accept links, the templates
    assert listed[old["id"]]["replacement_badge_id"] == new_id and listed[old["id"]]["state"] == "revoked"
    assert listed[made[0]["id"]]["accept_badge_url"] is None and listed[made[0]["id"]]["state"] == "accepted"
    assert all(listed[b["id"]]["accept_badge_url"] == b["accept_badge_url"] for b in made[1:])
    assert {b["badge_template"]["id"] for b in listed.values()} == set(templates)
    assert counts["50"] == counts["2"], counts  # constant: no query per badge
    # token, organisation and role (3), count and page (2), templates, accept links, replacements (3), and the
    # transactions' BEGINs: 10 today; a little room for the auth path, none for a query per badge
    assert counts["50"] <= 12, counts


# --- high_volume_issued_badge_search --------------------------------------------------------------------

def _search(team: Team, url: str, token: str | None = None, **params: str) -> Any:
    return team.api.get(url, params=params or None, headers=basic(token or team.owner))


def _walk(team: Team, **params: str) -> list[dict[str, Any]]:
    url: str | None = f"{org_path(team)}/high_volume_issued_badge_search"
    seen: list[dict[str, Any]] = []
    first = True
    while url:
        res = _search(team, url, **(params if first else {}))
        assert res.status_code == 200, res.text
        body = res.json()
        seen.extend(body["data"])
        assert body["metadata"]["count"] == len(body["data"]) <= 50
        url = body["metadata"]["next_page_url"]
        if url:
            assert url.startswith(BASE_URL)
            url = url.removeprefix(BASE_URL)
        first = False
    return seen


def test_the_cursor_walks_every_badge_once_in_creation_order(team: Team) -> None:
    # ties of created_at within each batch; one template a batch, as a batch is written one template at a time
    made = _batch(team, [team.badge()], 60) + _batch(team, [team.badge()], 60)
    walked = _walk(team)
    assert [b["id"] for b in walked] == [b["id"] for b in made]
    assert set(walked[0]) >= SEED_DEFAULT_KEYS
    assert walked[0]["accept_badge_url"]


def test_the_cursor_keeps_the_filter(team: Team) -> None:
    templates = [team.badge(), team.badge()]
    made = _batch(team, templates, 110)
    wanted = [b["id"] for b in made if b["badge_template"]["id"] == templates[1]]
    walked = _walk(team, filter=f"badge_template_id::{templates[1]}|state::pending", badge_format="minimal")
    assert [b["id"] for b in walked] == wanted
    assert all(set(b) == SEED_MINIMAL_KEYS for b in walked)
    assert walked[0]["badge_template"] == {"id": templates[1], "name": "Gold Star"}


def test_an_empty_result_has_no_next_page(team: Team) -> None:
    res = _search(team, f"{org_path(team)}/high_volume_issued_badge_search")
    assert res.status_code == 200 and res.json() == {"data": [], "metadata": {"count": 0, "next_page_url": None}}


def _next_cursor(team: Team, **params: str) -> str:
    res = _search(team, f"{org_path(team)}/high_volume_issued_badge_search", **params)
    assert res.status_code == 200, res.text
    url = res.json()["metadata"]["next_page_url"]
    assert url
    return parse_qs(urlsplit(url).query)["cursor"][0]


def _refused(team: Team, org: str, cursor: str, token: str | None = None, **params: str) -> dict[str, Any]:
    res = _search(team, f"/v1/organizations/{org}/high_volume_issued_badge_search", token, cursor=cursor, **params)
    assert res.status_code == 400, res.text
    data: dict[str, Any] = res.json()["data"]
    assert data["errors"][0]["attribute"] == "cursor"
    return data


def test_forged_and_edited_cursors_are_a_clear_400(team: Team) -> None:
    _batch(team, [team.badge()], 51)
    cursor = _next_cursor(team)
    org = team.issuer["id"]
    edited = cursor[:40] + ("A" if cursor[40] != "A" else "B") + cursor[41:]
    assert "tampered" in _refused(team, org, edited)["message"]
    assert "tampered" in _refused(team, org, "gAAAAA" + "x" * 80)["message"]
    assert "tampered" in _refused(team, org, "é")["message"]
    assert "tampered" in _refused(team, org, "A" * 5000)["message"]
    # the cursor of another filter on the same organisation
    assert "another query" in _refused(team, org, cursor, filter="state::pending")["message"]


def test_another_organisations_cursor_is_refused(settings: Settings, team: Team) -> None:
    _batch(team, [team.badge()], 51)
    cursor = _next_cursor(team)
    second = new_issuer(team.api, team.owner)  # same owner: only the cursor's binding stops it
    assert "another query" in _refused(team, second["id"], cursor)["message"]
    stranger = make_token(settings, unique_email("stranger"))
    res = _search(team, f"{org_path(team)}/high_volume_issued_badge_search", stranger, cursor=cursor)
    assert res.status_code == 404  # no role on the organisation: it does not exist


def test_a_native_listing_cursor_is_refused_here(team: Team) -> None:
    """The native ``/v1`` listing's cursors share the server secret; their binding keeps them apart."""
    _batch(team, [team.badge()], 2)
    res = team.api.get(f"{team.path}/assertions", params={"cursor": "", "per_page": "1"}, headers=bearer(team.owner))
    assert res.status_code == 200, res.text
    native = res.json()["metadata"]["next_cursor"]
    assert native
    assert "another query" in _refused(team, team.issuer["id"], native)["message"]


@pytest.mark.parametrize("params", [
    {"badge_format": "full"}, {"page": "2"}, {"sort": "issued_at"}, {"filter": "colour::red"}, {"per": "10"},
])
def test_the_search_refuses_unknown_parameters_and_values(team: Team, params: dict[str, str]) -> None:
    res = _search(team, f"{org_path(team)}/high_volume_issued_badge_search", **params)
    assert res.status_code == 400, res.text
    assert res.json()["data"]["message"].startswith("invalid query")


def test_the_search_needs_basic_auth(team: Team) -> None:
    res = team.api.get(f"{org_path(team)}/high_volume_issued_badge_search")
    assert res.status_code == 401


def test_accepted_badges_show_in_the_search_as_accepted(team: Team) -> None:
    made = _batch(team, [team.badge()], 3)
    accept(team.api, made[1]["accept_badge_url"])
    walked = _walk(team, filter="state::accepted", badge_format="minimal")
    assert [(b["id"], b["state"], b["public"]) for b in walked] == [(made[1]["id"], "accepted", True)]
    assert walked[0]["issued_to_first_name"] == "First001"
    assert path_of(made[1]["badge_url"]).startswith("/public/")
