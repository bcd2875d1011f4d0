"""Every public page kind in headless Chromium (Playwright): rendered with its images, screenshot in
``test-artifacts/``, no console error, no request leaving the server's origin, no serious or critical axe-core
violation, and usable at 360 px wide (no horizontal scrolling)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _browser import DESKTOP, PHONE, Chrome, assert_clean, chrome_fixture, chromium_path  # noqa: F401 - fixture
from _hosting_live import LiveServer, live_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    chromium_path()
    with live_server(tmp_path_factory.mktemp("pages-browser")) as srv:
        yield srv


# kind -> (url builder, expected status, text that must be visible)
KINDS = {
    "assertion-active": (lambda s: s.urls.assertion(s.demo.active), 200, "Valid: this badge is hosted"),
    "assertion-revoked": (lambda s: s.urls.assertion(s.demo.revoked), 410, "Issued in error"),
    "assertion-expired": (lambda s: s.urls.assertion(s.demo.expired), 200, "Expired: this badge expired"),
    "assertion-signed": (lambda s: s.urls.assertion(s.demo.signed), 200, "Signed: this badge is signed"),
    "assertion-svg-badge": (lambda s: s.urls.assertion(s.demo.svg_assertion), 200, "SVG Champion"),
    "credential-data-integrity": (lambda s: s.urls.credential(s.demo.credential_di), 200, "eddsa-rdfc-2022"),
    "credential-vc-jwt": (lambda s: s.urls.credential(s.demo.credential_jwt), 200, "VC-JWT"),
    "issuer": (lambda s: s.urls.issuer(s.demo.issuer), 200, "Python Basics"),
    "badge-class": (lambda s: s.urls.badge(s.demo.badge_png), 200, "Pass the three practical exercises."),
    "not-found": (lambda s: s.urls.assertion("AAAAAAAAAAAAAAAAAAAAAA"), 404, "Not found"),
}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_page_renders_cleanly_and_accessibly(server: LiveServer, chrome: Chrome, kind: str, viewport: str) -> None:
    build, status, visible = KINDS[kind]
    url = build(server)
    view = DESKTOP if viewport == "desktop" else PHONE
    visit = chrome.visit(url, f"{kind}-{viewport}", origin=server.base_url, viewport=view, expect_status=status)
    # the error page has no link; every other page's first link shows its focus
    assert_clean(visit, server.base_url, status=status, visible=visible, focus=kind != "not-found")


def test_share_and_linkedin_links_are_plain_links_that_load_nothing(server: LiveServer, chrome: Chrome) -> None:
    """The page names other sites only in links: loading it asks nothing of them."""
    visit = chrome.visit(server.urls.assertion(server.demo.active), "assertion-share-links", origin=server.base_url,
                         run_axe=False)
    assert "Add to LinkedIn profile" in visit.text and "Share on LinkedIn" in visit.text
    assert not visit.blocked


def test_the_checks_catch_what_they_are_for(server: LiveServer, chrome: Chrome) -> None:
    """The harness itself: a page that loads a foreign image, logs an error and lacks alt text and a language
    fails every check the page tests rely on."""
    bad = ('<!doctype html><html><head><title>bad</title></head><body><main>'
           '<img src="http://198.51.100.7/tracker.png"><script>console.error("boom")</script></main></body></html>')
    visit = chrome.visit(server.base_url + "/public/harness-probe", "harness-probe", origin=server.base_url,
                         html=bad)
    assert visit.blocked == ["http://198.51.100.7/tracker.png"]
    assert any("boom" in e for e in visit.console_errors)
    ids = {v.split(" ")[0] for v in visit.serious_violations}
    assert {"image-alt", "html-has-lang"} <= ids, visit.serious_violations
