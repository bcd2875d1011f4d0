"""Headless Chromium for the page tests (Playwright, with the system's Chromium: no browser is downloaded).

One reusable visit: open a URL at a given viewport, refuse (and record) every request that would leave the
server's origin, collect console errors and uncaught page errors, save a full-page screenshot to
``test-artifacts/``, and run axe-core from the copy bundled in the ``axe-playwright-python`` package (MPL 2.0,
injected over the DevTools protocol, so the page's no-script CSP stays in force).

    with browser() as chrome:
        visit = chrome.visit(url, "assertion-active", origin=base_url)
        assert visit.clean and not visit.serious_violations

Skips with the reason when Chromium is absent; fails instead when ``OPENBADGES_REQUIRE_CHROMIUM=1``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
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


class Chrome:
    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def visit(self, url: str, name: str, *, origin: str, viewport: dict[str, int] | None = None,
              expect_status: int = 200, run_axe: bool = True, html: str | None = None) -> Visit:
        """Open ``url`` in a fresh context; requests outside ``origin`` are aborted and recorded. ``html``: answer
        ``url`` with this document instead of asking the server (to test the checks themselves)."""
        from axe_playwright_python.sync_playwright import Axe

        allowed = "{0.scheme}://{0.netloc}".format(urlsplit(origin))
        view = viewport or DESKTOP
        context = self._browser.new_context(viewport=view, java_script_enabled=True, service_workers="block")
        blocked: list[str] = []
        errors: list[str] = []

        def guard(route: Any) -> None:
            target = route.request.url
            if html is not None and target == url:
                route.fulfill(status=expect_status, body=html, content_type="text/html; charset=utf-8")
            elif target.startswith(allowed + "/") or target == allowed:
                route.continue_()
            else:
                blocked.append(target)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()

        def on_console(message: Any) -> None:
            if message.type != "error":
                return
            # Chromium logs the document's own non-2xx status ("Failed to load resource: … 404") as a console
            # error; for a page whose status is the point of the test (404, 410) that line is expected.
            location = (message.location or {}).get("url", "")
            if expect_status >= 400 and location == url and "Failed to load resource" in message.text:
                return
            errors.append(f"{message.text} @ {location}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
        try:
            response = page.goto(url, wait_until="load")
            assert response is not None, url
            page.wait_for_load_state("networkidle")
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / f"pages-{name}.png"
            page.screenshot(path=str(shot), full_page=True)
            axe = Axe().run(page).response if run_axe else {"violations": []}
            engine = axe.get("testEngine") or {}
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => ({src: e.currentSrc, alt: e.getAttribute('alt'), "
                       "width: e.naturalWidth, complete: e.complete}))")
            page.keyboard.press("Tab")
            focus = page.evaluate(
                "(() => { const e = document.activeElement; if (!e || e === document.body) return '';"
                " const s = getComputedStyle(e); return s.outlineStyle === 'none' ? '' :"
                " `${s.outlineWidth} ${s.outlineStyle} ${s.outlineColor}`; })()")
            return Visit(url=url, focus_outline=focus, status=response.status, screenshot=shot, title=page.title(),
                         text=page.inner_text("body"), blocked=blocked, console_errors=errors,
                         violations=axe["violations"], images=images,
                         axe_engine=f"{engine.get('name', '')} {engine.get('version', '')}".strip(),
                         scroll_width=page.evaluate("document.documentElement.scrollWidth"),
                         viewport_width=view["width"])
        finally:
            context.close()


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
