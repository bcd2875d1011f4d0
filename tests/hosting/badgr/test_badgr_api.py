"""Badgr v2 routes driven with tokens from /o/token: issuers, staff, badge classes, assertions (issue, list,
revoke, replace), the envelope on errors, scope refusals and verification at the openBadgeId."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

import pytest
from _badgr_support import (
    OTHER_PNG,
    OTHER_PNG_DATA_URI,
    PASSWORD,
    PNG_DATA_URI,
    bearer,
    in_session,
    login,
    make_user,
)
from litestar.testing import TestClient

import openbadges_core as ob
from hosting import Settings
from hosting.badgr.assertions import MAX_BATCH
from hosting.oauth.accounts import create_user

BASE_URL = "http://testserver.local"


class AppFetcher:
    """An ``ob.Fetcher`` answering from the app in-process (what a verifier on the network would get)."""

    def __init__(self, api: TestClient[Any]) -> None:
        self.api = api

    def fetch(self, url: str, *, accept: str = "application/ld+json", timeout: float | None = None
              ) -> ob.FetchResponse:
        assert url.startswith(BASE_URL), url
        res = self.api.get(url.removeprefix(BASE_URL), headers={"Accept": accept}, follow_redirects=False)
        return ob.FetchResponse(url, res.status_code, res.headers.get("content-type", ""), res.content,
                                headers=dict(res.headers))


@dataclass
class Org:
    api: TestClient[Any]
    settings: Settings
    email: str
    token: dict[str, Any]
    issuer: dict[str, Any]
    badge: dict[str, Any]

    def h(self, token: dict[str, Any] | None = None) -> dict[str, str]:
        return bearer(token or self.token)

    def issue(self, recipient: str = "earner@example.org", **fields: Any) -> Any:
        return self.api.post(f"/v2/badgeclasses/{self.badge['entityId']}/assertions", headers=self.h(),
                             json={"recipient": {"identity": recipient, "type": "email", "hashed": True}, **fields})


def _result(res: Any, status: int = 200) -> list[dict[str, Any]]:
    assert res.status_code == status, res.text
    body = res.json()
    assert body["status"]["success"] is (status < 300), body
    result: list[dict[str, Any]] = body["result"]
    return result


def _new_issuer(api: TestClient[Any], token: dict[str, Any], name: str = "Credentials Faculty") -> dict[str, Any]:
    res = api.post("/v2/issuers", headers=bearer(token), json={
        "name": name, "email": "faculty@example.org", "url": "https://example.org",
        "description": "This is the faculty.", "image": PNG_DATA_URI})
    return _result(res, 201)[0]


def _new_badge(api: TestClient[Any], token: dict[str, Any], issuer: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"name": "Math Expert", "description": "Mastery of math.", "image": PNG_DATA_URI,
            "criteria_text": "Pass the exam.", "tags": ["math"], **fields}
    return _result(api.post(f"/v2/issuers/{issuer['entityId']}/badgeclasses", headers=bearer(token), json=body),
                   201)[0]


@pytest.fixture
def org(badgr: TestClient[Any], badgr_settings: Settings) -> Org:
    email = make_user(badgr_settings, "owner")
    token = login(badgr, badgr_settings, email)
    issuer = _new_issuer(badgr, token)
    return Org(badgr, badgr_settings, email, token, issuer, _new_badge(badgr, token, issuer))


def test_issuer_entities_have_badgr_fields(org: Org) -> None:
    issuer = org.issuer
    assert issuer["entityType"] == "Issuer" and issuer["openBadgeId"] == f"{BASE_URL}/public/issuers/{issuer['entityId']}"
    owner = issuer["staff"][0]
    assert owner["role"] == "owner" and owner["userProfile"]["emails"][0]["email"] == org.email
    self_id = _result(org.api.get("/v2/users/self", headers=org.h()))[0]["entityId"]
    assert owner["user"] == self_id == issuer["createdBy"] and issuer["createdAt"].endswith("Z")  # Badgr: an entityId
    assert issuer["image"].endswith("/image")
    listed = _result(org.api.get("/v2/issuers", headers=org.h()))
    assert [i["entityId"] for i in listed] == [issuer["entityId"]]
    b64 = base64.urlsafe_b64encode(issuer["openBadgeId"].encode()).decode().rstrip("=")
    assert _result(org.api.get(f"/v2/issuers/openBadgeId/{b64}", headers=org.h()))[0]["entityId"] == issuer["entityId"]
    updated = _result(org.api.put(f"/v2/issuers/{issuer['entityId']}", headers=org.h(),
                                  json={**issuer, "name": "Renamed"}))[0]
    assert updated["name"] == "Renamed"
    again = _result(org.api.put(f"/v2/issuers/ref/{b64}", headers=org.h(),
                                json={**updated, "description": "new text"}))[0]
    assert again["name"] == "Renamed" and again["description"] == "new text"
    assert org.api.get(f"/public/issuers/{issuer['entityId']}").json()["description"] == "new text"
    standard = base64.b64encode(issuer["openBadgeId"].encode()).decode()  # may hold "/" and "+"
    assert _result(org.api.get(f"/v2/issuers/openBadgeId/{standard}", headers=org.h()))[0]["entityId"] == \
        issuer["entityId"]
    elsewhere = base64.urlsafe_b64encode(b"https://elsewhere.example.org/public/issuers/x").decode()
    assert org.api.get(f"/v2/issuers/openBadgeId/{elsewhere}", headers=org.h()).status_code == 404


def test_delete_issuer_needs_its_assertions_revoked(org: Org) -> None:
    path = f"/v2/issuers/{org.issuer['entityId']}"
    made = _result(org.issue(), 201)[0]
    res = org.api.delete(path, headers=org.h())
    assert res.status_code == 409 and res.json()["status"]["success"] is False
    _result(org.api.post("/v2/assertions/revoke", headers=org.h(), json=[{"entityId": made["entityId"]}]))
    res = org.api.delete(path, headers=org.h())
    assert res.status_code == 204
    assert org.api.get(path, headers=org.h()).status_code == 404
    assert org.api.get(made["openBadgeId"].removeprefix(BASE_URL)).status_code == 410  # still published


def _earner_accepts(org: Org) -> None:
    """Make org's badge class issue pending assertions (the earner accepts; settable on /v1, not on /v2)."""
    from sqlalchemy import update

    from hosting.storage.models import Acceptance, BadgeClass

    in_session(org.settings, lambda s: s.execute(update(BadgeClass).where(
        BadgeClass.public_id == org.badge["entityId"]).values(acceptance=Acceptance.EARNER)))


