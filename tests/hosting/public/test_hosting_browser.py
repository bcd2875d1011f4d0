"""End to end in headless Chromium (Playwright, see ``tests/hosting/_browser.py``): what a person sees on a valid
and on a revoked assertion page — the badge image really drawn, the revoked banner really red.

Skips with the reason when Chromium is not installed; fails instead when ``OPENBADGES_REQUIRE_CHROMIUM=1``.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _browser import Chrome, browser, chromium_path
from _hosting_live import LiveServer, live_server
from PIL import Image

pytestmark = pytest.mark.browser

BADGE_BLUE = (10, 88, 202)  # the demo badge image's fill colour (hosting.app.demo.demo_png)
REVOKED_RED = (207, 34, 46)  # the revoked banner's border colour (#cf222e)


def _count(path: Path, colour: tuple[int, int, int], tolerance: int = 12) -> int:
    img = Image.open(path).convert("RGB")
    raw = img.tobytes()
    return sum(
        1 for i in range(0, len(raw), 3)
        if abs(raw[i] - colour[0]) <= tolerance and abs(raw[i + 1] - colour[1]) <= tolerance
        and abs(raw[i + 2] - colour[2]) <= tolerance
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    chromium_path()
    with live_server(tmp_path_factory.mktemp("browser")) as srv:
        yield srv


@pytest.fixture(scope="module")
def chrome() -> Iterator[Chrome]:
    with browser() as c:
        yield c


def test_browser_shows_a_valid_assertion_with_name_and_loaded_image(server: LiveServer, chrome: Chrome) -> None:
    visit = chrome.visit(server.urls.assertion(server.demo.active), "hosting-valid-assertion",
                         origin=server.base_url, run_axe=False)
    assert "Python Basics" in visit.text and "Valid:" in visit.text and "Revoked" not in visit.text
    # The image really loaded: its blue fill is on the screenshot, and the server served it.
    assert _count(visit.screenshot, BADGE_BLUE) > 2000, "badge image not visible on the screenshot"
    assert f"/public/badges/{server.demo.badge_png}/image" in server.log.read_text()
    assert _count(visit.screenshot, REVOKED_RED) < 50


def test_browser_shows_a_revoked_banner_on_a_revoked_assertion(server: LiveServer, chrome: Chrome) -> None:
    visit = chrome.visit(server.urls.assertion(server.demo.revoked), "hosting-revoked-assertion",
                         origin=server.base_url, expect_status=410, run_axe=False)
    assert visit.status == 410
    assert "Python Basics" in visit.text and "Revoked" in visit.text and "Issued in error" in visit.text
    assert _count(visit.screenshot, REVOKED_RED) > 500, "revoked banner not visible on the screenshot"
    assert _count(visit.screenshot, BADGE_BLUE) > 2000
