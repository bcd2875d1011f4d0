"""``/docs`` works offline: the API explorer page and every file it references come from this origin.

Two checks: the served HTML/CSS parsed for every ``src``/``href``/``url()`` (always runs), and a headless Chromium
that records every request the page really makes (skips without Chromium; fails with
``OPENBADGES_REQUIRE_CHROMIUM=1``).
"""

from __future__ import annotations

import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from _cdp import chromium
from _hosting_live import serve_app
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.testing import TestClient

from hosting import Settings, create_app
from hosting.app.apidocs import ASSET_TYPES, swagger_ui_version
from hosting.app.ops import healthz
from hosting.storage.migrate import migrate

_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.DOTALL)


class _References(HTMLParser):
    """Every URL an HTML page names in an attribute that loads or links something, and in its ``<style>``."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in {"src", "href", "srcset", "poster", "data", "action", "formaction"}:
                self.urls.append(value.split()[0] if name == "srcset" else value)
            if value and name == "style":
                self.urls.extend(_css_urls(value))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls.extend(_css_urls(data))


def _css_urls(css: str) -> list[str]:
    return [m.group(2) or m.group(4) for m in _CSS_URL.finditer(css) if (m.group(2) or m.group(4))]


def _foreign(urls: list[str], page: str) -> list[str]:
    """The URLs that resolve to another origin than ``page``'s (``data:`` URLs load nothing)."""
    origin = urlsplit(page)[:2]
    return [u for u in urls if not u.startswith("data:") and urlsplit(urljoin(page, u))[:2] != origin]


def _walk(client: TestClient[Any], path: str) -> tuple[list[str], list[str]]:
    """Load the page at ``path`` and what it references (CSS recursively); returns (foreign URLs, loaded URLs)."""
    res = client.get(path)
    assert res.status_code == 200, res.text
    page = str(res.url)
    parser = _References()
    parser.feed(res.text)
    foreign = _foreign(parser.urls, page)
    loaded: list[str] = []
    queue = [urljoin(page, u) for u in parser.urls if u not in foreign and not u.startswith("data:")]
    while queue:
        url = queue.pop()
        if url in loaded:
            continue
        loaded.append(url)
        asset = client.get(url)
        assert asset.status_code == 200, (url, asset.status_code)
        if asset.headers["content-type"].startswith("text/css"):
            nested = _css_urls(asset.text)
            foreign += _foreign(nested, url)
            queue += [urljoin(url, u) for u in nested if not u.startswith("data:") and u not in foreign]
    return foreign, loaded


@pytest.fixture(scope="module")
def offline_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('apidocs') / 'docs.db'}"
    migrate(url)
    with TestClient(create_app(Settings(database_url=url, secret_key="d" * 20))) as client:
        yield client


def test_docs_page_and_everything_it_references_are_same_origin(offline_client: TestClient[Any]) -> None:
    foreign, loaded = _walk(offline_client, "/docs")
    assert foreign == []
    paths = {urlsplit(u).path for u in loaded}
    version = swagger_ui_version()
    assert {f"/schema/assets/{version}/{name}" for name in ASSET_TYPES} <= paths


def test_the_checker_catches_a_cdn_page() -> None:
    """Control: Litestar's stock Swagger page (assets and favicon on a CDN) is flagged by the same walk."""
    app = Litestar([healthz], openapi_config=OpenAPIConfig(title="t", version="1", path="/schema",
                                                           render_plugins=[SwaggerRenderPlugin()]))
    with TestClient(app) as client:
        foreign, _ = _walk(client, "/schema/swagger")
    assert len(foreign) >= 3 and all(urlsplit(u).hostname == "cdn.jsdelivr.net" for u in foreign)


def test_assets_are_versioned_allow_listed_and_cached(offline_client: TestClient[Any]) -> None:
    version = swagger_ui_version()
    js = offline_client.get(f"/schema/assets/{version}/swagger-ui-bundle.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "immutable" in js.headers["cache-control"] and js.headers["x-content-type-options"] == "nosniff"
    assert b"SwaggerUIBundle" in js.content
    # Only the allow-listed files: not the wheel's demo page (it points at an online petstore), not source maps,
    # not another version, no path tricks.
    for bad in (f"{version}/index.html", f"{version}/swagger-initializer.js", f"{version}/swagger-ui.js.map",
                "0.0.1/swagger-ui-bundle.js", f"{version}/..%2F..%2F__init__.py"):
        res = offline_client.get(f"/schema/assets/{bad}")
        assert res.status_code == 404 and res.json()["code"] == "ResourceNotFound", bad


def test_docs_page_policy_allows_only_this_origin(offline_client: TestClient[Any]) -> None:
    res = offline_client.get("/schema/swagger")
    policy = res.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy and "http" not in policy
    assert "validatorUrl: null" in res.text  # Swagger UI's online validator badge would call validator.swagger.io


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        if os.environ.get("OPENBADGES_REQUIRE_CHROMIUM") == "1":
            pytest.fail("headless Chromium required (OPENBADGES_REQUIRE_CHROMIUM=1) but not installed")
        pytest.skip("headless Chromium not installed (apt-get install chromium)")
    return found


@pytest.mark.browser
def test_docs_render_in_chromium_without_a_request_to_another_origin(tmp_path: Path) -> None:
    executable = _chromium()
    url = f"sqlite+aiosqlite:///{tmp_path / 'docs.db'}"
    migrate(url)
    with serve_app(create_app(Settings(database_url=url, secret_key="d" * 20))) as origin, \
            chromium(executable) as browser:
        tab = browser.open_page(f"{origin}/docs")
        operations = browser.evaluate(tab, "document.querySelectorAll('.opblock-summary-path').length")
        title = browser.evaluate(tab, "document.querySelector('.info .title')?.textContent ?? ''")
        requested = browser.requested_urls(tab)
        log = browser.log_entries(tab)
    assert operations >= 20, "Swagger UI did not render the operations"
    assert "openbadges hosting" in title
    assert f"{origin}/schema/assets/{swagger_ui_version()}/swagger-ui-bundle.js" in requested
    assert [u for u in requested if not u.startswith((f"{origin}/", "data:"))] == []
    # nothing refused by the page's content policy, no script error
    assert [e["text"] for e in log if e["source"] == "security" or e["level"] == "error"] == []