def test_delete_issuer_counts_only_active_and_pending_assertions(org: Org) -> None:
    """A replaced assertion (its replacement revoked) does not keep the issuer alive; a pending one does."""
    path = f"/v2/issuers/{org.issuer['entityId']}"
    made = _result(org.issue(), 201)[0]
    new = _result(org.api.put(f"/v2/assertions/{made['entityId']}", headers=org.h(), json={"narrative": "n"}))[0]
    _result(org.api.post("/v2/assertions/revoke", headers=org.h(), json=[{"entityId": new["entityId"]}]))
    _earner_accepts(org)
    pending = _result(org.issue("later@example.org"), 201)[0]
    res = org.api.delete(path, headers=org.h())
    assert res.status_code == 409 and "1 active or pending" in res.json()["status"]["description"], res.text
    assert _result(org.api.get(path, headers=org.h()))[0]["entityId"] == org.issuer["entityId"]
    _result(org.api.delete(f"/v2/assertions/{pending['entityId']}", headers=org.h()))
    assert org.api.delete(path, headers=org.h()).status_code == 204  # only a replaced and revoked ones left
    assert org.api.get(path, headers=org.h()).status_code == 404
    assert org.api.get(made["openBadgeId"].removeprefix(BASE_URL), follow_redirects=False).status_code == 301


def test_pending_assertions_are_listed_unaccepted_and_not_revoked(org: Org) -> None:
    """Issued under a badge class the earner accepts, an assertion is pending: Badgr lists it (default filters),
    with ``revoked: false`` and ``acceptance: "Unaccepted"``; once revoked it leaves the default lists."""
    active = _result(org.issue("now@example.org"), 201)[0]
    assert (active["revoked"], active["acceptance"]) == (False, "Accepted")
    _earner_accepts(org)
    pending = _result(org.issue("later@example.org"), 201)[0]
    assert (pending["revoked"], pending["acceptance"]) == (False, "Unaccepted")
    got = _result(org.api.get(f"/v2/assertions/{pending['entityId']}", headers=org.h()))[0]
    assert (got["revoked"], got["acceptance"]) == (False, "Unaccepted")
    lists = (f"/v2/issuers/{org.issuer['entityId']}/assertions", f"/v2/badgeclasses/{org.badge['entityId']}/assertions")
    for path in lists:
        listed = {a["entityId"]: a for a in _result(org.api.get(path, headers=org.h()))}
        assert set(listed) == {active["entityId"], pending["entityId"]}, path
        assert (listed[pending["entityId"]]["revoked"], listed[pending["entityId"]]["acceptance"]) == \
            (False, "Unaccepted")
        only = _result(org.api.get(path, headers=org.h(), params={"recipient": "later@example.org"}))
        assert [a["entityId"] for a in only] == [pending["entityId"]]
    revoked = _result(org.api.delete(f"/v2/assertions/{pending['entityId']}", headers=org.h()))[0]
    assert revoked["revoked"] is True
    for path in lists:
        assert [a["entityId"] for a in _result(org.api.get(path, headers=org.h()))] == [active["entityId"]]
        every = _result(org.api.get(path, headers=org.h(), params={"include_revoked": "true"}))
        assert {a["entityId"] for a in every} == {active["entityId"], pending["entityId"]}


def test_a_pending_assertion_issued_with_notify_mails_a_working_accept_link(org: Org) -> None:
    """Issued through Badgr under a badge class the earner accepts, with ``notify``: the earner's mail is the
    ``pending`` one with an accept link (as on /v1), and accepting through it makes the assertion Accepted."""
    from sqlalchemy import select

    from hosting.earners.tokens import AcceptLinks
    from hosting.storage.models import Assertion, OutboxMessage

    _earner_accepts(org)
    pending = _result(org.issue("accepting@example.org", notify=True), 201)[0]

    async def _mails(session: Any) -> list[tuple[str, dict[str, Any]]]:
        rows = await session.execute(select(OutboxMessage.kind, OutboxMessage.context)
                                     .join(Assertion, Assertion.id == OutboxMessage.assertion_id)
                                     .where(Assertion.public_id == pending["entityId"]))
        return [(kind, dict(context or {})) for kind, context in rows]

    ((kind, context),) = in_session(org.settings, _mails)
    assert kind == "pending" and context.get("accept_nonce"), (kind, context)
    token = AcceptLinks(org.settings.secret_key).token(context["accept_nonce"])
    try:  # the earner's browser: its CSRF cookie must not stay on the session's shared client
        page = org.api.get(f"/accept/{token}")
        assert page.status_code == 200, page.text
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        res = org.api.post(f"/accept/{token}", data={"_csrf_token": csrf.group(1), "decision": "accept"})
        assert res.status_code == 200, res.text
    finally:
        org.api.cookies.clear()
    got = _result(org.api.get(f"/v2/assertions/{pending['entityId']}", headers=org.h()))[0]
    assert (got["revoked"], got["acceptance"]) == (False, "Accepted")
    assert org.api.get(pending["openBadgeId"].removeprefix(BASE_URL)).status_code == 200


