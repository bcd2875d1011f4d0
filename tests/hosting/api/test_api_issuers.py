"""Issuer API: tokens, scopes, staff visibility and the /v1/issuers endpoints, on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from hosting import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer, make_token, new_issuer, unique_email, unique_slug
from conftest import BASE_URL, run_store

# --- authentication and scopes -------------------------------------------------------------------------

def test_missing_token_is_401(api: TestClient[Any]) -> None:
    res = api.get("/v1/issuers")
    assert res.status_code == 401
    assert res.json()["code"] == "Unauthorized"


@pytest.mark.parametrize("header", ["Bearer obt_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "obt_x",
                                    "Bearer " + "x" * 5000])
def test_invalid_token_is_401(api: TestClient[Any], header: str) -> None:
    res = api.get("/v1/issuers", headers={"Authorization": header})
    assert res.status_code == 401
    assert res.json()["code"] == "Unauthorized"


def test_expired_token_is_401(api: TestClient[Any], settings: Settings) -> None:
    token = make_token(settings, unique_email(), expires_in=timedelta(seconds=-1))
    res = api.get("/v1/issuers", headers=bearer(token))
    assert res.status_code == 401 and "expired" in res.json()["message"]


def test_revoked_token_is_401(api: TestClient[Any], settings: Settings) -> None:
    token = make_token(settings, unique_email(), revoke=True)
    res = api.get("/v1/issuers", headers=bearer(token))
    assert res.status_code == 401 and "revoked" in res.json()["message"]


def test_token_without_write_scope_cannot_create_issuer_403(api: TestClient[Any], settings: Settings) -> None:
    token = make_token(settings, unique_email(), scopes=["issuer:read"])
    res = api.post("/v1/issuers", json={"name": "X", "url": "https://x.example", "email": "i@issuer.example.org"}, headers=bearer(token))
    assert res.status_code == 403
    assert res.json()["code"] == "Forbidden"
    assert api.get("/v1/issuers", headers=bearer(token)).status_code == 200


def test_token_without_read_scope_cannot_list_403(api: TestClient[Any], settings: Settings) -> None:
    token = make_token(settings, unique_email(), scopes=["assertion:write"])
    assert api.get("/v1/issuers", headers=bearer(token)).status_code == 403


def test_tokens_are_stored_hashed(settings: Settings) -> None:
    from sqlalchemy import select

    from hosting.api.auth import hash_token
    from hosting.storage.models import ApiToken

    token = make_token(settings, unique_email())

    async def _rows(store: Any) -> list[str]:
        return list((await store.session.scalars(select(ApiToken.token_hash))).all())

    hashes = run_store(settings, _rows)
    assert hash_token(token) in hashes
    assert token not in hashes and all(len(h) == 64 for h in hashes)


# --- issuers: create, read, visibility ------------------------------------------------------------------

def test_creator_becomes_owner_and_reads_by_id_and_slug(api: TestClient[Any], owner: str) -> None:
    slug = unique_slug()
    res = api.post("/v1/issuers", json={"slug": slug, "name": "Acme Academy", "url": "https://acme.example/",
                                        "email": "Badges@Acme.example", "description": "We teach."},
                   headers=bearer(owner))
    assert res.status_code == 201
    body = res.json()
    assert body["status"] == "created"
    issuer = body["issuer"]
    assert issuer["slug"] == slug and issuer["role"] == "owner" and issuer["email"] == "badges@acme.example"
    assert issuer["publicUrl"] == f"{BASE_URL}/public/issuers/{issuer['id']}"
    for ref in (issuer["id"], slug):
        got = api.get(f"/v1/issuers/{ref}", headers=bearer(owner))
        assert got.status_code == 200 and got.json()["issuer"]["id"] == issuer["id"]
    # the public document reflects the API data
    public = api.get(issuer["publicUrl"].removeprefix(BASE_URL))
    assert public.status_code == 200 and public.json()["name"] == "Acme Academy"


def test_slug_is_derived_from_the_name_when_absent(api: TestClient[Any], owner: str) -> None:
    res = api.post("/v1/issuers", json={"name": "Hello, World Badges!", "url": "https://hw.example", "email": "i@issuer.example.org"},
                   headers=bearer(owner))
    assert res.status_code == 201
    assert res.json()["issuer"]["slug"].startswith("hello-world-badges")


def test_form_encoded_body_is_accepted(api: TestClient[Any], owner: str) -> None:
    slug = unique_slug()
    res = api.post("/v1/issuers", data={"name": "Form Co", "url": "https://form.example", "email": "i@issuer.example.org", "slug": slug},
                   headers=bearer(owner))
    assert res.status_code == 201 and res.json()["issuer"]["slug"] == slug


def test_list_shows_only_issuers_with_a_role_admin_sees_all(api: TestClient[Any], settings: Settings) -> None:
    alice, bob = make_token(settings, unique_email("alice")), make_token(settings, unique_email("bob"))
    a = new_issuer(api, alice)
    b = new_issuer(api, bob)
    ids_alice = {i["id"] for i in api.get("/v1/issuers?per_page=100", headers=bearer(alice)).json()["issuers"]}
    assert a["id"] in ids_alice and b["id"] not in ids_alice
    admin = make_token(settings, unique_email("admin"), admin=True)
    listed = api.get("/v1/issuers?per_page=100", headers=bearer(admin)).json()
    total = listed["metadata"]["total_count"]
    assert total >= 2
    seen: set[str] = set()
    page = 1
    while True:
        data = api.get(f"/v1/issuers?per_page=2&page={page}", headers=bearer(admin)).json()
        seen |= {i["id"] for i in data["issuers"]}
        if data["metadata"]["next_page_url"] is None:
            break
        page += 1
    assert {a["id"], b["id"]} <= seen and len(seen) == total


def test_staff_of_issuer_a_gets_404_on_issuer_b(api: TestClient[Any], settings: Settings) -> None:
    alice, bob = make_token(settings, unique_email("alice")), make_token(settings, unique_email("bob"))
    new_issuer(api, alice)
    b = new_issuer(api, bob)
    for ref in (b["id"], b["slug"]):
        for method in ("GET", "PUT", "PATCH", "DELETE"):
            res = api.request(method, f"/v1/issuers/{ref}", headers=bearer(alice),
                              json={"name": "hijack"} if method in ("PUT", "PATCH") else None)
            assert res.status_code == 404, (method, res.text)
            assert res.json()["code"] == "ResourceNotFound"
    assert api.get(f"/v1/issuers/{b['id']}", headers=bearer(bob)).json()["issuer"]["name"] == "Test Issuer"


def test_staff_role_reads_but_cannot_edit_or_delete(api: TestClient[Any], settings: Settings, owner: str) -> None:
    from sqlalchemy import select

    from hosting.storage.models import Issuer, StaffRole

    issuer = new_issuer(api, owner)
    email = unique_email("staff")

    async def _grant(store: Any) -> None:
        iid = await store.session.scalar(select(Issuer.id).where(Issuer.public_id == issuer["id"]))
        store.session.add(StaffRole(issuer_id=iid, email=email, role="staff"))

    run_store(settings, _grant)
    staff = make_token(settings, email)
    assert api.get(f"/v1/issuers/{issuer['id']}", headers=bearer(staff)).json()["issuer"]["role"] == "staff"
    assert api.patch(f"/v1/issuers/{issuer['id']}", json={"name": "n"}, headers=bearer(staff)).status_code == 403
    assert api.delete(f"/v1/issuers/{issuer['id']}", headers=bearer(staff)).status_code == 403


def test_unknown_issuer_is_404(api: TestClient[Any], owner: str) -> None:
    for ref in ("does-not-exist", "x" * 300, "%00", "a/b"):
        res = api.get(f"/v1/issuers/{ref}", headers=bearer(owner))
        assert res.status_code == 404, ref


# --- validation ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "field"), [
    ({"url": "https://x.example"}, "name"),
    ({"name": "", "url": "https://x.example"}, "name"),
    ({"name": "n" * 256, "url": "https://x.example"}, "name"),
    ({"name": "X"}, "url"),
    ({"name": "X", "url": "example.org"}, "url"),
    ({"name": "X", "url": "javascript:alert(1)"}, "url"),
    ({"name": "X", "url": "https://"}, "url"),
    ({"name": "X", "url": "https://x.example", "slug": "Bad Slug"}, "slug"),
    ({"name": "X", "url": "https://x.example", "slug": "s" * 51}, "slug"),
    ({"name": "X", "url": "https://x.example", "email": "not-an-email"}, "email"),
    ({"name": "X", "url": "https://x.example"}, "email"),
    ({"name": "X", "url": "https://x.example", "email": "a@b..example"}, "email"),
    ({"name": "X", "url": "https://x.example:99999/", "email": "i@x.example"}, "url"),
    ({"name": ["X"], "url": "https://x.example"}, "name"),
    ({"name": "X", "url": 12}, "url"),
    ({"name": "X", "url": "https://x.example", "colour": "red"}, "colour"),
    ({"name": "nul\x00byte", "url": "https://x.example"}, "name"),
    ({"name": "X", "url": "https://x.example", "description": "a\x00b"}, "description"),
])
def test_invalid_fields_are_400_with_details(api: TestClient[Any], owner: str, body: dict[str, Any],
                                             field: str) -> None:
    res = api.post("/v1/issuers", json=body, headers=bearer(owner))
    assert res.status_code == 400, res.text
    data = res.json()
    assert data["code"] == "ValidationError"
    assert field in {d["field"] for d in data["details"]}
    assert all(set(d) >= {"field", "message", "value"} for d in data["details"])


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b"null", b"\xff\xfe", b'{"name": "x"' + b"]" * 10,
                                 b"[" * 100_000])
def test_malformed_json_is_400_not_500(api: TestClient[Any], owner: str, raw: bytes) -> None:
    headers = {**bearer(owner), "Content-Type": "application/json"}
    for method, path in (("POST", "/v1/issuers"), ("PATCH", None), ("PUT", None)):
        if path is None:
            path = f"/v1/issuers/{new_issuer(api, owner)['id']}"
        res = api.request(method, path, content=raw, headers=headers)
        assert res.status_code == 400, (method, res.text)
        assert res.json()["code"] == "ValidationError"


def test_bad_query_parameters_are_400(api: TestClient[Any], owner: str) -> None:
    for query in ("page=0", "page=abc", "per_page=101", "per_page=-1"):
        res = api.get(f"/v1/issuers?{query}", headers=bearer(owner))
        assert res.status_code == 400, query
    issuer = new_issuer(api, owner)
    assert api.delete(f"/v1/issuers/{issuer['id']}?force=maybe", headers=bearer(owner)).status_code == 400


def test_duplicate_slug_is_409(api: TestClient[Any], owner: str) -> None:
    issuer = new_issuer(api, owner)
    res = api.post("/v1/issuers", json={"name": "Y", "url": "https://y.example", "email": "i@issuer.example.org", "slug": issuer["slug"]},
                   headers=bearer(owner))
    assert res.status_code == 409 and res.json()["code"] == "ResourceConflict"
    other = new_issuer(api, owner)
    res = api.patch(f"/v1/issuers/{other['id']}", json={"slug": issuer["slug"]}, headers=bearer(owner))
    assert res.status_code == 409


# --- update and delete ---------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_update_changes_only_the_given_fields(api: TestClient[Any], owner: str, method: str) -> None:
    issuer = new_issuer(api, owner, email="a@b.example", description="old")
    res = api.request(method, f"/v1/issuers/{issuer['slug']}", json={"description": "new"},
                      headers=bearer(owner))
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["status"] == "updated"
    updated = body["issuer"]
    assert updated["description"] == "new"
    assert (updated["name"], updated["url"], updated["email"], updated["slug"]) == (
        issuer["name"], issuer["url"], issuer["email"], issuer["slug"])
    public = api.get(f"/public/issuers/{issuer['id']}").json()
    assert public["description"] == "new"


def test_update_cannot_clear_the_required_email(api: TestClient[Any], owner: str) -> None:
    issuer = new_issuer(api, owner, email="a@b.example")
    res = api.patch(f"/v1/issuers/{issuer['id']}", json={"email": None}, headers=bearer(owner))
    assert res.status_code == 400 and "email" in {d["field"] for d in res.json()["details"]}


def test_update_renames_slug(api: TestClient[Any], owner: str) -> None:
    issuer = new_issuer(api, owner, email="a@b.example")
    slug = unique_slug("renamed")
    res = api.patch(f"/v1/issuers/{issuer['id']}", json={"slug": slug}, headers=bearer(owner))
    assert res.status_code == 200 and res.json()["issuer"]["email"] == "a@b.example"
    assert api.get(f"/v1/issuers/{slug}", headers=bearer(owner)).status_code == 200
    assert api.get(f"/v1/issuers/{issuer['slug']}", headers=bearer(owner)).status_code == 404


def test_update_with_invalid_field_changes_nothing(api: TestClient[Any], owner: str) -> None:
    issuer = new_issuer(api, owner)
    res = api.patch(f"/v1/issuers/{issuer['id']}", json={"name": "New", "url": "nope"}, headers=bearer(owner))
    assert res.status_code == 400
    assert api.get(f"/v1/issuers/{issuer['id']}", headers=bearer(owner)).json()["issuer"]["name"] == issuer["name"]


def test_delete_issuer_without_assertions(api: TestClient[Any], owner: str) -> None:
    issuer = new_issuer(api, owner)
    res = api.delete(f"/v1/issuers/{issuer['id']}", headers=bearer(owner))
    assert res.status_code == 200
    assert res.json() == {"status": "deleted", "issuer": issuer | {"updatedAt": res.json()["issuer"]["updatedAt"]}}
    assert api.get(f"/v1/issuers/{issuer['id']}", headers=bearer(owner)).status_code == 404
    listed = api.get("/v1/issuers?per_page=100", headers=bearer(owner)).json()["issuers"]
    assert issuer["id"] not in {i["id"] for i in listed}
    # the slug is free again
    assert api.post("/v1/issuers", json={"name": "Again", "url": "https://a.example", "email": "i@issuer.example.org", "slug": issuer["slug"]},
                    headers=bearer(owner)).status_code == 201


def test_delete_issuer_with_assertions_is_409_unless_forced(api: TestClient[Any], settings: Settings,
                                                           owner: str) -> None:
    from sqlalchemy import select

    from hosting.storage.models import Issuer

    issuer = new_issuer(api, owner)

    async def _issue(store: Any) -> str:
        row = await store.session.scalar(select(Issuer).where(Issuer.public_id == issuer["id"]))
        from hosting.app.demo import demo_png

        image = demo_png(size=16)
        badge = await store.create_badge_class(row, slug="b", name="B", description="d", image=image,
                                               criteria_narrative="do it")
        assertion = await store.issue(badge, recipient="earner@example.org")
        return str(assertion.public_id)

    assertion_id = run_store(settings, _issue)
    assert api.get(f"/public/assertions/{assertion_id}").status_code == 200
    res = api.delete(f"/v1/issuers/{issuer['id']}", headers=bearer(owner))
    assert res.status_code == 409
    assert res.json()["code"] == "ResourceConflict" and res.json()["details"][0]["value"] == 1
    assert api.get(f"/v1/issuers/{issuer['id']}", headers=bearer(owner)).status_code == 200
    res = api.delete(f"/v1/issuers/{issuer['id']}?force=true", headers=bearer(owner))
    assert res.status_code == 200 and res.json()["status"] == "deleted"
    assert api.get(f"/v1/issuers/{issuer['id']}", headers=bearer(owner)).status_code == 404
    assert api.get(f"/public/assertions/{assertion_id}").status_code == 410


def test_delete_issuer_counts_only_active_and_pending_assertions(api: TestClient[Any], settings: Settings,
                                                                 owner: str) -> None:
    """A replaced assertion (whose replacement is revoked) does not refuse the deletion; a pending one does."""
    from sqlalchemy import select

    from hosting.app.demo import demo_png
    from hosting.storage.awards import Award
    from hosting.storage.models import Acceptance, Assertion, Issuer

    issuer = new_issuer(api, owner)

    async def _issue(store: Any) -> tuple[str, str]:
        row = await store.session.scalar(select(Issuer).where(Issuer.public_id == issuer["id"]))
        badge = await store.create_badge_class(row, slug="b", name="B", description="d", image=demo_png(size=16),
                                               criteria_narrative="do it")
        old = await store.issue(badge, recipient="earner@example.org")
        await store.lock_for(old, "replace")
        (new,) = await store.award(badge, [Award(recipient="earner@example.org", allow_duplicate=True)],
                                   replacing=old)
        await store.replace(old, new)
        await store.revoke(await store.session.scalar(select(Assertion).where(Assertion.id == new.id)), "mistake")
        pending = await store.issue(badge, recipient="later@example.org", acceptance=Acceptance.EARNER)
        return str(old.public_id), str(pending.public_id)

    replaced_id, pending_id = run_store(settings, _issue)
    res = api.delete(f"/v1/issuers/{issuer['id']}", headers=bearer(owner))
    assert res.status_code == 409 and res.json()["details"][0]["value"] == 1, res.text  # the pending one only

    async def _revoke_pending(store: Any) -> None:
        pending = await store.session.scalar(select(Assertion).where(Assertion.public_id == pending_id))
        await store.revoke(pending, "withdrawn")

    run_store(settings, _revoke_pending)
    res = api.delete(f"/v1/issuers/{issuer['id']}", headers=bearer(owner))
    assert res.status_code == 200 and res.json()["status"] == "deleted", res.text
    assert api.get(f"/public/assertions/{replaced_id}", follow_redirects=False).status_code == 301


@pytest.mark.parametrize(("url", "email"), [("https://x.example", "i@x.example"),
                                            ("https://x.example:8443/path?q=1", "First.Last@Sub.X.Example")])
def test_api_created_issuer_serves_a_valid_public_profile(api: TestClient[Any], owner: str, url: str,
                                                          email: str) -> None:
    issuer = new_issuer(api, owner, url=url, email=email)
    res = api.get(f"/public/issuers/{issuer['id']}")
    assert res.status_code == 200
    from openbadges_core import ob2
    assert ob2.document_issues(res.json(), kind="Issuer") == []
