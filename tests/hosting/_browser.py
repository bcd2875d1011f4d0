"""Headless Chromium for the page tests (Playwright, with the system's Chromium: no browser is downloaded).

One reusable visit: open a URL at a given viewport, refuse (and record) every request that would leave the
server's origin, collect console errors and uncaught page errors, save a full-page screenshot to
``test-artifacts/``, and run axe-core from the copy bundled in the ``axe-playwright-python`` package (MPL 2.0,
injected over the DevTools protocol, so the page's no-script CSP stays in force).

    with browser() as chrome:
        visit = chrome.visit(url, "assertion-active", origin=base_url)
        assert_clean(visit, base_url, visible="Valid")
        with chrome.tab(origin=base_url, viewport=PHONE) as tab:  # several pages, forms really submitted
            tab.open(form_url, "form")
            done = tab.submit("form-sent", lambda page: page.get_by_role("button", name="Send").click())

Skips with the reason when Chromium is absent; fails instead when ``OPENBADGES_REQUIRE_CHROMIUM=1``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERIOUS = ("serious", "critical")
DESKTOP = {"width": 1000, "height": 900}
PHONE = {"width": 360, "height": 740}


def chromium_path() -> str:
    """The system Chromium, or skip (fail with ``OPENBADGES_REQUIRE_CHROMIUM=1``) with the reason."""
    found = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"),
                              shutil.which("google-chrome")) if p and os.path.exists(p)), None)
    reason = "headless Chromium not installed (apt-get install chromium)"
    if found is not None:
        try:
            import axe_playwright_python  # noqa: F401
            import playwright.sync_api  # noqa: F401
        except ImportError:
            found, reason = None, "playwright / axe-playwright-python not installed (pip install -e '.[dev]')"
    if found is None:
        if os.environ.get("OPENBADGES_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"headless Chromium required (OPENBADGES_REQUIRE_CHROMIUM=1) but {reason}")
        pytest.skip(reason)
    return found


@dataclass
class Visit:
    """What one page visit saw."""

    url: str
    status: int
    screenshot: Path
    title: str
    text: str
    blocked: list[str] = field(default_factory=list)  # requests to another origin (refused)
    console_errors: list[str] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)  # axe-core, every impact
    scroll_width: int = 0
    viewport_width: int = 0
    images: list[dict[str, Any]] = field(default_factory=list)  # src, alt, natural width of each <img>
    axe_engine: str = ""  # "axe-core 4.x" when axe ran
    focus_outline: str = ""  # the computed outline of the first element the Tab key reaches ("" when none)

    @property
    def serious_violations(self) -> list[str]:
        return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
                for v in self.violations if v.get("impact") in SERIOUS]

    @property
    def clean(self) -> bool:
        return not self.blocked and not self.console_errors


class Tab:
    """One browser context kept open across several pages (to follow links and submit forms); every request
    leaving ``origin`` is refused and recorded, console errors are collected for the whole tab."""

    def __init__(self, context: Any, origin: str, view: dict[str, int], html: tuple[str, str, int] | None) -> None:
        self.allowed = "{0.scheme}://{0.netloc}".format(urlsplit(origin))
        self.view = view
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self._error_pages: set[str] = set()  # documents whose own 4xx status the test expects
        self._html = html  # (url, body, status) answered without asking the server
        context.route("**/*", self._guard)
        self.page = context.new_page()
        self.page.set_default_timeout(20_000)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    def _guard(self, route: Any) -> None:
        target = route.request.url
        if self._html is not None and target == self._html[0]:
            route.fulfill(status=self._html[2], body=self._html[1], content_type="text/html; charset=utf-8")
        elif target.startswith(self.allowed + "/") or target == self.allowed:
            route.continue_()
        else:
            self.blocked.append(target)
            route.abort()

    def _on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        # Chromium logs the document's own non-2xx status ("Failed to load resource: … 404") as a console
        # error; for a page whose status is the point of the test (404, 410) that line is expected.
        location = (message.location or {}).get("url", "")
        if location in self._error_pages and "Failed to load resource" in message.text:
            return
        self.errors.append(f"{message.text} @ {location}")

    def open(self, url: str, name: str, *, expect_status: int = 200, run_axe: bool = True) -> Visit:
        """Go to ``url`` and inspect the page (screenshot ``test-artifacts/pages-{name}.png``, axe-core …)."""
        if expect_status >= 400:
            self._error_pages.add(url)
        response = self.page.goto(url, wait_until="load")
        assert response is not None, url
        return self._inspect(url, response.status, name, run_axe)

    def submit(self, name: str, click: Callable[[Any], None], *, expect_status: int = 200,
               run_axe: bool = True) -> Visit:
        """Run ``click(page)`` (which submits a form), wait for the answer, and inspect it like :meth:`open`."""
        with self.page.expect_navigation(wait_until="load") as navigation:
            click(self.page)
        response = navigation.value
        assert response is not None, name
        if expect_status >= 400:
            self._error_pages.add(response.url)
        return self._inspect(response.url, response.status, name, run_axe)

    def _inspect(self, url: str, status: int, name: str, run_axe: bool) -> Visit:
        from axe_playwright_python.sync_playwright import Axe

        page = self.page
        page.wait_for_load_state("networkidle")
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"pages-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        axe = Axe().run(page).response if run_axe else {"violations": []}
        engine = axe.get("testEngine") or {}
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => ({src: e.currentSrc, alt: e.getAttribute('alt'), "
                   "width: e.naturalWidth, complete: e.complete}))")
        text = page.inner_text("body")
        title = page.title()
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        page.keyboard.press("Tab")
        focus = page.evaluate(
            "(() => { const e = document.activeElement; if (!e || e === document.body) return '';"
            " const s = getComputedStyle(e); return s.outlineStyle === 'none' ? '' :"
            " `${s.outlineWidth} ${s.outlineStyle} ${s.outlineColor}`; })()")
        return Visit(url=url, focus_outline=focus, status=status, screenshot=shot, title=title, text=text,
                     blocked=list(self.blocked), console_errors=list(self.errors), violations=axe["violations"],
                     images=images, axe_engine=f"{engine.get('name', '')} {engine.get('version', '')}".strip(),
                     scroll_width=scroll_width, viewport_width=self.view["width"])


class Chrome:
    def __init__(self, browser: Any) -> None:
        self._browser = browser

    @contextmanager
    def tab(self, *, origin: str, viewport: dict[str, int] | None = None,
            html: tuple[str, str, int] | None = None) -> Iterator[Tab]:
        """A fresh context (JavaScript on for axe-core, which is injected over the DevTools protocol; the pages'
        CSP still forbids their own scripts) whose requests outside ``origin`` are aborted and recorded."""
        view = viewport or DESKTOP
        context = self._browser.new_context(viewport=view, java_script_enabled=True, service_workers="block")
        try:
            yield Tab(context, origin, view, html)
        finally:
            context.close()

    def visit(self, url: str, name: str, *, origin: str, viewport: dict[str, int] | None = None,
              expect_status: int = 200, run_axe: bool = True, html: str | None = None) -> Visit:
        """Open ``url`` in a fresh tab; requests outside ``origin`` are aborted and recorded. ``html``: answer
        ``url`` with this document instead of asking the server (to test the checks themselves)."""
        with self.tab(origin=origin, viewport=viewport,
                      html=None if html is None else (url, html, expect_status)) as tab:
            return tab.open(url, name, expect_status=expect_status, run_axe=run_axe)


def assert_clean(visit: Visit, origin: str, *, status: int = 200, visible: str = "", focus: bool = True) -> None:
    """The checks every page test makes: the status, the visible text, a screenshot, no request leaving the origin,
    no console error, axe-core ran with no serious or critical violation, every image loaded from ``origin`` with
    an alt attribute, no horizontal scrolling, and (``focus``) the first link shows a focus outline."""
    assert visit.status == status, (visit.url, visit.status)
    assert visible in visit.text, visit.text[:500]
    assert visit.screenshot.is_file() and visit.screenshot.stat().st_size > 1000
    assert not visit.blocked, f"requests left the origin: {visit.blocked}"
    assert not visit.console_errors, visit.console_errors
    assert visit.axe_engine.startswith("axe-core 4"), "axe-core did not run in the page"
    assert not visit.serious_violations, "\n".join(visit.serious_violations)
    for image in visit.images:  # every image loaded from this server and has a text alternative attribute
        assert image["complete"] and image["width"] > 0, image
        assert image["alt"] is not None, image
        assert image["src"].startswith(origin), image
    assert visit.scroll_width <= visit.viewport_width, f"scrolls sideways at {visit.viewport_width}px"
    if focus:
        assert visit.focus_outline.startswith("3px solid"), visit.focus_outline


@contextmanager
def browser() -> Iterator[Chrome]:
    """Headless system Chromium driven by Playwright."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chrome = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield Chrome(chrome)
        finally:
            chrome.close()


@pytest.fixture(scope="module", name="chrome")
def chrome_fixture() -> Iterator[Chrome]:
    """One headless Chromium for a test module (import this fixture into the module)."""
    with browser() as chrome:
        yield chrome