def test_put_keeps_an_assertion_accepted_or_pending_whatever_the_badge_class_default(org: Org) -> None:
    """A replacement (PUT) of an accepted assertion stays accepted and published even once the badge class's earner
    accepts; a pending one's replacement is pending, with an accept link of its own."""
    from sqlalchemy import func, select

    from hosting.storage.models import AcceptToken, Assertion

    accepted = _result(org.issue("kept@example.org"), 201)[0]
    _earner_accepts(org)
    pending = _result(org.issue("waits@example.org"), 201)[0]
    new = _result(org.api.put(f"/v2/assertions/{accepted['entityId']}", headers=org.h(), json={"narrative": "n"}))[0]
    assert (new["revoked"], new["acceptance"]) == (False, "Accepted")
    assert org.api.get(new["openBadgeId"].removeprefix(BASE_URL)).status_code == 200
    assert org.api.get(accepted["openBadgeId"].removeprefix(BASE_URL), follow_redirects=False).status_code == 301
    still = _result(org.api.put(f"/v2/assertions/{pending['entityId']}", headers=org.h(), json={"narrative": "n"}))[0]
    assert (still["revoked"], still["acceptance"]) == (False, "Unaccepted")

    async def _links(session: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(AcceptToken).join(
            Assertion, Assertion.id == AcceptToken.assertion_id).where(Assertion.public_id == still["entityId"])))

    assert in_session(org.settings, _links) == 1


def test_images_from_private_urls_are_refused(org: Org) -> None:
    res = org.api.put(f"/v2/issuers/{org.issuer['entityId']}", headers=org.h(),
                      json={**org.issuer, "image": "http://127.0.0.1:9/logo.png"})
    assert res.status_code == 400 and "image" in res.json()["fieldErrors"]
    res = org.api.put(f"/v2/badgeclasses/{org.badge['entityId']}", headers=org.h(),
                      json={"image": "data:text/html;base64,PGgxPg=="})
    assert res.status_code == 400 and "image" in res.json()["fieldErrors"]


def test_field_errors_use_the_badgr_envelope(org: Org) -> None:
    res = org.api.post("/v2/issuers", headers=org.h(), json={"name": "", "email": "nope", "url": "ftp://x"})
    assert res.status_code == 400
    body = res.json()
    assert body["status"]["success"] is False and body["result"] == []
    assert set(body["fieldErrors"]) >= {"name", "email", "url"}
    res = org.api.get("/v2/issuers/doesNotExist99", headers=org.h())
    assert res.status_code == 404 and res.json()["status"]["success"] is False
    res = org.api.get("/v2/issuers")
    assert res.status_code == 401 and res.json()["status"]["description"].startswith("missing bearer token")


def test_badge_class_routes_and_aliases(org: Org) -> None:
    badge = org.badge
    assert badge["entityType"] == "BadgeClass" and badge["issuer"] == org.issuer["entityId"]
    assert badge["criteriaNarrative"] == "Pass the exam." and badge["tags"] == ["math"]
    assert badge["openBadgeId"] == f"{BASE_URL}/public/badges/{badge['entityId']}"
    other = _result(org.api.post("/v2/badgeclasses", headers=org.h(), json={
        "issuer": org.issuer["entityId"], "name": "Second", "description": "d", "image": PNG_DATA_URI,
        "criteria_url": "https://example.org/criteria"}), 201)[0]
    assert other["criteriaUrl"] == "https://example.org/criteria"
    listed = _result(org.api.get(f"/v2/issuers/{org.issuer['entityId']}/badgeclasses", headers=org.h()))
    assert {b["entityId"] for b in listed} == {badge["entityId"], other["entityId"]}
    changed = _result(org.api.put(f"/v2/badgeclasses/{other['entityId']}", headers=org.h(),
                                  json={"name": "Second, renamed"}))[0]
    assert changed["name"] == "Second, renamed"
    _result(org.api.put(f"/v2/badgeclasses/{other['entityId']}", headers=org.h(),
                        json={"image": OTHER_PNG_DATA_URI}))
    assert org.api.get(f"/public/badges/{other['entityId']}/image").content == OTHER_PNG
    assert org.api.get(f"/public/badges/{other['entityId']}").json()["name"] == "Second, renamed"
    gone = org.api.delete(f"/v2/badgeclasses/{other['entityId']}", headers=org.h())
    assert gone.status_code == 204 and gone.content == b""
    assert org.api.get(f"/v2/badgeclasses/{other['entityId']}", headers=org.h()).status_code == 404
    res = org.api.post("/v2/badgeclasses", headers=org.h(), json={"issuer": org.issuer["entityId"], "name": "x",
                                                                   "description": "d", "image": PNG_DATA_URI})
    assert res.status_code == 400 and "criteriaNarrative" in res.json()["fieldErrors"]


