"""The accept page: accept and reject through a real HTTP client posting the form (CSRF-protected), forged or
missing CSRF refused, used/expired/unknown links, the pending email's link — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from _api_support import bearer
from _earner_support import (  # noqa: F401 - fixtures
    Team,
    answer,
    csrf_of,
    earner_api,
    earner_team,
    expire_links,
    issue_pending,
    path_of,
    roomy,
    row,
)
from _hosting_live import serve_app
from conftest import BASE_URL, run_store
from litestar.testing import TestClient
from sqlalchemy import select

from hosting import Settings, create_app
from hosting.earners.pages import CSRF_COOKIE
from hosting.notify.outbox import build_message
from hosting.storage.models import AcceptToken, Assertion, OutboxMessage
from hosting.storage.store import HostingStore


def _fresh(settings: Settings) -> TestClient[Any]:
    return TestClient(create_app(roomy(settings)), base_url=BASE_URL)


def test_accept_page_shows_the_badge_and_a_form(api: TestClient[Any], team: Team) -> None:
    pending = issue_pending(team, team.badge(), recipient_name="Ada Lovelace", recipient="ada@example.org")
    page = api.get(path_of(pending["acceptUrl"]))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script at all
    html = page.text
    assert '<html lang="en">' in html and "<main id=\"main\">" in html
    assert "Gold Star" in html and "Test Issuer" in html and 'alt="Badge image: Gold Star"' in html
    assert 'name="decision" value="accept"' in html and 'name="decision" value="reject"' in html
    assert 'name="show_name"' in html and "Ada Lovelace" in html
    assert "ada@example.org" not in html  # the email is never shown
    assert "<script" not in html
    assert CSRF_COOKIE in page.headers.get("set-cookie", "") or api.cookies.get(CSRF_COOKIE)


def _answer_showing_the_name(settings: Settings, api: TestClient[Any], team: Team,
                             decision: str) -> tuple[httpx.Response, dict[str, Any], Assertion]:
    """A pending award to Grace Hopper answered through the page with ``decision``, the show-name box ticked: the
    answer page, the award as issued and its row after the answer."""
    pending = issue_pending(team, team.badge(), recipient_name="Grace Hopper")
    res = answer(api, pending["acceptUrl"], decision, show_name="on")
    return res, pending, row(settings, pending["id"])


def test_accept_with_name_opt_in(settings: Settings, api: TestClient[Any], team: Team) -> None:
    res, pending, stored = _answer_showing_the_name(settings, api, team, "accept")
    assert res.status_code == 200 and "You accepted" in res.text
    assert stored.state == "active" and stored.recipient_name_shown is True
    view = team.api.get(f"/v1/assertions/{pending['id']}", headers=bearer(team.owner)).json()["assertion"]
    assert view["recipientNameShown"] is True and view["acceptUrl"] is None


def test_accept_without_opt_in_keeps_the_name_hidden(settings: Settings, api: TestClient[Any], team: Team) -> None:
    pending = issue_pending(team, team.badge(), recipient_name="Grace Hopper")
    assert answer(api, pending["acceptUrl"], "accept").status_code == 200
    assert row(settings, pending["id"]).recipient_name_shown is False


def test_reject_through_the_page(settings: Settings, api: TestClient[Any], team: Team) -> None:
    res, pending, stored = _answer_showing_the_name(settings, api, team, "reject")
    assert res.status_code == 200 and "You rejected" in res.text
    assert stored.state == "rejected" and stored.recipient_name_shown is False  # a rejected award shows nothing
    assert api.get(path_of(pending["publicUrl"])).status_code == 404


def test_a_used_link_answers_410(api: TestClient[Any], team: Team) -> None:
    pending = issue_pending(team, team.badge())
    page = api.get(path_of(pending["acceptUrl"]))
    token = csrf_of(page.text)
    assert api.post(path_of(pending["acceptUrl"]), data={"_csrf_token": token, "decision": "accept"}).status_code == 200
    again = api.get(path_of(pending["acceptUrl"]))
    assert again.status_code == 410 and again.headers["content-type"].startswith("text/html")
    replay = api.post(path_of(pending["acceptUrl"]), data={"_csrf_token": token, "decision": "reject"})
    assert replay.status_code == 410
    assert api.get(path_of(pending["publicUrl"])).status_code == 200  # still accepted


def test_an_expired_link_answers_410_and_changes_nothing(settings: Settings, api: TestClient[Any],
                                                          team: Team) -> None:
    pending = issue_pending(team, team.badge())
    page = api.get(path_of(pending["acceptUrl"]))
    expire_links(settings, pending["id"])
    assert api.get(path_of(pending["acceptUrl"])).status_code == 410
    res = api.post(path_of(pending["acceptUrl"]), data={"_csrf_token": csrf_of(page.text), "decision": "accept"})
    assert res.status_code == 410 and "expired" in res.text
    assert row(settings, pending["id"]).state == "pending"
    view = team.api.get(f"/v1/assertions/{pending['id']}", headers=bearer(team.owner)).json()["assertion"]
    assert view["acceptUrl"] is None  # no usable link to show


@pytest.mark.parametrize("token", ["A" * 43, "short", "not a token at all!", "B" * 200])
def test_unknown_links_answer_an_html_404(api: TestClient[Any], token: str) -> None:
    res = api.get(f"/accept/{token}")
    assert res.status_code == 404 and res.headers["content-type"].startswith("text/html")
    assert "<main id=\"main\">" in res.text


def test_a_form_post_without_the_csrf_token_is_refused(settings: Settings, api: TestClient[Any],
                                                        team: Team) -> None:
    pending = issue_pending(team, team.badge())
    api.get(path_of(pending["acceptUrl"]))  # has the cookie, but the form lacks the token
    res = api.post(path_of(pending["acceptUrl"]), data={"decision": "accept"})
    assert res.status_code == 403 and res.headers["content-type"].startswith("text/html")
    assert row(settings, pending["id"]).state == "pending"


def test_a_forged_csrf_token_is_refused(settings: Settings, api: TestClient[Any], team: Team) -> None:
    pending = issue_pending(team, team.badge())
    real = csrf_of(api.get(path_of(pending["acceptUrl"])).text)
    forged = real[:64] + ("0" if real[64] != "0" else "1") + real[65:]  # the HMAC part changed
    res = api.post(path_of(pending["acceptUrl"]), data={"_csrf_token": forged, "decision": "accept"})
    assert res.status_code == 403
    assert row(settings, pending["id"]).state == "pending"


def test_a_cross_site_post_without_the_cookie_is_refused(settings: Settings, api: TestClient[Any],
                                                          team: Team) -> None:
    """A page of another site can make the browser post the form, but cannot read our cookie or page: a token
    it got from its own visit does not match the victim's (absent) cookie."""
    pending = issue_pending(team, team.badge())
    with _fresh(settings) as attacker:
        stolen = csrf_of(attacker.get(path_of(pending["acceptUrl"])).text)
    with _fresh(settings) as victim:
        res = victim.post(path_of(pending["acceptUrl"]), data={"_csrf_token": stolen, "decision": "reject"})
    assert res.status_code == 403
    assert row(settings, pending["id"]).state == "pending"


