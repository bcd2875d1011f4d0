"""Badgr's ``createdBy``: the entityId of the user who made an issuer, a badge class or an assertion, whether
it was made through ``/v2`` or ``/v1`` (an API token or an OAuth2 token of that user); ``null`` when the maker has
no account (an admin or service ``/v1`` token). One query per list maps the creators, however many rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _api_support import make_token, new_issuer, sql_statements, unique_email
from _badgr_support import PNG_DATA_URI, bearer, login, make_user
from conftest import run_on_connection
from litestar.testing import TestClient
from sqlalchemy import text

from hosting import Settings
from hosting.storage.migrate import downgrade, migrate

V1_BADGE = {"name": "Gold Star", "description": "For shining.", "image": PNG_DATA_URI,
            "criteria": {"narrative": "Shine."}}
V2_BADGE = {"name": "Math Expert", "description": "Mastery of math.", "image": PNG_DATA_URI,
            "criteriaNarrative": "Pass the exam."}


def _result(res: Any, status: int = 200) -> list[dict[str, Any]]:
    assert res.status_code == status, res.text
    result: list[dict[str, Any]] = res.json()["result"]
    return result


def _one(res: Any, status: int = 200) -> dict[str, Any]:
    (entity,) = _result(res, status)
    return entity


def _user_id(api: TestClient[Any], token: dict[str, Any]) -> str:
    return str(_one(api.get("/v2/users/self", headers=bearer(token)))["entityId"])


def _recipient(label: str = "earner") -> dict[str, Any]:
    return {"identity": unique_email(label), "type": "email", "hashed": True}


def _v2_user(api: TestClient[Any], settings: Settings, label: str) -> tuple[str, dict[str, Any], str]:
    email = make_user(settings, label)
    token = login(api, settings, email)
    return email, token, _user_id(api, token)


def _v2_reads(api: TestClient[Any], token: dict[str, Any], issuer: str, badge: str,
              assertion: str) -> tuple[Any, Any, Any]:
    h = bearer(token)
    return (_one(api.get(f"/v2/issuers/{issuer}", headers=h))["createdBy"],
            _one(api.get(f"/v2/badgeclasses/{badge}", headers=h))["createdBy"],
            _one(api.get(f"/v2/assertions/{assertion}", headers=h))["createdBy"])


def test_made_through_v2_created_by_is_the_callers_entity_id(badgr: TestClient[Any],
                                                              badgr_settings: Settings) -> None:
    _, owner, owner_id = _v2_user(badgr, badgr_settings, "owner")
    editor_email, editor, editor_id = _v2_user(badgr, badgr_settings, "editor")
    assert owner_id != editor_id
    issuer = _one(badgr.post("/v2/issuers", headers=bearer(owner), json={
        "name": "Faculty", "email": "faculty@example.org", "url": "https://example.org"}), 201)
    assert issuer["createdBy"] == owner_id
    ref = issuer["entityId"]
    _result(badgr.post(f"/v2/issuers/{ref}/staff", headers=bearer(owner),
                       json={"email": editor_email, "role": "editor"}))
    # the creator, not the owner: a badge class made by the editor is the editor's
    badge = _one(badgr.post(f"/v2/issuers/{ref}/badgeclasses", headers=bearer(editor), json=V2_BADGE), 201)
    assert badge["createdBy"] == editor_id
    single = _one(badgr.post(f"/v2/badgeclasses/{badge['entityId']}/assertions", headers=bearer(owner),
                             json={"recipient": _recipient()}), 201)
    assert single["createdBy"] == owner_id
    batch = _result(badgr.post(f"/v2/issuers/{ref}/assertions", headers=bearer(editor), json=[
        {"badgeclass": badge["entityId"], "recipient": _recipient()} for _ in range(2)]), 201)
    assert [a["createdBy"] for a in batch] == [editor_id, editor_id]
    assert _v2_reads(badgr, owner, ref, badge["entityId"], single["entityId"]) == (owner_id, editor_id, owner_id)
    listed = _result(badgr.get(f"/v2/badgeclasses/{badge['entityId']}/assertions", headers=bearer(owner)))
    assert {a["entityId"]: a["createdBy"] for a in listed} == {
        single["entityId"]: owner_id, batch[0]["entityId"]: editor_id, batch[1]["entityId"]: editor_id}
    assert [b["createdBy"] for b in _result(badgr.get(f"/v2/issuers/{ref}/badgeclasses",
                                                      headers=bearer(owner)))] == [editor_id]
    assert [i["createdBy"] for i in _result(badgr.get("/v2/issuers", headers=bearer(editor)))] == [owner_id]
    # a replacement (PUT) is made by whoever changed it
    replaced = _one(badgr.put(f"/v2/assertions/{single['entityId']}", headers=bearer(editor),
                              json={"narrative": "Changed."}))
    assert replaced["entityId"] != single["entityId"] and replaced["createdBy"] == editor_id


def test_made_through_v1_by_a_users_token_created_by_is_that_user(badgr: TestClient[Any],
                                                                   badgr_settings: Settings) -> None:
    email, token, user_id = _v2_user(badgr, badgr_settings, "v1user")
    api_token = {"Authorization": f"Bearer {make_token(badgr_settings, email)}"}
    issuer = new_issuer(badgr, make_token(badgr_settings, email))
    res = badgr.post(f"/v1/issuers/{issuer['id']}/badges", json=V1_BADGE, headers=api_token)
    assert res.status_code == 201, res.text
    badge = res.json()["badge"]["id"]
    path = f"/v1/issuers/{issuer['id']}/badges/{badge}/assertions"
    res = badgr.post(path, json={"recipient": unique_email("earner")}, headers=api_token)
    assert res.status_code == 201, res.text
    assertion = res.json()["assertion"]["id"]
    assert _v2_reads(badgr, token, issuer["id"], badge, assertion) == (user_id, user_id, user_id)
    # the user's OAuth2 access token on /v1 (single and batch) records the same user
    res = badgr.post(path, json={"recipient": unique_email("earner")}, headers=bearer(token))
    assert res.status_code == 201, res.text
    res = badgr.post(f"{path}/batch", json={"assertions": [{"recipient": unique_email("earner")}]},
                     headers=bearer(token))
    assert res.status_code == 201, res.text
    listed = _result(badgr.get(f"/v2/badgeclasses/{badge}/assertions", headers=bearer(token)))
    assert len(listed) == 3 and {a["createdBy"] for a in listed} == {user_id}


def test_made_by_a_token_without_an_account_created_by_is_null(badgr: TestClient[Any],
                                                                 badgr_settings: Settings) -> None:
    admin = make_token(badgr_settings, unique_email("admin"), admin=True)  # no user has this email
    issuer = new_issuer(badgr, admin)
    email, token, user_id = _v2_user(badgr, badgr_settings, "staff")
    res = badgr.post(f"/v1/issuers/{issuer['id']}/staff", json={"email": email, "role": "editor"},
                     headers={"Authorization": f"Bearer {admin}"})
    assert res.status_code == 201, res.text
    res = badgr.post(f"/v1/issuers/{issuer['id']}/badges", json=V1_BADGE,
                     headers={"Authorization": f"Bearer {admin}"})
    assert res.status_code == 201, res.text
    badge = res.json()["badge"]["id"]
    res = badgr.post(f"/v1/issuers/{issuer['id']}/badges/{badge}/assertions",
                     json={"recipient": unique_email("earner")}, headers={"Authorization": f"Bearer {admin}"})
    assert res.status_code == 201, res.text
    assert _v2_reads(badgr, token, issuer["id"], badge, res.json()["assertion"]["id"]) == (None, None, None)
    # on the same badge class, what the user issues is the user's: createdBy follows the maker, not the issuer
    mine = _one(badgr.post(f"/v2/badgeclasses/{badge}/assertions", headers=bearer(token),
                           json={"recipient": _recipient()}), 201)
    assert mine["createdBy"] == user_id


def test_creators_cost_one_query_per_list(badgr: TestClient[Any], badgr_settings: Settings) -> None:
    _, owner, _ = _v2_user(badgr, badgr_settings, "owner")
    issuer = _one(badgr.post("/v2/issuers", headers=bearer(owner), json={
        "name": "Faculty", "email": "faculty@example.org", "url": "https://example.org"}), 201)
    badge = _one(badgr.post(f"/v2/issuers/{issuer['entityId']}/badgeclasses", headers=bearer(owner),
                            json=V2_BADGE), 201)
    for label in ("a", "b", "c", "d"):  # four creators (editors), one assertion each
        email, token, _ = _v2_user(badgr, badgr_settings, label)
        _result(badgr.post(f"/v2/issuers/{issuer['entityId']}/staff", headers=bearer(owner),
                           json={"email": email, "role": "editor"}))
        _one(badgr.post(f"/v2/badgeclasses/{badge['entityId']}/assertions", headers=bearer(token),
                        json={"recipient": _recipient()}), 201)
    def queries(num: int) -> int:
        with sql_statements() as statements:
            listed = _result(badgr.get(f"/v2/badgeclasses/{badge['entityId']}/assertions?num={num}",
                                       headers=bearer(owner)))
        assert len(listed) == num and len({a["createdBy"] for a in listed}) == num
        return len(statements)

    assert queries(1) == queries(4)


def test_migration_gives_existing_issuers_their_first_owner(tmp_path: Path) -> None:
    """0016_created_by: an issuer made before it takes its first owner's email (the creator became owner);
    badge classes and assertions stay unknown. It downgrades cleanly."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    migrate(url, "0015_badgekit_hierarchy")

    def _seed(conn: Any) -> None:
        for ident, slug in ((1, "owned"), (2, "ownerless")):
            conn.execute(text("INSERT INTO issuers (id, public_id, slug, name, url, created_at, updated_at) "
                              "VALUES (:i, :p, :s, 'N', 'https://example.org', :t, :t)"),
                         {"i": ident, "p": f"pub{ident}", "s": slug, "t": "2026-01-01 00:00:00.000000"})
        for email, role, when in (("editor@example.org", "editor", "2026-01-01"),
                                  ("first@example.org", "owner", "2026-01-02"),
                                  ("second@example.org", "owner", "2026-01-03")):
            conn.execute(text("INSERT INTO issuer_staff (issuer_id, email, role, created_at) VALUES (1, :e, :r, :t)"),
                         {"e": email, "r": role, "t": f"{when} 00:00:00.000000"})
        conn.execute(text("INSERT INTO issuer_staff (issuer_id, email, role, created_at) "
                          "VALUES (2, 'staff@example.org', 'staff', '2026-01-01 00:00:00.000000')"))

    run_on_connection(url, _seed)
    migrate(url)
    rows = run_on_connection(url, lambda c: c.execute(text("SELECT slug, created_by FROM issuers ORDER BY id")).all())
    assert [tuple(r) for r in rows] == [("owned", "first@example.org"), ("ownerless", None)]
    downgrade(url, "0015_badgekit_hierarchy")
    columns = run_on_connection(url, lambda c: c.execute(text("PRAGMA table_info(issuers)")).all())
    assert "created_by" not in {c[1] for c in columns}