def test_delete_badgeclass_with_claim_codes_deletes_them(org: Org) -> None:
    """A badge class without assertions but with (BadgeKit) claim codes is deleted with them: the store's
    deletion, as on every API (it was a foreign-key 500 on ``/v2``)."""
    from sqlalchemy import func, select

    from hosting.storage.models import BadgeClass, ClaimCode

    other = _result(org.api.post("/v2/badgeclasses", headers=org.h(), json={
        "issuer": org.issuer["entityId"], "name": "Coded", "description": "d", "image": PNG_DATA_URI,
        "criteriaNarrative": "c"}), 201)[0]

    async def _add_code(session: Any) -> int:
        badge_id = await session.scalar(select(BadgeClass.id).where(BadgeClass.public_id == other["entityId"]))
        session.add(ClaimCode(code=f"code-{other['entityId']}", badge_class_id=badge_id))
        await session.flush()
        return int(badge_id)

    badge_id = in_session(org.settings, _add_code)
    gone = org.api.delete(f"/v2/badgeclasses/{other['entityId']}", headers=org.h())
    assert gone.status_code == 204, gone.text

    async def _codes(session: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(ClaimCode).where(
            ClaimCode.badge_class_id == badge_id)) or 0)

    assert in_session(org.settings, _codes) == 0


def test_issued_assertion_verifies_then_is_410_after_delete(org: Org) -> None:
    made = _result(org.issue(issuedOn="2024-05-01 10:00:00Z", narrative="Well done",
                             evidence=[{"url": "https://example.org/work", "narrative": "the work"}]), 201)[0]
    assert made["entityType"] == "Assertion" and made["badgeclass"] == org.badge["entityId"]
    assert made["issuedOn"] == "2024-05-01T10:00:00Z" and made["revoked"] is False
    assert made["recipient"]["plaintextIdentity"] == "earner@example.org" and made["recipient"]["hashed"] is True
    assert made["evidence"] == [{"url": "https://example.org/work", "narrative": "the work"}]
    report = ob.verify(made["openBadgeId"], recipient="earner@example.org",
                       options=ob.VerifyOptions(fetcher=AppFetcher(org.api), use_cache=False))
    assert report.valid, report.to_dict()
    res = org.api.request("DELETE", f"/v2/assertions/{made['entityId']}", headers=org.h(),
                          json={"revocation_reason": "issued in error"})
    revoked = _result(res)[0]
    assert revoked["revoked"] is True and revoked["revocationReason"] == "issued in error"
    assert org.api.get(made["openBadgeId"].removeprefix(BASE_URL)).status_code == 410
    report = ob.verify(made["openBadgeId"], options=ob.VerifyOptions(fetcher=AppFetcher(org.api), use_cache=False))
    assert not report.valid and report.revoked is True
    assert org.api.delete(f"/v2/assertions/{made['entityId']}", headers=org.h()).status_code == 409


def test_bad_award_fields_are_field_errors(org: Org) -> None:
    for fields, name in (({"expires": "2000-01-01"}, "expires"), ({"issuedOn": "yesterday"}, "issuedOn"),
                         ({"evidence": [{"url": "https://x.org"}, {"url": "ftp://x"}]}, "evidence[1].url"),
                         ({"evidence": [{"narrative": 5}]}, "evidence[0].narrative"),
                         ({"recipient": {"identity": "https://x.org/b", "type": "openBadgeId"}}, "recipient.type"),
                         ({"recipient": "a@b.org"}, "recipient")):
        res = org.issue(**fields) if "recipient" not in fields else org.api.post(
            f"/v2/badgeclasses/{org.badge['entityId']}/assertions", headers=org.h(), json=fields)
        assert res.status_code == 400, (fields, res.text)
        assert name in res.json()["fieldErrors"], res.json()


def test_allow_duplicate_awards_has_badgrs_meaning(org: Org) -> None:
    _result(org.issue("dup@example.org", issuedOn="2024-01-01T00:00:00Z"), 201)
    # the default (true) issues again, even on the same day
    _result(org.issue("dup@example.org", issuedOn="2024-01-01T00:00:00Z"), 201)
    # false refuses whenever the recipient holds the badge, whatever the dates
    res = org.issue("dup@example.org", issuedOn="2025-06-01T00:00:00Z", allowDuplicateAwards=False)
    assert res.status_code == 409 and "allowDuplicateAwards" in res.json()["status"]["description"]
    _result(org.issue("fresh@example.org", allowDuplicateAwards=False), 201)


def test_batch_issue_is_all_or_nothing(org: Org) -> None:
    url = f"/v2/badgeclasses/{org.badge['entityId']}/assertions"
    items = [{"recipient": {"identity": f"b{i}@example.org", "type": "email"}} for i in range(3)]
    made = _result(org.api.post(url, headers=org.h(), json={"assertions": items}), 201)
    assert len(made) == 3
    bad = [*items, {"recipient": {"identity": "not an email", "type": "email"}}]
    res = org.api.post(url, headers=org.h(), json=bad)
    assert res.status_code == 400 and res.json()["validationErrors"][0].startswith("[3]")
    listed = _result(org.api.get(f"/v2/issuers/{org.issuer['entityId']}/assertions", headers=org.h()))
    assert len(listed) == 3


def test_batches_hold_at_most_1000_items(org: Org) -> None:
    url = f"/v2/badgeclasses/{org.badge['entityId']}/assertions"
    items = [{"recipient": {"identity": f"cap{i}@example.org", "type": "email"}} for i in range(MAX_BATCH + 1)]
    res = org.api.post(url, headers=org.h(), json={"assertions": items})
    assert res.status_code == 400 and res.json()["status"]["success"] is False, res.text
    assert _result(org.api.get(f"/v2/issuers/{org.issuer['entityId']}/assertions", headers=org.h())) == []
    made = _result(org.api.post(url, headers=org.h(), json={"assertions": items[:MAX_BATCH]}), 201)
    assert len({m["entityId"] for m in made}) == MAX_BATCH
    revoke = [{"entityId": m["entityId"], "revocationReason": "cap"} for m in made]
    res = org.api.post("/v2/assertions/revoke", headers=org.h(), json=[*revoke, revoke[0]])
    assert res.status_code == 400, res.text
    one = _result(org.api.get(f"/v2/assertions/{made[0]['entityId']}", headers=org.h()))[0]
    assert one["revoked"] is False  # the refused list revoked nothing
    assert all(r["revoked"] for r in _result(org.api.post("/v2/assertions/revoke", headers=org.h(), json=revoke)))