def test_a_missing_decision_is_a_400_page(settings: Settings, api: TestClient[Any], team: Team) -> None:
    pending = issue_pending(team, team.badge())
    token = csrf_of(api.get(path_of(pending["acceptUrl"])).text)
    res = api.post(path_of(pending["acceptUrl"]), data={"_csrf_token": token, "decision": "maybe"})
    assert res.status_code == 400 and res.headers["content-type"].startswith("text/html")
    assert row(settings, pending["id"]).state == "pending"


def test_only_a_hash_of_the_token_is_stored(settings: Settings, team: Team) -> None:
    pending = issue_pending(team, team.badge())
    token = path_of(pending["acceptUrl"]).rsplit("/", 1)[1]

    async def _rows(store: HostingStore) -> list[AcceptToken]:
        return list(await store.session.scalars(
            select(AcceptToken).join(Assertion, Assertion.id == AcceptToken.assertion_id)
            .where(Assertion.public_id == pending["id"])))

    (stored,) = run_store(settings, _rows)
    assert token not in (stored.nonce, stored.token_hash)
    assert stored.used_at is None
    days = (stored.expires_at - stored.created_at).days
    assert days == settings.accept_token_days


def test_the_pending_email_carries_a_working_link(settings: Settings, api: TestClient[Any], team: Team) -> None:
    pending = issue_pending(team, team.badge())

    async def _outbox(store: HostingStore) -> OutboxMessage:
        message = await store.session.scalar(
            select(OutboxMessage).join(Assertion, Assertion.id == OutboxMessage.assertion_id)
            .where(Assertion.public_id == pending["id"]))
        assert message is not None
        return message

    message = run_store(settings, _outbox)
    assert message.kind == "pending"
    assert pending["acceptUrl"] not in str(message.context)  # the outbox keeps the nonce, not the link
    mail_settings = roomy(settings, smtp_host="127.0.0.1", smtp_from="badges@example.org")
    state = team.api.app.state["hosting"]
    email = build_message(message, mail_settings, state.urls, state.accept_links)
    text = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert pending["acceptUrl"] in text and "Gold Star" in email["Subject"]
    assert answer(api, pending["acceptUrl"], "accept").status_code == 200


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn (real sockets, a pool for the concurrent clients)."""
    with serve_app(create_app(roomy(settings, db_pool_size=12))) as base:
        yield base


def test_concurrent_answers_to_one_link_have_one_winner(settings: Settings, live: str, team: Team) -> None:
    pending = issue_pending(team, team.badge())
    path = path_of(pending["acceptUrl"])
    decisions = ["accept", "reject"] * 4
    start = threading.Barrier(len(decisions))

    def _one(decision: str) -> int:
        with httpx.Client(base_url=live, timeout=60) as client:
            token = csrf_of(client.get(path).text)
            start.wait()
            return client.post(path, data={"_csrf_token": token, "decision": decision}).status_code

    with ThreadPoolExecutor(max_workers=len(decisions)) as pool:
        statuses = list(pool.map(_one, decisions))
    assert sorted(statuses) == [200] + [410] * (len(decisions) - 1), statuses
    assert row(settings, pending["id"]).state in ("active", "rejected")


def test_openapi_documents_the_earner_routes_and_fields(api: TestClient[Any]) -> None:
    spec = api.get("/schema/openapi.json").json()
    paths = spec["paths"]
    assert {"/accept/{token}", "/claim/{code}", "/claim/{badge_id}/{code}", "/v1/issuers/{issuer_ref}/badges/{badge_ref}/codes",
            "/v1/issuers/{issuer_ref}/badges/{badge_ref}/codes/{code}"} <= set(paths)
    assert set(paths["/accept/{token}"]) >= {"get", "post"} and set(paths["/claim/{badge_id}/{code}"]) >= {"get", "post"}
    schemas = spec["components"]["schemas"]
    assertion = schemas["Assertion"]["properties"]
    assert {"acceptUrl", "stateUpdatedAt", "recipientNameShown"} <= set(assertion)
    assert "pending" in str(assertion["state"]) and "rejected" in str(assertion["state"])
    issue_body = str(paths["/v1/issuers/{issuer_ref}/badges/{badge_ref}/assertions"]["post"]["requestBody"])
    assert "acceptance" in issue_body and "claimCode" in issue_body
