"""HTTP caching, HEAD, CORS and images (including the baked assertion image)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import pytest
from litestar.testing import TestClient

import openbadges_core as ob
from hosting.app.demo import DemoData
from hosting.lib.urls import PublicUrls

Client = TestClient[Any]


def _all_urls(demo: DemoData, urls: PublicUrls) -> list[str]:
    return [
        urls.assertion(demo.active), urls.assertion_image(demo.active), urls.issuer(demo.issuer),
        urls.issuer_image(demo.issuer), urls.revocations(demo.issuer), urls.badge(demo.badge_png),
        urls.badge_image(demo.badge_png), urls.key(demo.key),
    ]


def test_every_public_resource_has_strong_etag_last_modified_cors_and_cache_control(
    client: Client, demo: DemoData, urls: PublicUrls
) -> None:
    for url in _all_urls(demo, urls):
        res = client.get(url)
        assert res.status_code == 200, url
        assert res.headers["etag"].startswith('"') and not res.headers["etag"].startswith("W/"), url
        parsedate_to_datetime(res.headers["last-modified"])
        assert res.headers["access-control-allow-origin"] == "*", url
        assert res.headers["cache-control"].startswith("public, max-age="), url


def test_assertions_have_a_short_max_age_and_images_a_long_one(client: Client, demo: DemoData,
                                                               urls: PublicUrls) -> None:
    def max_age(url: str) -> int:
        return int(client.get(url).headers["cache-control"].split("max-age=")[1])

    assert max_age(urls.assertion(demo.active)) <= 300
    assert max_age(urls.badge_image(demo.badge_png)) >= 3600
    assert max_age(urls.assertion_image(demo.active)) > max_age(urls.assertion(demo.active))


@pytest.mark.parametrize("which", range(8))
def test_if_none_match_with_the_current_etag_is_304(client: Client, demo: DemoData, urls: PublicUrls,
                                                    which: int) -> None:
    url = _all_urls(demo, urls)[which]
    first = client.get(url)
    etag = first.headers["etag"]
    again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(url, headers={"if-none-match": f'W/{etag}, "other"'}).status_code == 304
    assert client.get(url, headers={"if-none-match": '"stale"'}).status_code == 200


def test_if_modified_since_is_304_when_not_modified(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    url = urls.assertion(demo.active)
    last = client.get(url).headers["last-modified"]
    assert client.get(url, headers={"if-modified-since": last}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(last) - timedelta(days=1), usegmt=True)
    assert client.get(url, headers={"if-modified-since": earlier}).status_code == 200
    assert client.get(url, headers={"if-modified-since": "not a date"}).status_code == 200
    # a date whose offset would overflow a conversion to UTC is compared as written: later, so not modified
    assert client.get(url, headers={"if-modified-since": "Fri, 31 Dec 9999 23:59:59 -2359"}).status_code == 304


def test_if_none_match_wins_over_if_modified_since(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    url = urls.assertion(demo.active)
    future = format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
    res = client.get(url, headers={"if-none-match": '"stale"', "if-modified-since": future})
    assert res.status_code == 200


def test_json_and_ld_json_representations_have_different_etags(client: Client, demo: DemoData,
                                                               urls: PublicUrls) -> None:
    url = urls.assertion(demo.active)
    ld = client.get(url, headers={"accept": "application/ld+json"})
    js = client.get(url, headers={"accept": "application/json"})
    assert ld.content == js.content
    assert ld.headers["etag"] != js.headers["etag"]
    assert "Accept" in ld.headers["vary"]


@pytest.mark.parametrize("which", range(8))
def test_head_answers_like_get_without_a_body(client: Client, demo: DemoData, urls: PublicUrls,
                                              which: int) -> None:
    url = _all_urls(demo, urls)[which]
    get = client.get(url)
    head = client.head(url)
    assert head.status_code == 200
    assert head.content == b""
    for name in ("etag", "content-type", "cache-control", "access-control-allow-origin"):
        assert head.headers[name] == get.headers[name], name
    assert int(head.headers["content-length"]) == len(get.content)


def test_head_on_revoked_replaced_and_unknown(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    assert client.head(urls.assertion(demo.revoked)).status_code == 410
    res = client.head(urls.assertion(demo.replaced), follow_redirects=False)
    assert res.status_code == 301 and res.headers["location"] == urls.assertion(demo.replacement)
    assert client.head("/public/assertions/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404


def test_cors_header_on_public_errors_and_redirects(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    assert client.get(urls.assertion(demo.revoked)).headers["access-control-allow-origin"] == "*"
    assert client.get(urls.assertion(demo.replaced), follow_redirects=False).headers[
        "access-control-allow-origin"] == "*"
    assert client.get("/public/keys/AAAAAAAAAAAAAAAAAAAAAA").headers["access-control-allow-origin"] == "*"


def test_badge_and_issuer_images_are_served_with_their_type(client: Client, demo: DemoData,
                                                            urls: PublicUrls) -> None:
    png = client.get(urls.badge_image(demo.badge_png))
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    svg = client.get(urls.badge_image(demo.badge_svg))
    assert svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.content
    issuer = client.get(urls.issuer_image(demo.issuer))
    assert issuer.headers["content-type"] == "image/png"


@pytest.mark.parametrize("which, image_format", [("active", "png"), ("svg_assertion", "svg")])
def test_baked_payload_equals_the_served_assertion(client: Client, demo: DemoData, urls: PublicUrls, which: str,
                                                   image_format: str) -> None:
    public_id = getattr(demo, which)
    served = client.get(urls.assertion(public_id)).content
    res = client.get(urls.assertion_image(public_id))
    assert res.status_code == 200
    assert res.headers["content-type"] == {"png": "image/png", "svg": "image/svg+xml"}[image_format]
    baked = ob.unbake(res.content)
    assert json.loads(baked.payload) == json.loads(served)
    assert baked.format == image_format and baked.kind == "json"


def test_baked_image_is_the_same_on_every_request(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    """Baked on request, not stored: the bytes and the ETag are stable (from the cache, and across processes:
    baking is deterministic), so conditional GETs work."""
    first = client.get(urls.assertion_image(demo.active))
    second = client.get(urls.assertion_image(demo.active))
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    assert client.get(urls.assertion_image(demo.active),
                      headers={"if-none-match": first.headers["etag"]}).status_code == 304


def test_signed_assertion_image_carries_the_jws(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    res = client.get(urls.assertion_image(demo.signed))
    assert res.status_code == 200
    baked = ob.unbake(res.content)
    assert baked.kind == "jws"
    _header, payload = ob.decode_jws_unverified(baked.payload)
    assert json.loads(payload)["id"] == urls.assertion(demo.signed)




def test_cors_preflight_allows_conditional_gets_from_any_origin(client: Client, demo: DemoData,
                                                                urls: PublicUrls) -> None:
    res = client.options(urls.assertion(demo.active), headers={
        "origin": "https://wallet.example", "access-control-request-method": "GET",
        "access-control-request-headers": "if-none-match"})
    assert res.status_code == 204
    assert res.headers["access-control-allow-origin"] == "*"
    assert "GET" in res.headers["access-control-allow-methods"]
    assert "If-None-Match" in res.headers["access-control-allow-headers"]


HOSTILE_HEADERS = [
    {"accept": "text/html;q=abc"}, {"accept": ";;;"}, {"accept": "\x7f"}, {"accept": "*/*;q=0"},
    {"accept": "application/ld+json;q=0, application/json;q=0"}, {"accept": "a" * 5000},
    {"if-modified-since": "Mon, 99 Foo 2020 99:99:99 GMT"}, {"if-modified-since": ""},
    {"if-none-match": ""}, {"if-none-match": '""'}, {"if-none-match": "," * 1000},
]


@pytest.mark.parametrize("headers", HOSTILE_HEADERS)
def test_odd_request_headers_never_cause_a_server_error(client: Client, demo: DemoData, urls: PublicUrls,
                                                        headers: dict[str, str]) -> None:
    for url in (urls.assertion(demo.active), urls.assertion(demo.revoked), urls.badge(demo.badge_png)):
        res = client.get(url, headers=headers)
        assert res.status_code in (200, 410), (url, headers, res.status_code)


@pytest.mark.parametrize("query", ["?format=xml", "?format=json&format=html", "?format=%ff", "?x=" + "y" * 3000])
def test_odd_query_strings_never_cause_a_server_error(client: Client, demo: DemoData, urls: PublicUrls,
                                                      query: str) -> None:
    assert client.get(urls.assertion(demo.active) + query).status_code == 200