def _link(res: Any, rel: str) -> str | None:
    for part in (res.headers.get("link") or "").split(","):
        found = re.match(r'\s*<([^>]+)>;\s*rel="([a-z]+)"', part)
        if found and found.group(2) == rel:
            return found.group(1).removeprefix(BASE_URL)
    return None


def test_listing_filters_and_cursor(org: Org) -> None:
    made = [_result(org.issue(f"l{i}@example.org"), 201)[0] for i in range(5)]
    expired = _result(org.issue("old@example.org", issuedOn="2020-01-01T00:00:00Z",
                                expires="2021-01-01T00:00:00Z"), 201)[0]
    revoked = _result(org.issue("gone@example.org"), 201)[0]
    org.api.request("DELETE", f"/v2/assertions/{revoked['entityId']}", headers=org.h(),
                    json={"revocation_reason": "x"})
    base = f"/v2/issuers/{org.issuer['entityId']}/assertions"
    ids = {a["entityId"] for a in _result(org.api.get(base, headers=org.h()))}
    assert ids == {a["entityId"] for a in made}
    with_all = {a["entityId"] for a in _result(org.api.get(base, headers=org.h(), params={
        "include_expired": "true", "include_revoked": "true"}))}
    assert {expired["entityId"], revoked["entityId"]} <= with_all
    one = _result(org.api.get(base, headers=org.h(), params={"recipient": "L3@example.org"}))
    assert [a["entityId"] for a in one] == [made[3]["entityId"]]
    seen: list[str] = []
    url: str | None = f"{base}?num=2"
    pages = []
    while url:
        res = org.api.get(url, headers=org.h())
        pages.append([a["entityId"] for a in _result(res)])
        seen.extend(pages[-1])
        url = _link(res, "next")
    assert seen == [a["entityId"] for a in reversed(made)]
    assert _link(res, "prev") is not None  # the last page links back
    back = org.api.get(str(_link(res, "prev")), headers=org.h())
    assert [a["entityId"] for a in _result(back)] == pages[-2]
    by_badge = _result(org.api.get(f"/v2/badgeclasses/{org.badge['entityId']}/assertions", headers=org.h()))
    assert len(by_badge) == 5
    assert org.api.get(base, headers=org.h(), params={"after": "!!"}).status_code == 400
    assert org.api.get(base, headers=org.h(), params={"num": "0"}).json()["fieldErrors"]["num"]
    for num in ("\u00b2", "\u0663", "+2", "9" * 5000):  # ASCII digits only ("²" was a 500, "٣" read as 3)
        res = org.api.get(base, headers=org.h(), params={"num": num})
        assert res.status_code == 400 and res.json()["fieldErrors"]["num"], (num, res.text)
    stamp = made[2]["createdAt"]
    for ident in ("\u0667", "+7", "0_7", " 7"):  # a cursor's row id too
        cursor = base64.urlsafe_b64encode(f"{stamp}|{ident}".encode()).decode().rstrip("=")
        assert org.api.get(base, headers=org.h(), params={"after": cursor}).status_code == 400, ident


def test_issue_under_the_issuer_names_the_badge_class(org: Org) -> None:
    url = f"/v2/issuers/{org.issuer['entityId']}/assertions"
    body = {"recipient": {"identity": "x@example.org", "type": "email"}}
    assert org.api.post(url, headers=org.h(), json=body).status_code == 400
    made = _result(org.api.post(url, headers=org.h(), json={**body, "badgeclass": org.badge["entityId"]}), 201)
    via_url = _result(org.api.post(url, headers=org.h(), json={
        **body, "badgeclassOpenBadgeId": org.badge["openBadgeId"]}), 201)
    assert made[0]["badgeclass"] == via_url[0]["badgeclass"] == org.badge["entityId"]
    other = _new_badge(org.api, org.token, org.issuer, name="Other")
    mixed = [{**body, "badgeclass": org.badge["entityId"]}, {**body, "badgeclass": other["entityId"]}]
    res = org.api.post(url, headers=org.h(), json=mixed)
    assert res.status_code == 400 and "[1] badgeclass" in res.json()["validationErrors"][0]
    res = org.api.post(f"/v2/badgeclasses/{org.badge['entityId']}/assertions", headers=org.h(),
                       json={**body, "badgeclass": other["entityId"]})
    assert res.status_code == 400 and "badgeclass" in res.json()["fieldErrors"]
    # a badge class of another issuer (the user's own too) is not found under this one, by id nor by URL
    second = _new_issuer(org.api, org.token, "Second issuer")
    theirs = _new_badge(org.api, org.token, second)
    for named in ({"badgeclass": theirs["entityId"]}, {"badgeclassOpenBadgeId": theirs["openBadgeId"]}):
        res = org.api.post(url, headers=org.h(), json={**body, **named})
        assert res.status_code == 404 and res.json()["status"]["success"] is False, named
    assert _result(org.api.get(f"/v2/badgeclasses/{theirs['entityId']}/assertions", headers=org.h())) == []


