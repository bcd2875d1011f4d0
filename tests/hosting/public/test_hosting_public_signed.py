"""A signed OB 2.0 assertion's URL: JSON-LD by default, the compact JWS for ``Accept: application/jose`` (the
convention ``openbadges verify URL`` uses), and an HTML page that says it is signed and how to check it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

import openbadges_core as ob
from hosting.app.demo import DemoData
from hosting.lib.urls import PublicUrls

Client = TestClient[Any]
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _claims(jws: str) -> dict[str, Any]:
    import base64

    payload = jws.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


@pytest.mark.parametrize("how", [{"accept": "application/jose"}, {"accept": "application/jose, */*;q=0.1"}, None])
def test_signed_assertion_url_serves_its_compact_jws(client: Client, demo: DemoData, urls: PublicUrls,
                                                     how: dict[str, str] | None) -> None:
    url = urls.assertion(demo.signed)
    res = client.get(url, headers=how) if how else client.get(url + "?format=jws")
    assert res.status_code == 200
    assert res.headers["content-type"] == "application/jose"
    assert "Accept" in res.headers["vary"]
    jws = res.text
    assert jws.count(".") == 2 and " " not in jws
    assert _claims(jws)["id"] == url
    # the JWS is the one baked into the image, and the same assertion as the JSON-LD at the URL
    baked = ob.unbake(client.get(urls.assertion_image(demo.signed)).content)
    assert baked.payload == jws
    assert client.get(url).json()["id"] == url
    again = client.get(url, headers={"accept": "application/jose", "if-none-match": res.headers["etag"]})
    assert again.status_code == 304
    assert res.headers["etag"] != client.get(url).headers["etag"]  # its own validator per representation


def test_default_and_json_requests_still_get_the_json(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    url = urls.assertion(demo.signed)
    for accept in ("*/*", "application/ld+json", "application/json", "application/ld+json, application/jose;q=0.5"):
        res = client.get(url, headers={"accept": accept})
        assert res.status_code == 200 and res.headers["content-type"].startswith("application/"), accept
        assert res.json()["verification"]["type"] == "signed", accept


def test_a_hosted_assertion_has_no_signed_form(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    res = client.get(urls.assertion(demo.active), headers={"accept": "application/jose"})
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("application/ld+json")
    assert res.json()["verification"]["type"] == "hosted"


def test_revoked_and_replaced_keep_their_status_for_jose(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    jose = {"accept": "application/jose"}
    assert client.get(urls.assertion(demo.revoked), headers=jose).status_code == 410
    res = client.get(urls.assertion(demo.replaced), headers=jose, follow_redirects=False)
    assert res.status_code == 301


def test_the_html_page_of_a_signed_assertion_says_signed(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    url = urls.assertion(demo.signed)
    html = client.get(url, headers={"accept": HTML_ACCEPT}).text
    assert "Signed: this badge is signed by its issuer" in html
    assert "hosted by its issuer" not in html
    assert f"<code>openbadges verify {url}</code>" in html
    assert f'href="{url}?format=jws"' in html
    hosted = client.get(urls.assertion(demo.active), headers={"accept": HTML_ACCEPT}).text
    assert "Valid: this badge is hosted by its issuer" in hosted and "format=jws" not in hosted
