"""Issuer API: listing assertions (filters, sorting, pages, cursors, roles, hostile queries), SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from litestar.testing import TestClient

from hosting import Settings
from hosting.storage.store import HostingStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer, make_token, new_issuer, unique_email
from _listing_support import Spec, bulk_insert, issuer_row, make_badges, write_assertions
from conftest import BASE_URL, run_store


@dataclass
class World:
    token: str
    issuer: str
    badges: list[dict[str, str]]  # id, slug, name
    ids: dict[str, str]  # label -> assertion public id

    def get(self, api: TestClient[Any], query: str = "", *, badge: int | None = None) -> Any:
        path = f"/v1/issuers/{self.issuer}/assertions" if badge is None else \
            f"/v1/issuers/{self.issuer}/badges/{self.badges[badge]['slug']}/assertions"
        return api.get(f"{path}?{query}" if query else path, headers=bearer(self.token))

    def labels(self, api: TestClient[Any], query: str = "", *, badge: int | None = None) -> list[str]:
        res = self.get(api, query, badge=badge)
        assert res.status_code == 200, res.text
        by_id = {v: k for k, v in self.ids.items()}
        return [by_id[item["id"]] for item in res.json()["assertions"]]


# label: (spec). Created one day apart in this order (created_day = position), issued on `day`.
SPECS = {
    "alice": Spec("alice@example.org", badge=0, day=4, earner_id="E-1"),
    "bob": Spec("bob@example.org", badge=1, day=1, state="revoked"),
    "carol-old": Spec("carol@example.org", badge=0, day=2, state="replaced"),
    "dave": Spec("dave@example.org", badge=1, day=9, expires_in_days=-1),
    "eve": Spec("eve_x%@example.org", badge=0, day=3, expires_in_days=30),
}


@pytest.fixture(scope="module")
def world(api: TestClient[Any], settings: Settings) -> World:
    token = make_token(settings, unique_email("owner"))
    issuer = new_issuer(api, token)

    async def _fill(store: HostingStore) -> tuple[list[dict[str, str]], dict[str, str]]:
        badges = await make_badges(store, issuer["id"], ["Gold Star", "Silver_Moon 100%"])
        specs = [Spec(**{**spec.__dict__, "created_day": n}) for n, spec in enumerate(SPECS.values())]
        rows = await write_assertions(store, badges, specs)
        labels = ["alice", "bob", "carol-new", "carol-old", "dave", "eve"]
        return ([{"id": b.public_id, "slug": b.slug, "name": b.name} for b in badges],
                {label: row.public_id for label, row in zip(labels, rows, strict=True)})

    badges, ids = run_store(settings, _fill)
    return World(token=token, issuer=issuer["id"], badges=badges, ids=ids)


ALL = {"alice", "bob", "carol-old", "carol-new", "dave", "eve"}


# --- states --------------------------------------------------------------------------------------------------

def test_default_lists_every_state_in_creation_order(api: TestClient[Any], world: World) -> None:
    # carol-new was created by the replacement, after the others' back-dated creation times
    assert world.labels(api) == ["alice", "bob", "carol-old", "dave", "eve", "carol-new"]


@pytest.mark.parametrize(("states", "expected"), [
    ("active", {"alice", "carol-new", "eve"}),
    ("expired", {"dave"}),
    ("revoked", {"bob"}),
    ("replaced", {"carol-old"}),
    ("revoked,replaced", {"bob", "carol-old"}),
    ("active, expired", {"alice", "carol-new", "eve", "dave"}),
])
def test_state_filter(api: TestClient[Any], world: World, states: str, expected: set[str]) -> None:
    assert set(world.labels(api, f"filter=state::{quote(states)}")) == expected


def test_badgr_include_flags_drop_revoked_and_expired(api: TestClient[Any], world: World) -> None:
    assert set(world.labels(api, "include_revoked=false")) == ALL - {"bob"}
    assert set(world.labels(api, "include_expired=false")) == ALL - {"dave"}
    assert set(world.labels(api, "include_revoked=false&include_expired=false")) == ALL - {"bob", "dave"}
    assert set(world.labels(api, "include_revoked=true&include_expired=true")) == ALL


def test_item_is_the_private_view(api: TestClient[Any], world: World) -> None:
    items = {item["id"]: item for item in world.get(api).json()["assertions"]}
    old = items[world.ids["carol-old"]]
    assert old["state"] == "replaced" and old["replacedBy"] == world.ids["carol-new"]
    assert old["recipient"]["identity"] == "carol@example.org"  # plaintext, though the public one is hashed
    assert old["badge"]["id"] == world.badges[0]["id"]
    dave = items[world.ids["dave"]]
    assert dave["state"] == "active" and dave["expired"] is True
    assert items[world.ids["bob"]]["revocationReason"] == "test"
    assert items[world.ids["alice"]]["issuerEarnerId"] == "E-1"
    assert items[world.ids["alice"]]["issuedOn"] == "2026-01-05T00:00:00Z"


# --- filters -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "expected"), [
    ("ALICE", {"alice"}),  # case-insensitive, recipient
    ("gold", {"alice", "carol-old", "carol-new", "eve"}),  # badge name
    ("x%", {"eve"}),  # % is literal (unescaped it would match every example.org)
    ("_", {"eve", "bob", "dave"}),  # _ is literal: eve's address, the Silver_Moon badge
    ("100%", {"bob", "dave"}),
    ("nobody", set()),
])
def test_query_is_a_partial_case_insensitive_match_with_literal_wildcards(
        api: TestClient[Any], world: World, query: str, expected: set[str]) -> None:
    assert set(world.labels(api, f"filter=query::{quote(query)}")) == expected


def test_recipient_filter_and_badgr_recipient(api: TestClient[Any], world: World) -> None:
    assert set(world.labels(api, "filter=recipient::carol@example.org")) == {"carol-old", "carol-new"}
    assert set(world.labels(api, "recipient=Carol@Example.org")) == {"carol-old", "carol-new"}
    assert world.labels(api, "filter=recipient::carol") == []  # exact, not partial


def test_badge_filter_and_badge_path(api: TestClient[Any], world: World) -> None:
    silver = world.badges[1]
    assert set(world.labels(api, f"filter=badge::{silver['slug']}")) == {"bob", "dave"}
    assert set(world.labels(api, f"filter=badge::{silver['id']}")) == {"bob", "dave"}
    both = f"{world.badges[0]['slug']},{silver['id']}"
    assert set(world.labels(api, f"filter=badge::{both}")) == ALL
    assert world.labels(api, "filter=badge::no-such-badge") == []
    assert set(world.labels(api, badge=1)) == {"bob", "dave"}
    assert set(world.labels(api, "filter=state::active", badge=0)) == {"alice", "carol-new", "eve"}


def test_issuer_earner_id_filter(api: TestClient[Any], world: World) -> None:
    assert world.labels(api, "filter=issuer_earner_id::E-1") == ["alice"]


@pytest.mark.parametrize(("query", "expected"), [
    ("filter=issued_at_min::2026-01-04", {"eve", "alice", "dave"}),  # eve Jan 4, alice Jan 5, dave Jan 10
    ("filter=issued_at_max::2026-01-03", {"carol-old", "carol-new", "bob"}),  # a date max includes its day
    ("filter=issued_at_min::2026-01-03T00:00:00Z|issued_at_max::2026-01-04T23:59:59%2B00:00",
     {"carol-old", "carol-new", "eve"}),
    ("filter=issued_at_max::2026-01-03T00:00:00", {"bob", "carol-old", "carol-new"}),  # naive = UTC
    ("filter=created_at_min::2026-01-02|created_at_max::2026-01-04", {"bob", "carol-old", "dave"}),
])
def test_date_filters(api: TestClient[Any], world: World, query: str, expected: set[str]) -> None:
    assert set(world.labels(api, query)) == expected


def test_filters_combine(api: TestClient[Any], world: World) -> None:
    assert world.labels(api, "filter=state::active|query::gold|issued_at_min::2026-01-05") == ["alice"]
    assert world.labels(api, "filter=state::active|query::gold|issued_at_min::2026-01-04") == ["alice", "eve"]


# --- sorting -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("sort", "expected"), [
    ("issued_at", ["bob", "carol-old", "carol-new", "eve", "alice", "dave"]),
    ("-issued_at", ["dave", "alice", "eve", "carol-new", "carol-old", "bob"]),
    ("recipient", ["alice", "bob", "carol-old", "carol-new", "dave", "eve"]),
    ("-created_at", ["carol-new", "eve", "dave", "carol-old", "bob", "alice"]),
])
def test_sort(api: TestClient[Any], world: World, sort: str, expected: list[str]) -> None:
    assert world.labels(api, f"sort={sort}") == expected


def test_sort_by_badge_name_then_id(api: TestClient[Any], world: World) -> None:
    labels = world.labels(api, "sort=badge_name")
    assert set(labels[:4]) == {"alice", "carol-old", "carol-new", "eve"} and set(labels[4:]) == {"bob", "dave"}
    assert world.labels(api, "sort=-badge_name") == list(reversed(labels))


# --- pages ---------------------------------------------------------------------------------------------------

def test_pages_metadata_and_link_header(api: TestClient[Any], world: World) -> None:
    res = world.get(api, "per_page=2&page=2&filter=state::active,revoked,replaced,expired&sort=issued_at")
    assert res.status_code == 200
    meta = res.json()["metadata"]
    assert [i["id"] for i in res.json()["assertions"]] == [world.ids["carol-new"], world.ids["eve"]]
    assert {k: meta[k] for k in ("count", "current_page", "total_count", "total_pages")} == {
        "count": 2, "current_page": 2, "total_count": 6, "total_pages": 3}
    nxt = parse_qs(urlsplit(meta["next_page_url"]).query)
    assert nxt["page"] == ["3"] and nxt["per_page"] == ["2"] and nxt["sort"] == ["issued_at"]
    assert nxt["filter"] == ["state::active,revoked,replaced,expired"]
    assert parse_qs(urlsplit(meta["previous_page_url"]).query)["page"] == ["1"]
    assert meta["next_page_url"].startswith(f"{BASE_URL}/v1/issuers/{world.issuer}/assertions?")
    link = res.headers["link"]
    for rel in ("first", "last", "next", "prev"):
        assert f'rel="{rel}"' in link
    # following next_page_url gives the last page, which has no next
    last = api.get(meta["next_page_url"], headers=bearer(world.token)).json()
    assert [i["id"] for i in last["assertions"]] == [world.ids["alice"], world.ids["dave"]]
    assert last["metadata"]["next_page_url"] is None


def test_defaults_and_page_past_the_end(api: TestClient[Any], world: World) -> None:
    meta = world.get(api).json()["metadata"]
    assert meta["per_page"] == 50 and meta["current_page"] == 1 and meta["total_pages"] == 1
    assert meta["next_page_url"] is None and meta["previous_page_url"] is None
    past = world.get(api, "page=9").json()
    assert past["assertions"] == [] and past["metadata"]["total_count"] == 6


# --- cursors -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def crowd(api: TestClient[Any], settings: Settings) -> World:
    """An issuer with 230 assertions, three per created_at second (ties), for the cursor tests."""
    token = make_token(settings, unique_email("owner"))
    issuer = new_issuer(api, token)

    async def _fill(store: HostingStore) -> list[dict[str, str]]:
        (badge,) = await make_badges(store, issuer["id"], ["Crowd"])
        await bulk_insert(store, badge, 230, per_second=3)
        return [{"id": badge.public_id, "slug": badge.slug, "name": badge.name}]

    return World(token=token, issuer=issuer["id"], badges=run_store(settings, _fill), ids={})


def _walk(api: TestClient[Any], world: World, query: str) -> tuple[list[str], int]:
    """Follow next_cursor from ``cursor=`` to the end; returns the recipients and the number of pages."""
    recipients: list[str] = []
    cursor, pages = "", 0
    while cursor is not None:
        res = world.get(api, f"{query}&cursor={quote(cursor)}")
        assert res.status_code == 200, res.text
        body = res.json()
        assert body["metadata"]["total_count"] is None and body["metadata"]["current_page"] is None
        recipients += [item["recipient"]["identity"] for item in body["assertions"]]
        cursor, pages = body["metadata"]["next_cursor"], pages + 1
        assert (cursor is None) == (body["metadata"]["next_page_url"] is None)
    return recipients, pages


def _earners(numbers: Any) -> list[str]:
    return [f"earner{n}@example.org" for n in numbers]


def test_cursor_walks_every_row_once_in_order(api: TestClient[Any], crowd: World) -> None:
    recipients, pages = _walk(api, crowd, "per_page=7")
    assert recipients == _earners(range(230))  # ties broken by id: insertion order
    assert pages == 33


def test_cursor_descending_with_filter(api: TestClient[Any], crowd: World) -> None:
    recipients, _ = _walk(api, crowd, "per_page=10&sort=-issued_at&filter=issued_at_max::2026-01-01T00:00:49Z")
    # seconds 0..49 hold earners 0..149 (3 per second); descending by (issued_on, id)
    assert recipients == _earners(range(149, -1, -1))


def test_cursor_on_the_badge_path_and_next_page_url(api: TestClient[Any], crowd: World) -> None:
    first = crowd.get(api, "per_page=100&cursor=", badge=0).json()
    url = first["metadata"]["next_page_url"]
    assert "cursor=" in url and f"/badges/{crowd.badges[0]['slug']}/" in url
    second = api.get(url, headers=bearer(crowd.token)).json()
    assert [i["recipient"]["identity"] for i in second["assertions"]] == _earners(range(100, 200))


def test_page_mode_offers_a_cursor_to_continue(api: TestClient[Any], crowd: World) -> None:
    page = crowd.get(api, "per_page=50&page=2").json()
    rest = crowd.get(api, f"per_page=50&cursor={quote(page['metadata']['next_cursor'])}").json()
    assert [i["recipient"]["identity"] for i in rest["assertions"]] == _earners(range(100, 150))


def test_tampered_or_garbled_cursor_is_400(api: TestClient[Any], crowd: World) -> None:
    cursor = crowd.get(api, "per_page=5&cursor=").json()["metadata"]["next_cursor"]
    flipped = cursor[:20] + ("A" if cursor[20] != "A" else "B") + cursor[21:]
    for bad in (flipped, cursor[:-3], "garbage", "☃", "x" * 5000, cursor[::-1]):
        res = crowd.get(api, f"per_page=5&cursor={quote(bad)}")
        assert res.status_code == 400, bad
        assert res.json()["code"] == "ValidationError" and res.json()["details"][0]["field"] == "cursor"


def test_cursor_is_bound_to_its_query(api: TestClient[Any], crowd: World, world: World) -> None:
    cursor = quote(crowd.get(api, "per_page=5&cursor=").json()["metadata"]["next_cursor"])
    assert crowd.get(api, f"per_page=5&cursor={cursor}").status_code == 200
    assert crowd.get(api, f"per_page=9&cursor={cursor}").status_code == 200  # page size may change
    for other in ("filter=state::active", "sort=-created_at", "sort=issued_at", "include_revoked=false"):
        assert crowd.get(api, f"{other}&cursor={cursor}").status_code == 400, other
    assert world.get(api, f"cursor={cursor}").status_code == 400  # another issuer's listing


@pytest.mark.parametrize("query", ["sort=badge_name&cursor=", "sort=-recipient&cursor=", "page=2&cursor="])
def test_cursor_refuses_unsupported_combinations(api: TestClient[Any], world: World, query: str) -> None:
    res = world.get(api, query)
    assert res.status_code == 400 and res.json()["details"]


# --- validation ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "field"), [
    ("filter=colour::red", "filter"),
    ("filter=::", "filter"),
    ("filter=state", "filter"),
    ("filter=state::", "filter.state"),
    ("filter=state::active,,revoked", "filter.state"),
    ("filter=state::deleted", "filter.state"),
    ("filter=state::active|state::revoked", "filter.state"),
    ("filter=issued_at_min::yesterday", "filter.issued_at_min"),
    ("filter=issued_at_max::2026-13-01", "filter.issued_at_max"),
    ("filter=created_at_min::2026-01-01T25:00:00Z", "filter.created_at_min"),
    ("filter=created_at_max::0001-01-01T00:00:00%2B01:00", "filter.created_at_max"),
    ("filter=issued_at_min::12345", "filter.issued_at_min"),
    ("filter=query::" + "x" * 10_000, "filter.query"),
    ("filter=query::a%00b", "filter.query"),
    ("filter=recipient::a%0Ab", "filter.recipient"),
    ("sort=name", "sort"),
    ("sort=--created_at", "sort"),
    ("per_page=101", "per_page"),
    ("per_page=0", "per_page"),
    ("per_page=-5", "per_page"),
    ("page=0", "page"),
    ("page=abc", "page"),
    ("page=99999999999999999999999", "page"),
    ("page=%D9%A3", "page"),  # "٣", an Arabic-Indic 3: \d matched it and int() read 3
    ("per_page=%D9%A1%D9%A0", "per_page"),  # "١٠"
    ("page=%C2%B2", "page"),  # "²"
    ("page=%2B5", "page"),
    ("page=1_0", "page"),
    ("include_revoked=maybe", "include_revoked"),
    ("recipient=", "recipient"),
])
def test_bad_query_is_400_with_details(api: TestClient[Any], world: World, query: str, field: str) -> None:
    res = world.get(api, query)
    assert res.status_code == 400, res.text
    body = res.json()
    assert body["code"] == "ValidationError"
    assert field in {d["field"] for d in body["details"]}


def test_every_problem_is_reported_at_once(api: TestClient[Any], world: World) -> None:
    res = world.get(api, "filter=colour::red|state::gone&sort=x&per_page=1000")
    assert {d["field"] for d in res.json()["details"]} == {"filter", "filter.state", "sort", "per_page"}


@pytest.mark.parametrize("query", [
    "filter=%7C%7C%7C", "filter=", "filter=query::%F0%9F%8E%96%EF%B8%8F", "filter=query::%C3%A9l%C3%A8ve",
    "filter=query::%FF%FE", "filter=recipient::%ED%A0%80", "filter=query::' OR 1=1 --", "filter=badge::%27%3B", "sort=", "sort=-",
    "filter=recipient::" + "%E2%98%83" * 3000, "cursor=%00", "filter=query::%5C", "per_page=1e3",
    "filter=a::b::c", "page=1&page=2", "filter=x&filter=y", "include_expired=%00", "&&&=&=",
])
def test_hostile_queries_never_500(api: TestClient[Any], world: World, query: str) -> None:
    res = world.get(api, query)
    assert res.status_code in (200, 400), res.text
    assert res.json()["code" if res.status_code == 400 else "metadata"]


def test_query_backslash_is_literal(api: TestClient[Any], world: World) -> None:
    assert world.labels(api, "filter=query::%5C") == []


# --- access --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["owner", "editor", "staff"])
def test_any_role_can_list(api: TestClient[Any], world: World, settings: Settings, role: str) -> None:
    email = unique_email(role)
    added = api.post(f"/v1/issuers/{world.issuer}/staff", json={"email": email, "role": role},
                     headers=bearer(world.token))
    assert added.status_code == 201, added.text
    member = make_token(settings, email, scopes=["issuer:read"])
    res = api.get(f"/v1/issuers/{world.issuer}/assertions", headers=bearer(member))
    assert res.status_code == 200 and res.json()["metadata"]["total_count"] == 6


def test_no_role_is_404_and_admin_sees_all(api: TestClient[Any], world: World, settings: Settings) -> None:
    stranger = make_token(settings, unique_email("stranger"))
    for path in ("assertions", f"badges/{world.badges[0]['slug']}/assertions"):
        res = api.get(f"/v1/issuers/{world.issuer}/{path}", headers=bearer(stranger))
        assert res.status_code == 404 and res.json()["code"] == "ResourceNotFound"
    admin = make_token(settings, unique_email("admin"), admin=True)
    assert api.get(f"/v1/issuers/{world.issuer}/assertions", headers=bearer(admin)).json()["metadata"][
        "total_count"] == 6


def test_scope_and_token_are_required(api: TestClient[Any], world: World, settings: Settings) -> None:
    assert api.get(f"/v1/issuers/{world.issuer}/assertions?sort=bogus").status_code == 401
    writer = make_token(settings, unique_email(), scopes=["assertion:write"])
    assert api.get(f"/v1/issuers/{world.issuer}/assertions", headers=bearer(writer)).status_code == 403


def test_unknown_or_foreign_badge_is_404(api: TestClient[Any], world: World, crowd: World) -> None:
    assert world.get(api, badge=None).status_code == 200
    res = api.get(f"/v1/issuers/{world.issuer}/badges/{crowd.badges[0]['id']}/assertions", headers=bearer(world.token))
    assert res.status_code == 404
    res = api.get(f"/v1/issuers/{world.issuer}/badges/nope/assertions", headers=bearer(world.token))
    assert res.status_code == 404


def test_signed_assertion_item_carries_its_jws(api: TestClient[Any], settings: Settings) -> None:
    token = make_token(settings, unique_email("owner"))
    issuer_id = new_issuer(api, token)["id"]

    async def _sign(store: HostingStore) -> tuple[str, str]:
        await store.create_key(await issuer_row(store, issuer_id))
        (badge,) = await make_badges(store, issuer_id, ["Signed"])
        signed = await store.issue(badge, "signed@example.org", verification="signed")
        hosted = await store.issue(badge, "hosted@example.org")
        return signed.public_id, hosted.public_id

    signed, hosted = run_store(settings, _sign)
    res = api.get(f"/v1/issuers/{issuer_id}/assertions", headers=bearer(token))
    items = {item["id"]: item for item in res.json()["assertions"]}
    assert items[signed]["verification"] == "signed" and items[signed]["jws"].count(".") == 2
    assert items[hosted]["verification"] == "hosted" and "jws" not in items[hosted]


def test_openapi_documents_the_listing_parameters(api: TestClient[Any]) -> None:
    schema = api.get("/schema/openapi.json").json()
    for path in ("/v1/issuers/{issuer_ref}/assertions", "/v1/issuers/{issuer_ref}/badges/{badge_ref}/assertions"):
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"filter", "sort", "page", "per_page", "cursor", "recipient", "include_revoked",
                "include_expired"} <= names, names