def test_bulk_revoke_and_put_replaces(org: Org) -> None:
    first = _result(org.issue("r1@example.org"), 201)[0]
    second = _result(org.issue("r2@example.org"), 201)[0]
    res = org.api.post("/v2/assertions/revoke", headers=org.h(), json=[
        {"entityId": first["entityId"], "revocationReason": "bulk"},
        {"entityId": second["entityId"], "revocationReason": "bulk"}])
    assert [r["revoked"] for r in _result(res)] == [True, True]
    third = _result(org.issue("r3@example.org"), 201)[0]
    new = _result(org.api.put(f"/v2/assertions/{third['entityId']}", headers=org.h(),
                              json={"narrative": "updated"}))[0]
    assert new["narrative"] == "updated" and new["recipient"]["plaintextIdentity"] == "r3@example.org"
    old = org.api.get(third["openBadgeId"].removeprefix(BASE_URL), follow_redirects=False)
    assert old.status_code == 301 and old.headers["location"] == new["openBadgeId"]


def test_staff_roles(org: Org) -> None:
    editor = make_user(org.settings, "editor")
    url = f"/v2/issuers/{org.issuer['entityId']}/staff"
    staff = _result(org.api.post(url, headers=org.h(), json={"email": editor, "role": "staff"}))[0]["staff"]
    assert {s["userProfile"]["emails"][0]["email"]: s["role"] for s in staff}[editor] == "staff"
    editor_token = login(org.api, org.settings, editor)
    # staff may issue but not edit the badge class
    res = org.api.put(f"/v2/badgeclasses/{org.badge['entityId']}", headers=bearer(editor_token), json={"name": "x"})
    assert res.status_code == 403
    _result(org.api.put(url, headers=org.h(), json={"email": editor, "role": "editor"}))
    _result(org.api.put(f"/v2/badgeclasses/{org.badge['entityId']}", headers=bearer(editor_token),
                        json={"name": "Edited"}))
    assert org.api.post(url, headers=bearer(editor_token), json={"email": "z@example.org",
                                                                 "role": "staff"}).status_code == 403
    own = base64.urlsafe_b64encode(org.email.encode()).decode()
    assert org.api.delete(f"{url}/{own}", headers=org.h()).status_code == 409  # the last owner stays
    gone = base64.urlsafe_b64encode(editor.encode()).decode()
    _result(org.api.delete(f"{url}/{gone}", headers=org.h()))
    assert org.api.get(f"/v2/issuers/{org.issuer['entityId']}", headers=bearer(editor_token)).status_code == 404
    # standard base64 (with "/" and "+", as most clients encode it) names the member too
    odd = next(e for n in range(1000) if "/" in base64.b64encode((e := f"st~{n}?>@example.org").encode()).decode())
    _result(org.api.post(url, headers=org.h(), json={"email": odd, "role": "staff"}))
    staff = _result(org.api.delete(f"{url}/{base64.b64encode(odd.encode()).decode()}", headers=org.h()))[0]["staff"]
    assert odd not in {s["userProfile"]["emails"][0]["email"] for s in staff if s.get("userProfile")}


def test_scope_refusals(org: Org) -> None:
    profile = login(org.api, org.settings, org.email, scope="r:profile")
    res = org.api.get("/v2/issuers", headers=bearer(profile))
    assert res.status_code == 403 and "rw:issuer" in res.json()["status"]["description"]
    issuer_only = login(org.api, org.settings, org.email, scope="rw:issuer")
    res = org.api.get("/v2/users/self", headers=bearer(issuer_only))
    assert res.status_code == 403 and "r:profile" in res.json()["status"]["description"]
    me = _result(org.api.get("/v2/users/self", headers=org.h()))[0]
    assert me["entityType"] == "BadgeUser" and me["emails"][0]["email"] == org.email and me["firstName"] == "Ada"
    tokens = _result(org.api.get("/v2/auth/tokens", headers=org.h()))
    assert tokens and all("access_token" not in t for t in tokens)
    from _badgr_support import in_session

    from hosting.api.auth import create_token

    api_token = in_session(org.settings, lambda session: create_token(session, org.email))  # a /v1 token
    assert org.api.get("/v1/issuers", headers=bearer(api_token)).status_code == 200
    res = org.api.get("/v2/issuers", headers=bearer(api_token))
    assert res.status_code == 401 and res.json()["status"]["success"] is False


def test_a_token_for_another_issuer_reaches_nothing_on_v1_either(badgr: TestClient[Any],
                                                                  badgr_settings: Settings) -> None:
    """A user with staff rights on issuer A and a token for rw:issuer:<B> can do nothing on A through /v1 either
    (every /v2 route: test_badgr_route_sweep.py)."""
    owner = make_user(badgr_settings, "owner")
    owner_token = login(badgr, badgr_settings, owner)
    issuer_a, issuer_b = _new_issuer(badgr, owner_token, "A"), _new_issuer(badgr, owner_token, "B")
    staff = make_user(badgr_settings, "staff")
    _result(badgr.post(f"/v2/issuers/{issuer_a['entityId']}/staff", headers=bearer(owner_token),
                       json={"email": staff, "role": "staff"}))
    h = bearer(login(badgr, badgr_settings, staff, scope=f"rw:issuer:{issuer_b['entityId']} r:profile"))
    assert badgr.get(f"/v1/issuers/{issuer_a['entityId']}", headers=h).status_code == 404
    assert badgr.get("/v1/issuers", headers=h).json()["metadata"]["total_count"] == 0
    assert badgr.post("/v1/issuers", headers=h, json={"name": "x", "url": "https://x.example.org",
                                                      "email": "x@example.org"}).status_code == 403
    assert badgr.delete(f"/v1/issuers/{issuer_a['entityId']}", headers=h).status_code == 404
    assert _result(badgr.get(f"/v2/issuers/{issuer_a['entityId']}", headers=bearer(owner_token)))[0]["name"] == "A"


