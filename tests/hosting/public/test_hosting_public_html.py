"""The HTML badge page a browser gets (Accept: text/html)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from litestar.testing import TestClient

from hosting.app.demo import DemoData
from hosting.lib.urls import PublicUrls

Client = TestClient[Any]
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _page(client: Client, url: str, status: int = 200) -> tuple[str, list[tuple[str, dict[str, str | None]]]]:
    res = client.get(url, headers={"accept": HTML_ACCEPT})
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("text/html")
    parser = _Tags()
    parser.feed(res.text)
    return res.text, parser.tags


def test_browser_gets_an_html_page_with_badge_details(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    html, tags = _page(client, urls.assertion(demo.active))
    assert "<h1 id=\"badge-name\">Python Basics</h1>" in html
    assert "Writes and tests small Python programs." in html
    assert "Demo Academy" in html
    assert "Pass the three practical exercises." in html
    assert 'id="status"' in html and "Valid" in html
    imgs = [a for t, a in tags if t == "img"]
    assert imgs and imgs[0]["src"] == urls.badge_image(demo.badge_png) and imgs[0]["alt"]
    assert any(t == "a" and a.get("href", "").startswith(urls.assertion(demo.active)) for t, a in tags)
    assert 'lang="en"' in html


def test_html_page_has_open_graph_tags(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    _html, tags = _page(client, urls.assertion(demo.active))
    og = {a["property"]: a["content"] for t, a in tags if t == "meta" and a.get("property")}
    assert og["og:title"] == "Python Basics — Demo Academy"
    assert og["og:url"] == urls.assertion(demo.active)
    assert og["og:image"] == urls.badge(demo.badge_png) + "/og.png"
    assert og["og:description"]


def test_html_page_shows_hashed_recipient_only_as_hashed(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    html, _ = _page(client, urls.assertion(demo.active))
    assert "hashed email" in html
    assert "ada@example.org" not in html and "Ada Lovelace" not in html
    assert not re.search(r"sha256\$[0-9a-f]{64}", html)


def test_html_page_has_no_script_and_no_external_assets(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    html, tags = _page(client, urls.assertion(demo.active))
    assert not any(t == "script" for t, _ in tags)
    for tag, attrs in tags:
        if tag in ("img", "link", "source", "iframe") and attrs.get("rel") != "canonical":
            ref = attrs.get("src") or attrs.get("href") or ""
            assert ref.startswith(urls.base) or ref == "data:,", (tag, ref)  # data:, = no favicon request
    assert "@import" not in html and "url(" not in html


def test_revoked_html_page_is_410_with_a_revoked_banner(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    html, _ = _page(client, urls.assertion(demo.revoked), status=410)
    assert 'class="banner revoked"' in html and 'role="alert"' in html
    assert "Issued in error" in html


def test_expired_html_page_has_an_expired_banner(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    html, _ = _page(client, urls.assertion(demo.expired))
    assert 'class="banner expired"' in html
    assert "Valid:" not in html


def test_html_and_json_of_one_url_have_different_etags(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    url = urls.assertion(demo.active)
    html = client.get(url, headers={"accept": HTML_ACCEPT})
    js = client.get(url)
    assert html.headers["etag"] != js.headers["etag"]
    assert client.get(url, headers={"accept": HTML_ACCEPT,
                                    "if-none-match": html.headers["etag"]}).status_code == 304
