"""Parsing a served page in the pages tests: its tags (with attributes), its visible text and its meta tags."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


class Page(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.html = html
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._text: list[str] = []
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._text.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self._text).split())

    def meta(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for tag, attrs in self.tags:
            if tag == "meta" and (attrs.get("property") or attrs.get("name")) and attrs.get("content") is not None:
                out[str(attrs.get("property") or attrs.get("name"))] = str(attrs["content"])
        return out

    def links(self) -> list[str]:
        return [str(a["href"]) for t, a in self.tags if t == "a" and a.get("href")]

    def by_id(self, element_id: str) -> dict[str, str | None]:
        return next(a for _, a in self.tags if a.get("id") == element_id)


def get_page(client: Any, url: str, status: int = 200) -> Page:
    res = client.get(url, headers={"accept": HTML_ACCEPT}, follow_redirects=False)
    assert res.status_code == status, (res.status_code, res.text[:500])
    assert res.headers["content-type"] == "text/html; charset=utf-8"
    assert "Accept" in res.headers.get("vary", "")
    assert "script-src" not in res.headers["content-security-policy"]  # default-src 'none': no script runs
    return Page(res.text)
