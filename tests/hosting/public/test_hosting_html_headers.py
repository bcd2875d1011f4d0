"""Security headers on every HTML response (issue #13): the badge pages allow no script and no framing, send
no Referer and forbid sniffing; the OpenAPI UI (Litestar's HTML, which needs its scripts) cannot be framed."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from hosting.app.demo import DemoData
from hosting.lib.urls import PublicUrls

Client = TestClient[Any]
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _csp(value: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _assert_common(headers: Any) -> dict[str, list[str]]:
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    csp = _csp(headers["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    return csp


@pytest.mark.parametrize(("kind", "status"), [("active", 200), ("signed", 200), ("svg_assertion", 200),
                                              ("expired", 200), ("revoked", 410)])
def test_every_badge_page_kind_carries_the_security_headers(client: Client, demo: DemoData, urls: PublicUrls,
                                                            kind: str, status: int) -> None:
    res = client.get(urls.assertion(getattr(demo, kind)), headers={"accept": HTML_ACCEPT})
    assert res.status_code == status
    assert res.headers["content-type"].startswith("text/html")
    csp = _assert_common(res.headers)
    assert csp["default-src"] == ["'none'"] and "script-src" not in csp  # so no script of any kind runs
    assert "'unsafe-eval'" not in res.headers["content-security-policy"]
    assert csp["base-uri"] == ["'none'"] and csp["form-action"] == ["'none'"]
    assert "'self'" in csp["img-src"] and "*" not in csp["img-src"]
    assert "<script" not in res.text.lower()
    again = client.get(urls.assertion(getattr(demo, kind)), headers={"accept": HTML_ACCEPT,
                                                                     "if-none-match": res.headers["etag"]})
    assert again.status_code in (304, 410)
    _assert_common(again.headers)


def test_json_documents_do_not_get_the_page_policy(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    res = client.get(urls.assertion(demo.active))
    assert res.headers["content-type"].startswith("application/ld+json")
    assert "content-security-policy" not in res.headers and "x-frame-options" not in res.headers


def test_the_openapi_ui_cannot_be_framed(client: Client) -> None:
    res = client.get("/schema/swagger")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/html")
    _assert_common(res.headers)
    assert "object-src 'none'" in res.headers["content-security-policy"]
    assert "x-frame-options" not in client.get("/schema/openapi.json").headers
