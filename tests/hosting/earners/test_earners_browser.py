"""The earner pages in headless Chromium (Playwright): at 360 px wide, without JavaScript, accept a pending badge
and claim one with a code by really submitting the forms; no console errors, no request leaving the server's
origin, no horizontal scrolling, and no serious or critical axe-core violations. Screenshots go to
``test-artifacts/``. Skips when Chromium or Playwright is missing (fails with ``OPENBADGES_REQUIRE_CHROMIUM=1``)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
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

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CODE = "BROWSER-CLAIM-1"


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        if os.environ.get("OPENBADGES_REQUIRE_CHROMIUM") == "1":
            pytest.fail("headless Chromium and Playwright required (OPENBADGES_REQUIRE_CHROMIUM=1)")
        pytest.skip("headless Chromium or Playwright (with axe-playwright-python) not installed")
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    _chromium()
    with live_server(tmp_path_factory.mktemp("earners-browser")) as srv:

        async def _seed() -> str:
            engine = create_engine(srv.database_url)
            try:
                async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                    store = HostingStore(session, srv.urls, KeyBox(SECRET))
                    badge = await session.scalar(select(BadgeClass).where(BadgeClass.public_id == srv.demo.badge_png))
                    assert badge is not None
                    (pending,) = await store.award(badge, [Award(recipient="ada.browser@example.org", acceptance="earner",
                                                                 recipient_name="Ada Lovelace")])
                    made = await AcceptLinks(SECRET).create(session, [pending.id])
                    await create_codes(session, badge, [CODE], multiuse=False, expires=None)
                    await session.commit()
                    return made[pending.id].token
            finally:
                await engine.dispose()

        yield srv, asyncio.run(_seed())


class _Watch:
    """Console errors and requests of one page."""

    def __init__(self, page: Any, origin: str) -> None:
        self.errors: list[tuple[str, str]] = []  # (message, url)
        self.foreign: list[str] = []
        page.on("console", lambda m: self.errors.append((m.text, m.location.get("url", "")))
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append((str(e), "")))
        page.on("request", lambda r: None if r.url.startswith((origin, "data:")) else self.foreign.append(r.url))


def _check(page: Any, axe_page: Any, name: str) -> None:
    """Screenshot ``page`` (JavaScript off), check its layout and landmarks, then run axe-core on the same HTML in
    ``axe_page`` (axe needs JavaScript; the pages have none of their own)."""
    from axe_playwright_python.sync_playwright import Axe

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"earners-{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name}: scrolls sideways"
    assert page.locator("main").count() == 1 and page.locator("html").get_attribute("lang") == "en"
    for img in page.locator("img").all():
        assert img.get_attribute("alt"), f"{name}: an image without alt text"
    axe_page.set_content(page.content())
    violations = Axe().run(axe_page).response["violations"]
    serious = [(v["id"], v["impact"]) for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{name}: {serious}"


def test_accept_and_claim_in_a_real_browser(server: tuple[LiveServer, str]) -> None:
    from playwright.sync_api import sync_playwright

    srv, token = server
    origin = srv.base_url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
            page = context.new_page()
            page.set_default_timeout(15_000)
            watch = _Watch(page, origin)
            axe_page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
            axe_page.set_default_timeout(15_000)

            res = page.goto(f"{origin}/accept/{token}")
            assert res is not None and res.status == 200
            heading = page.get_by_role("heading", level=1).inner_text()
            assert "Demo Academy" in heading and "Python Basics" in heading
            assert page.locator('img[alt]').first.evaluate("i => i.naturalWidth") > 0  # the badge image loaded
            _check(page, axe_page, "accept")
            page.get_by_label("Show my name").check()
            page.get_by_role("button", name="Accept").click()
            assert "You accepted" in page.content()
            _check(page, axe_page, "accepted")

            res = page.goto(f"{origin}/accept/{token}")  # the link is used up
            assert res is not None and res.status == 410
            _check(page, axe_page, "accept-used")

            res = page.goto(f"{origin}/claim/{CODE}")
            assert res is not None and res.status == 200
            _check(page, axe_page, "claim")
            page.get_by_label("Your email address").fill("grace.browser@example.org")
            page.get_by_role("button", name="Claim badge").click()
            assert "You claimed" in page.content()
            _check(page, axe_page, "claimed")

            res = page.goto(f"{origin}/claim/NO-SUCH-CODE")
            assert res is not None and res.status == 404
            _check(page, axe_page, "claim-unknown")

            # Chromium logs the error pages' own 410/404 status; nothing else may fail.
            expected = {f"{origin}/accept/{token}", f"{origin}/claim/NO-SUCH-CODE"}
            assert [e for e in watch.errors if e[1] not in expected] == []
            assert len(watch.errors) == 2 and watch.foreign == []
        finally:
            browser.close()

    async def _states() -> dict[str, Any]:
        engine = create_engine(srv.database_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(select(Assertion.recipient_plaintext, Assertion.state,
                                                 Assertion.recipient_name_shown).where(
                    Assertion.recipient_plaintext.in_(["ada.browser@example.org", "grace.browser@example.org"])))
                return {r[0]: (r[1], r[2]) for r in rows}
        finally:
            await engine.dispose()

    assert asyncio.run(_states()) == {"ada.browser@example.org": ("active", True), "grace.browser@example.org": ("active", False)}
