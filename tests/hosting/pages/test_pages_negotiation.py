"""Which answer a public URL gives: a page for browsers, today's JSON bodies for everyone else; the HTML 404 and
410 pages; the PNG og:image card."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from _page_parse import HTML_ACCEPT, get_page
from litestar.testing import TestClient
from PIL import Image

from hosting.app.demo import DemoData
from hosting.lib.urls import PublicUrls

Client = TestClient[Any]
JSON_ACCEPTS = [None, "*/*", "application/json", "application/ld+json", "application/json, */*;q=0.5"]


def _kinds(demo: DemoData, urls: PublicUrls) -> dict[str, str]:
    return {"assertion": urls.assertion(demo.active), "signed": urls.assertion(demo.signed),
            "credential-di": urls.credential(demo.credential_di),
            "credential-jwt": urls.credential(demo.credential_jwt),
            "issuer": urls.issuer(demo.issuer), "badge": urls.badge(demo.badge_png)}


@pytest.mark.parametrize("kind", ["assertion", "signed", "credential-di", "credential-jwt", "issuer", "badge"])
def test_browsers_get_a_page_and_json_clients_the_unchanged_document(
        client: Client, demo: DemoData, urls: PublicUrls, kind: str) -> None:
    url = _kinds(demo, urls)[kind]
    page = get_page(client, url)
    assert page.meta()["og:url"] == url
    bodies = set()
    for accept in JSON_ACCEPTS:
        res = client.get(url, headers={"accept": accept} if accept else {})
        assert res.status_code == 200, (accept, res.text[:300])
        assert "json" in res.headers["content-type"], (accept, res.headers["content-type"])
        assert res.headers.get("vary") == "Accept"
        doc = json.loads(res.content)
        assert doc["id"] == url or doc["id"].startswith("did:web:"), doc["id"]
        bodies.add(res.content)
    assert len(bodies) == 1, "every JSON client gets the same bytes"


def test_credential_json_body_is_the_stored_signed_credential(client: Client, demo: DemoData,
                                                             urls: PublicUrls) -> None:
    body = client.get(urls.credential(demo.credential_di)).json()
    assert body["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert client.get(urls.credential(demo.credential_di) + "?format=json").json() == body


def test_page_has_its_own_etag_and_answers_304(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    for url in _kinds(demo, urls).values():
        page = client.get(url, headers={"accept": HTML_ACCEPT})
        js = client.get(url)
        assert page.headers["etag"] != js.headers["etag"]
        again = client.get(url, headers={"accept": HTML_ACCEPT, "if-none-match": page.headers["etag"]})
        assert again.status_code == 304, url


@pytest.mark.parametrize("kind", ["assertion", "signed", "credential-di", "credential-jwt"])
def test_award_page_is_last_modified_when_the_award_last_changed(client: Client, demo: DemoData, urls: PublicUrls,
                                                                 kind: str) -> None:
    url = _kinds(demo, urls)[kind]
    page = client.get(url, headers={"accept": HTML_ACCEPT})
    assert page.status_code == 200 and page.headers["last-modified"].endswith(" GMT")
    again = client.get(url, headers={"accept": HTML_ACCEPT, "if-modified-since": page.headers["last-modified"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/public/assertions/{id}", "/public/credentials/{id}", "/public/issuers/{id}",
                                  "/public/badges/{id}", "/public/no-such-kind/{id}"])
def test_unknown_public_url_is_an_html_404_for_browsers_and_json_404_for_clients(client: Client, path: str) -> None:
    url = path.format(id="AAAAAAAAAAAAAAAAAAAAAA")
    page = get_page(client, url, status=404)
    assert page.by_id("error-title") and "Not found" in page.text
    assert not any(t == "script" for t, _ in page.tags)
    res = client.get(url, headers={"accept": "application/json"})
    assert res.status_code == 404 and res.json()["code"] == "ResourceNotFound"
    assert client.get(url).json()["code"] == "ResourceNotFound"


def test_html_404_is_only_for_public_urls(client: Client) -> None:
    res = client.get("/v1/issuers/nope", headers={"accept": HTML_ACCEPT})
    assert res.headers["content-type"].startswith("application/json")


def test_replaced_assertion_page_redirects_like_the_json(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    res = client.get(urls.assertion(demo.replaced), headers={"accept": HTML_ACCEPT}, follow_redirects=False)
    assert res.status_code == 301 and res.headers["location"] == urls.assertion(demo.replacement)


def test_revoked_assertion_is_an_html_410_with_its_reason(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    page = get_page(client, urls.assertion(demo.revoked), status=410)
    status = page.by_id("status")
    assert status["class"] == "banner revoked" and status["role"] == "alert"
    assert "Issued in error" in page.text and "Revoked" in page.text
    assert "Add to LinkedIn profile" not in page.text
    res = client.get(urls.assertion(demo.revoked))
    assert res.status_code == 410 and res.json()["revoked"] is True  # JSON clients: today's body


def test_revoked_credential_is_an_html_410(client: Client, demo: DemoData, urls: PublicUrls,
                                           store_runner: Any) -> None:
    from sqlalchemy import select

    from hosting.storage.models import Assertion

    async def _issue_and_revoke(store: Any) -> str:
        row = await store.session.scalar(select(Assertion).where(Assertion.public_id == demo.credential_di))
        from hosting.storage.models import BadgeClass
        badge = await store.session.get(BadgeClass, row.badge_class_id)
        new = await store.issue(badge, "revoked-ob3@example.org", proof="di")
        await store.revoke(new, "Credential issued to the wrong person")
        return str(new.public_id)

    public_id = store_runner(_issue_and_revoke)
    page = get_page(client, urls.credential(public_id), status=410)
    assert "Credential issued to the wrong person" in page.text
    assert page.by_id("status")["class"] == "banner revoked"
    res = client.get(urls.credential(public_id))
    assert res.status_code == 410 and res.json()["revoked"] is True


@pytest.mark.parametrize("badge", ["badge_png", "badge_svg"])
def test_og_image_is_a_png_of_at_least_600_px(client: Client, demo: DemoData, urls: PublicUrls, badge: str) -> None:
    url = urls.badge(getattr(demo, badge)) + "/og.png"
    res = client.get(url)
    assert res.status_code == 200 and res.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(res.content))
    assert img.format == "PNG" and max(img.size) >= 600
    assert img.size == (1200, 630)
    # The badge artwork is drawn in the middle (blue PNG badge, green SVG badge), not a blank card.
    r, g, b = img.convert("RGB").getpixel((600, 315 - 200))
    centre = img.convert("RGB").getpixel((470, 315))
    assert (r, g, b) != (246, 247, 249) or centre != (246, 247, 249)
    colours = img.convert("RGB").getcolors(maxcolors=1_000_000) or []
    dominant = {c for _, c in sorted(colours, reverse=True)[:3]}
    expected = (10, 88, 202) if badge == "badge_png" else (26, 127, 55)
    assert any(sum(abs(x - y) for x, y in zip(c, expected, strict=True)) < 20 for c in dominant), dominant
    assert client.get(url, headers={"if-none-match": res.headers["etag"]}).status_code == 304


def test_og_image_is_what_the_pages_announce(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    for url in (urls.assertion(demo.active), urls.credential(demo.credential_di), urls.badge(demo.badge_svg),
                urls.issuer(demo.issuer)):
        meta = get_page(client, url).meta()
        assert meta["og:image"].startswith(urls.base) and meta["og:image"].endswith("/og.png")
        assert meta["twitter:card"] == "summary_large_image" and meta["twitter:image:alt"] == meta["og:image:alt"]
        # Twitter falls back to the Open Graph title, description and image: they are not repeated
        assert not {"twitter:title", "twitter:description", "twitter:image"} & meta.keys()
        res = client.get(meta["og:image"])
        assert res.status_code == 200, meta["og:image"]
        size = Image.open(io.BytesIO(res.content)).size
        assert (int(meta["og:image:width"]), int(meta["og:image:height"])) == size


def test_og_image_of_unknown_badge_is_404(client: Client) -> None:
    assert client.get("/public/badges/AAAAAAAAAAAAAAAAAAAAAA/og.png").status_code == 404


PREVIEW_BOTS = ["facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
                "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
                "Twitterbot/1.0", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"]


@pytest.mark.parametrize("agent", PREVIEW_BOTS)
def test_link_preview_crawlers_get_the_page_but_never_into_shared_caches(
        client: Client, demo: DemoData, urls: PublicUrls, agent: str) -> None:
    for url in (urls.assertion(demo.active), urls.credential(demo.credential_jwt), urls.badge(demo.badge_png),
                urls.issuer(demo.issuer)):
        for accept in (None, "*/*"):
            headers = {"user-agent": agent, **({"accept": accept} if accept else {})}
            res = client.get(url, headers=headers)
            assert res.status_code == 200 and res.headers["content-type"].startswith("text/html"), url
            assert "og:image" in res.text
            assert res.headers["cache-control"] == "private, no-store"
            assert "User-Agent" in res.headers["vary"]
        # A crawler that asks for JSON, or names the format, gets the JSON like anyone else.
        assert client.get(url, headers={"user-agent": agent, "accept": "application/json"}).headers[
            "content-type"].startswith("application/")
        assert client.get(url + "?format=json", headers={"user-agent": agent}).headers[
            "content-type"].startswith("application/")


def test_an_ordinary_client_with_star_accept_still_gets_json(client: Client, demo: DemoData,
                                                             urls: PublicUrls) -> None:
    for agent in ("openbadges-verifier/1.0", "curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64)"):
        res = client.get(urls.assertion(demo.active), headers={"user-agent": agent, "accept": "*/*"})
        assert res.headers["content-type"].startswith("application/ld+json")
        assert res.headers["cache-control"].startswith("public")
