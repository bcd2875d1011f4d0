"""The earner pages in headless Chromium through the shared harness (``tests/hosting/_browser.py``), at 1000 px and
360 px: the pending-accept page, accepting with "show my name" ticked (then the now public badge page shows the
name), the used link's 410 page, the claim page, claiming with an email, a used code's 410 page and an unknown
code's 404 page — forms really submitted, screenshots in ``test-artifacts/``, no console error, no request leaving
the origin, no serious or critical axe-core violation. The other page kinds (active, revoked, expired, signed,
OB 3.0, issuer, badge class, 404) are in ``tests/hosting/pages/test_pages_browser.py``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from _browser import DESKTOP, PHONE, Chrome, assert_clean, chrome_fixture, chromium_path  # noqa: F401 - fixture
from _hosting_live import SECRET, LiveServer, live_server
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from hosting.earners.codes import create_codes
from hosting.earners.tokens import AcceptLinks
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine
from hosting.storage.models import Assertion, BadgeClass
from hosting.storage.store import Award, HostingStore

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


@dataclass(frozen=True)
class Offer:
    """What one viewport's test works on: a pending award's accept token and public id, and a single-use code."""

    token: str
    public_id: str
    code: str
    ada: str  # the pending award's recipient
    grace: str  # who claims with the code


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, Offer]]]:
    chromium_path()
    with live_server(tmp_path_factory.mktemp("earners-browser")) as srv:

        async def _seed() -> dict[str, Offer]:
            engine = create_engine(srv.database_url)
            try:
                async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                    store = HostingStore(session, srv.urls, KeyBox(SECRET))
                    badge = await session.scalar(select(BadgeClass).where(BadgeClass.public_id == srv.demo.badge_png))
                    assert badge is not None
                    offers = {}
                    for view in VIEWPORTS:
                        ada = f"ada.{view}@example.org"
                        (pending,) = await store.award(badge, [Award(recipient=ada, acceptance="earner",
                                                                     recipient_name="Ada Lovelace")])
                        made = await AcceptLinks(SECRET).create(session, [pending.id])
                        code = f"BROWSER-CLAIM-{view.upper()}"
                        await create_codes(session, badge, [code], multiuse=False, expires=None)
                        offers[view] = Offer(made[pending.id].token, pending.public_id, code, ada,
                                             f"grace.{view}@example.org")
                    await session.commit()
                    return offers
            finally:
                await engine.dispose()

        yield srv, asyncio.run(_seed())


def _states(srv: LiveServer, emails: list[str]) -> dict[str, tuple[str, bool]]:
    async def _read() -> dict[str, tuple[str, bool]]:
        engine = create_engine(srv.database_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(select(Assertion.recipient_plaintext, Assertion.state,
                                                 Assertion.recipient_name_shown)
                                          .where(Assertion.recipient_plaintext.in_(emails)))
                return {r[0]: (r[1], r[2]) for r in rows}
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API keeps an event loop running in this thread
        return pool.submit(asyncio.run, _read()).result()


def _accept_showing_name(page: Any) -> None:
    page.get_by_label("Show my name").check()
    page.get_by_role("button", name="Accept").click()


@pytest.mark.parametrize("view", list(VIEWPORTS))
def test_accept_a_pending_badge_showing_the_name(server: tuple[LiveServer, dict[str, Offer]], chrome: Chrome,
                                                 view: str) -> None:
    srv, offers = server
    offer, origin = offers[view], srv.base_url
    accept_url = f"{origin}/accept/{offer.token}"
    public = srv.urls.assertion(offer.public_id)
    with chrome.tab(origin=origin, viewport=VIEWPORTS[view]) as tab:
        assert_clean(tab.open(public, f"earners-pending-public-{view}", expect_status=404), origin, status=404,
                     visible="Not found", focus=False)  # not published while pending
        page = tab.open(accept_url, f"earners-accept-{view}")
        assert_clean(page, origin, visible="Show my name (Ada Lovelace) on the badge page")
        assert "Demo Academy offers you the badge “Python Basics”" in page.text and offer.ada not in page.text
        done = tab.submit(f"earners-accepted-{view}", _accept_showing_name)
        assert_clean(done, origin, visible="You accepted")
        shared = tab.open(public, f"earners-accepted-public-{view}")
        assert_clean(shared, origin, visible="Awarded to Ada Lovelace")
        assert offer.ada not in shared.text  # the name, never the email
        assert_clean(tab.open(accept_url, f"earners-accept-used-{view}", expect_status=410), origin, status=410,
                     focus=False)
    assert _states(srv, [offer.ada]) == {offer.ada: ("active", True)}


@pytest.mark.parametrize("view", list(VIEWPORTS))
def test_claim_a_badge_with_a_code(server: tuple[LiveServer, dict[str, Offer]], chrome: Chrome, view: str) -> None:
    srv, offers = server
    offer, origin = offers[view], srv.base_url
    claim_url = f"{origin}/claim/{offer.code}"
    with chrome.tab(origin=origin, viewport=VIEWPORTS[view]) as tab:
        assert_clean(tab.open(claim_url, f"earners-claim-{view}"), origin, visible="Claim the badge “Python Basics”")
        tab.page.get_by_label("Your email address").fill(offer.grace)
        done = tab.submit(f"earners-claimed-{view}",
                          lambda page: page.get_by_role("button", name="Claim badge").click())
        assert_clean(done, origin, status=201, visible="You claimed")  # a badge was created
        assert_clean(tab.open(claim_url, f"earners-claim-used-{view}", expect_status=410), origin, status=410,
                     focus=False)
        assert_clean(tab.open(f"{origin}/claim/NO-SUCH-CODE", f"earners-claim-unknown-{view}", expect_status=404),
                     origin, status=404, focus=False)
    assert _states(srv, [offer.grace]) == {offer.grace: ("active", False)}