def test_server_admin_scope_reaches_every_issuer_only_for_admins(org: Org) -> None:
    admin = make_user(org.settings, "admin", admin=True)
    path = f"/v2/issuers/{org.issuer['entityId']}"
    with_scope = login(org.api, org.settings, admin, scope="rw:serverAdmin")
    assert with_scope["scope"] == "rw:serverAdmin"
    assert _result(org.api.get(path, headers=bearer(with_scope)))[0]["entityId"] == org.issuer["entityId"]
    without = login(org.api, org.settings, admin, scope="rw:issuer")
    assert org.api.get(path, headers=bearer(without)).status_code == 404
    plain = login(org.api, org.settings, make_user(org.settings), scope="rw:serverAdmin rw:issuer")
    assert plain["scope"] == "rw:issuer"
    assert org.api.get(path, headers=bearer(plain)).status_code == 404


def test_unknown_v2_paths_and_methods_answer_in_the_envelope(org: Org) -> None:
    for path, method in (("/v2/no-such-thing", "get"), ("/v2", "get"), ("/v2/issuers/x/y/z", "post"),
                         ("/v2/users/self", "delete")):
        res = getattr(org.api, method)(path, headers=org.h())
        assert res.status_code in (404, 405), (path, res.status_code)
        body = res.json()
        assert body["status"]["success"] is False and body["result"] == [], (path, body)
        assert isinstance(body["status"]["description"], str) and body["status"]["description"]
    assert org.api.delete("/v2/users/self", headers=org.h()).status_code == 405
    assert org.api.get("/v2/nothing").json()["status"]["description"] == "no such resource"  # no token needed
    plain = org.api.get("/v1/no-such-thing", headers=org.h())  # the rest of the app keeps its own shape
    assert plain.status_code == 404 and "status" not in plain.json()


def test_archiving_on_put_refuses_issuing_until_unarchived(org: Org) -> None:
    path = f"/v2/badgeclasses/{org.badge['entityId']}"
    echoed = _result(org.api.get(path, headers=org.h()))[0]  # a GET-then-PUT echoing archived: false changes nothing
    assert echoed["archived"] is False
    assert _result(org.api.put(path, headers=org.h(), json={**echoed, "archived": False}))[0]["archived"] is False
    bad = org.api.put(path, headers=org.h(), json={"archived": "maybe"})
    assert bad.status_code == 400 and "archived" in bad.json()["fieldErrors"]
    assert _result(org.api.put(path, headers=org.h(), json={"archived": True}))[0]["archived"] is True
    refused = org.issue()
    assert refused.status_code == 409 and refused.json()["status"]["success"] is False
    assert "archived" in refused.json()["status"]["description"]
    listing = f"/v2/issuers/{org.issuer['entityId']}/badgeclasses"
    assert org.badge["entityId"] not in {b["entityId"] for b in _result(org.api.get(listing, headers=org.h()))}
    assert org.badge["entityId"] in {b["entityId"] for b in _result(
        org.api.get(f"{listing}?include_archived=true", headers=org.h()))}
    held = _result(org.api.get(f"{path}/assertions", headers=org.h()))
    assert held == []  # the refused award wrote nothing
    assert _result(org.api.put(path, headers=org.h(), json={"archived": "false"}))[0]["archived"] is False
    assert org.issue().status_code == 201


def test_badge_class_expires_is_the_default_lifetime_of_its_assertions(org: Org) -> None:
    path = f"/v2/badgeclasses/{org.badge['entityId']}"
    assert org.badge["expires"] is None
    for bad in ({"amount": 0, "duration": "days"}, {"amount": 2, "duration": "fortnights"}, {"amount": "2"},
                {"amount": True, "duration": "days"}, "P1Y", {"amount": 1, "duration": "days", "x": 1}):
        res = org.api.put(path, headers=org.h(), json={"expires": bad})
        assert res.status_code == 400 and "expires" in res.json()["fieldErrors"], bad
    changed = _result(org.api.put(path, headers=org.h(), json={"expires": {"amount": 1, "duration": "months"}}))[0]
    assert changed["expires"] == {"amount": 1, "duration": "months"}
    assert _result(org.api.get(path, headers=org.h()))[0]["expires"] == {"amount": 1, "duration": "months"}
    got = _result(org.issue(issuedOn="2024-01-31T10:00:00Z"), 201)[0]
    assert got["expires"].startswith("2024-02-29T10:00:00")  # the month's last day when it is shorter
    explicit = _result(org.issue("b@example.org", issuedOn="2024-01-01T00:00:00Z",
                                 expires="2030-01-01T00:00:00Z"), 201)[0]
    assert explicit["expires"].startswith("2030-01-01")  # the request's own expires wins
    _result(org.api.put(path, headers=org.h(), json={"expires": {"amount": 2, "duration": "weeks"}}))
    weeks = _result(org.issue("c@example.org", issuedOn="2024-03-01T00:00:00Z"), 201)[0]
    assert weeks["expires"].startswith("2024-03-15T00:00:00")
    made = _result(org.api.post("/v2/badgeclasses", headers=org.h(), json={
        "issuer": org.issuer["entityId"], "name": "Yearly", "description": "d", "image": PNG_DATA_URI,
        "criteriaNarrative": "c", "expires": {"amount": 1, "duration": "years"}}), 201)[0]
    assert made["expires"] == {"amount": 1, "duration": "years"}
    yearly = _result(org.api.post(f"/v2/badgeclasses/{made['entityId']}/assertions", headers=org.h(), json={
        "recipient": {"identity": "d@example.org", "type": "email"}, "issuedOn": "2024-02-29T00:00:00Z"}), 201)[0]
    assert yearly["expires"].startswith("2025-02-28T00:00:00")
    assert org.api.get(f"/public/assertions/{yearly['entityId']}").json()["expires"].startswith("2025-02-28")
    assert _result(org.api.put(path, headers=org.h(), json={"expires": None}))[0]["expires"] is None
    assert _result(org.issue("e@example.org"), 201)[0]["expires"] is None


def test_staff_invitations_patch_and_accountless_members(org: Org) -> None:
    url = f"/v2/issuers/{org.issuer['entityId']}/staff"
    later = f"later-{org.issuer['entityId'].lower()}@example.org"
    staff = _result(org.api.post(f"{url}/invitations", headers=org.h(), json={"email": later, "role": "editor"}))
    invited = {s["userProfile"]["emails"][0]["email"]: s for s in staff[0]["staff"]}[later]
    assert invited["role"] == "editor" and invited["user"] is None  # no account with that email yet
    res = org.api.post(f"{url}/invitations", headers=org.h(), json={"email": later.upper(), "role": "staff"})
    assert res.status_code == 409 and res.json()["fieldErrors"]["email"]
    res = org.api.patch(url, headers=org.h(), json={"email": later, "role": "boss"})
    assert res.status_code == 400 and "role" in res.json()["fieldErrors"]
    staff = _result(org.api.patch(url, headers=org.h(), json={"email": later, "role": "staff"}))[0]["staff"]
    assert {s["userProfile"]["emails"][0]["email"]: s["role"] for s in staff}[later] == "staff"
    # the account made later with that email holds the role; as staff it may neither invite nor change roles
    in_session(org.settings, lambda s: create_user(s, later, PASSWORD))
    member = login(org.api, org.settings, later)
    member_id = _result(org.api.get("/v2/users/self", headers=bearer(member)))[0]["entityId"]
    staff = _result(org.api.get(f"/v2/issuers/{org.issuer['entityId']}", headers=bearer(member)))[0]["staff"]
    assert {s["userProfile"]["emails"][0]["email"]: s["user"] for s in staff}[later] == member_id
    for method, path in (("POST", f"{url}/invitations"), ("PATCH", url), ("PUT", url)):
        res = org.api.request(method, path, headers=bearer(member), json={"email": later, "role": "owner"})
        assert res.status_code == 403 and res.json()["status"]["success"] is False, (method, path)
    assert org.api.get(f"/v2/issuers/{org.issuer['entityId']}", headers=bearer(member)).json()["result"][0][
        "staff"][1]["role"] == "staff"


def test_include_staff_false_leaves_staff_out_of_every_issuer_answer(org: Org) -> None:
    ref = org.issuer["entityId"]
    b64 = base64.urlsafe_b64encode(org.issuer["openBadgeId"].encode()).decode()
    no = {"include_staff": "false"}
    answers = [org.api.get("/v2/issuers", headers=org.h(), params=no),
               org.api.get(f"/v2/issuers/{ref}", headers=org.h(), params=no),
               org.api.get(f"/v2/issuers/openBadgeId/{b64}", headers=org.h(), params=no),
               org.api.put(f"/v2/issuers/{ref}", headers=org.h(), params=no, json={**org.issuer, "description": "a"}),
               org.api.patch(f"/v2/issuers/ref/{b64}", headers=org.h(), params=no, json={"description": "b"})]
    for res in answers:
        assert res.status_code == 200 and all("staff" not in i for i in _result(res)), res.request.url
    made = org.api.post("/v2/issuers", headers=org.h(), params=no, json={
        "name": "No staff shown", "email": "n@example.org", "url": "https://example.org"})
    assert "staff" not in _result(made, 201)[0]
    assert _result(org.api.get(f"/v2/issuers/openBadgeId/{b64}", headers=org.h()))[0]["staff"]  # default: true


def test_badge_class_alignments_are_taken_and_published(org: Org) -> None:
    aligned = {"targetName": "Algebra", "targetUrl": "https://example.org/frameworks/algebra",
               "targetDescription": "Solving equations", "targetFramework": "Maths", "targetCode": "ALG-1"}
    made = _result(org.api.post("/v2/badgeclasses", headers=org.h(), json={
        "issuer": org.issuer["entityId"], "name": "Aligned", "description": "d", "image": PNG_DATA_URI,
        "criteriaNarrative": "c", "alignments": [aligned]}), 201)[0]
    assert made["alignments"] == [aligned]
    public = org.api.get(f"/public/badges/{made['entityId']}").json()
    assert public["alignment"] == [aligned]
    path = f"/v2/badgeclasses/{made['entityId']}"
    echoed = _result(org.api.put(path, headers=org.h(), json=made))[0]  # GET-then-PUT keeps them
    assert echoed["alignments"] == [aligned]
    for bad in ([{"targetName": "No url"}], [{"targetName": "x", "targetUrl": "ftp://x"}], "Algebra",
                [{**aligned, "extra": 1}]):
        res = org.api.put(path, headers=org.h(), json={"alignments": bad})
        assert res.status_code == 400 and "alignments" in res.json()["fieldErrors"], bad
    assert _result(org.api.put(path, headers=org.h(), json={"alignments": None}))[0]["alignments"] == []
