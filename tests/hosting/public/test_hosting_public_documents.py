"""Public documents: ids equal URLs, media types, negotiation, 404s, the revoked and replaced states."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

import openbadges_core as ob
from hosting.app.demo import DemoData
from hosting.lib.urls import PublicUrls
from hosting.storage.models import Assertion, BadgeClass
from hosting.storage.store import HostingStore
from openbadges_core import ob2

Client = TestClient[Any]


async def _badge(store: HostingStore, demo: DemoData) -> BadgeClass:
    from sqlalchemy import select

    return (await store.session.execute(select(BadgeClass).where(BadgeClass.public_id == demo.badge_png))
            ).scalar_one()


def _issue(store_runner: Any, demo: DemoData, recipient: str) -> str:
    """The public id of a hosted assertion of the demo's PNG badge, issued to ``recipient``."""

    async def _go(store: HostingStore) -> str:
        return (await store.issue(await _badge(store, demo), recipient)).public_id

    result: str = store_runner(_go)
    return result


def _doc(client: Client, url: str, accept: str = "application/ld+json") -> dict[str, Any]:
    res = client.get(url, headers={"accept": accept})
    assert res.status_code == 200, res.text
    data: dict[str, Any] = json.loads(res.content)
    return data


def test_hosted_assertion_is_ld_json_and_its_id_is_its_url(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    url = urls.assertion(demo.active)
    res = client.get(url)
    assert res.status_code == 200
    assert res.headers["content-type"] == "application/ld+json"
    data = res.json()
    assert data["id"] == url
    assert data["@context"] == "https://w3id.org/openbadges/v2"
    assert data["badge"] == urls.badge(demo.badge_png)
    assert data["verification"]["type"] in ("hosted", "HostedBadge")
    assert data["recipient"]["hashed"] is True
    assert data["recipient"]["identity"].startswith("sha256$")
    assert ob2.document_issues(data) == []


def test_private_recipient_fields_never_reach_the_public_document(client: Client, demo: DemoData,
                                                                  urls: PublicUrls) -> None:
    body = client.get(urls.assertion(demo.active)).text
    assert "ada@example.org" not in body
    assert "Ada Lovelace" not in body


def test_application_json_when_the_client_asks_for_it(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    res = client.get(urls.assertion(demo.active), headers={"accept": "application/json"})
    assert res.headers["content-type"] == "application/json"
    assert res.json()["id"] == urls.assertion(demo.active)
    res = client.get(urls.assertion(demo.active) + "?format=json", headers={"accept": "text/html"})
    assert res.headers["content-type"] == "application/json"


def test_wildcard_or_missing_accept_gets_ld_json(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    for accept in ("*/*", "application/*"):
        res = client.get(urls.assertion(demo.active), headers={"accept": accept})
        assert res.headers["content-type"] == "application/ld+json", accept


@pytest.mark.parametrize("kind", ["issuer", "badge_png", "badge_svg", "key", "revocations"])
def test_every_public_document_has_the_id_it_is_served_from(client: Client, demo: DemoData, urls: PublicUrls,
                                                            kind: str) -> None:
    url = {
        "issuer": urls.issuer(demo.issuer),
        "badge_png": urls.badge(demo.badge_png),
        "badge_svg": urls.badge(demo.badge_svg),
        "key": urls.key(demo.key),
        "revocations": urls.revocations(demo.issuer),
    }[kind]
    data = _doc(client, url)
    assert data["id"] == url
    assert ob2.document_issues(data) == []


def test_issuer_links_its_active_key_and_revocation_list(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    data = _doc(client, urls.issuer(demo.issuer))
    assert data["type"] == "Issuer"
    assert data["publicKey"] == urls.key(demo.key)
    assert data["revocationList"] == urls.revocations(demo.issuer)
    assert data["image"] == urls.issuer_image(demo.issuer)
    key = _doc(client, urls.key(demo.key))
    assert key["owner"] == urls.issuer(demo.issuer)
    assert "PUBLIC KEY" in key["publicKeyPem"] and "PRIVATE" not in key["publicKeyPem"]


def test_revocation_list_names_revoked_assertions_with_reason(client: Client, demo: DemoData,
                                                               urls: PublicUrls) -> None:
    data = _doc(client, urls.revocations(demo.issuer))
    assert data["type"] == "RevocationList"
    entries = {e["id"]: e for e in data["revokedAssertions"]}
    assert entries[urls.assertion(demo.revoked)]["revocationReason"] == "Issued in error"
    assert urls.assertion(demo.active) not in entries


def test_revoked_hosted_assertion_is_410_with_the_specified_body(client: Client, demo: DemoData,
                                                                 urls: PublicUrls) -> None:
    res = client.get(urls.assertion(demo.revoked))
    assert res.status_code == 410
    assert res.headers["access-control-allow-origin"] == "*"
    assert res.json() == {
        "@context": "https://w3id.org/openbadges/v2",
        "id": urls.assertion(demo.revoked),
        "type": "Assertion",
        "revoked": True,
        "revocationReason": "Issued in error",
    }


def test_revoked_assertion_image_is_410_too(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    res = client.get(urls.assertion_image(demo.revoked))
    assert res.status_code == 410
    assert res.json()["revoked"] is True


def test_replaced_assertion_redirects_301_to_the_newest_in_the_chain(client: Client, demo: DemoData,
                                                                     urls: PublicUrls) -> None:
    for old in (demo.replaced, demo.replaced_middle):
        res = client.get(urls.assertion(old), follow_redirects=False)
        assert res.status_code == 301
        assert res.headers["location"] == urls.assertion(demo.replacement)
    final = client.get(urls.assertion(demo.replaced), follow_redirects=True)
    assert final.status_code == 200
    assert final.json()["id"] == urls.assertion(demo.replacement)


def test_replaced_assertion_image_redirects_to_the_newest_image(client: Client, demo: DemoData,
                                                                urls: PublicUrls) -> None:
    res = client.get(urls.assertion_image(demo.replaced), follow_redirects=False)
    assert res.status_code == 301
    assert res.headers["location"] == urls.assertion_image(demo.replacement)


def test_replaced_html_page_redirects_as_well(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    res = client.get(urls.assertion(demo.replaced), headers={"accept": "text/html"}, follow_redirects=False)
    assert res.status_code == 301
    assert res.headers["location"] == urls.assertion(demo.replacement)


MALFORMED = ["x", "a" * 65, "abc%00def12345", "..%2F..%2Fetc%2Fpasswd", "%E2%98%83%E2%98%83%E2%98%83%E2%98%83",
             "1' OR '1'='1", "12345678;DROP TABLE assertions"]


@pytest.mark.parametrize("path", ["assertions", "assertions/{}/image", "issuers", "issuers/{}/image",
                                  "issuers/{}/revocations", "badges", "badges/{}/image", "keys"])
@pytest.mark.parametrize("bad_id", ["AAAAAAAAAAAAAAAAAAAAAA", *MALFORMED])
def test_unknown_or_malformed_ids_are_404_json_never_500(client: Client, path: str, bad_id: str) -> None:
    url = "/public/" + (path.format(bad_id) if "{}" in path else f"{path}/{bad_id}")
    res = client.get(url)
    assert res.status_code == 404, (url, res.text)
    body = res.json()
    assert body["code"] == "ResourceNotFound"
    assert isinstance(body["message"], str) and body["message"]


def test_unknown_route_is_404_json(client: Client) -> None:
    res = client.get("/public/nothing-here")
    assert res.status_code == 404
    assert res.json()["code"] == "ResourceNotFound"


def test_public_endpoints_refuse_writes_with_405_json(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    res = client.post(urls.assertion(demo.active), content=b"{}")
    assert res.status_code == 405
    assert res.json()["code"] == "MethodNotAllowed"


def test_revoking_an_assertion_turns_its_url_into_410(client: Client, demo: DemoData, urls: PublicUrls,
                                                       store_runner: Any) -> None:
    public_id = _issue(store_runner, demo, "later@example.org")
    assert client.get(urls.assertion(public_id)).status_code == 200

    async def _revoke(store: HostingStore) -> None:
        await store.revoke(await store.get_assertion(public_id), "Cheating")

    store_runner(_revoke)
    res = client.get(urls.assertion(public_id))
    assert res.status_code == 410
    assert res.json()["revocationReason"] == "Cheating"
    revocations = _doc(client, urls.revocations(demo.issuer))
    assert urls.assertion(public_id) in {e["id"] for e in revocations["revokedAssertions"]}


def test_replacing_after_first_serve_redirects(client: Client, demo: DemoData, urls: PublicUrls,
                                               store_runner: Any) -> None:
    async def _two(store: HostingStore) -> tuple[str, str]:
        badge = await _badge(store, demo)
        a = await store.issue(badge, "r1@example.org")
        b = await store.issue(badge, "r1@example.org", narrative="v2")
        return a.public_id, b.public_id

    old, new = store_runner(_two)
    assert client.get(urls.assertion(old)).status_code == 200

    async def _replace(store: HostingStore) -> None:
        await store.replace(await store.get_assertion(old), await store.get_assertion(new))

    store_runner(_replace)
    res = client.get(urls.assertion(old), follow_redirects=False)
    assert (res.status_code, res.headers["location"]) == (301, urls.assertion(new))


def test_document_follows_the_configured_base_url(settings: Any, demo: DemoData) -> None:
    from dataclasses import replace

    from hosting import create_app

    other = replace(settings, base_url="https://badges.example.net")
    with TestClient(create_app(other), base_url="https://badges.example.net") as c:
        data = c.get(f"/public/assertions/{demo.active}").json()
    assert data["id"] == f"https://badges.example.net/public/assertions/{demo.active}"
    assert data["badge"] == f"https://badges.example.net/public/badges/{demo.badge_png}"


def test_public_ids_are_random_and_url_safe(demo: DemoData) -> None:
    ids = [demo.issuer, demo.badge_png, demo.key, demo.active, demo.revoked, demo.replacement]
    assert len(set(ids)) == len(ids)
    for value in ids:
        assert len(value) >= 22 and all(c.isalnum() or c in "-_" for c in value)
        assert not value.isdigit()


def test_signed_assertion_document_names_the_key(client: Client, demo: DemoData, urls: PublicUrls,
                                                 store_runner: Any) -> None:
    data = _doc(client, urls.assertion(demo.signed))
    assert data["verification"]["creator"] == urls.key(demo.key)

    async def _jws(store: HostingStore) -> str:
        a = await store.get_assertion(demo.signed)
        assert a.jws is not None
        return a.jws

    token = store_runner(_jws)
    public = ob.load_public_key(_doc(client, urls.key(demo.key))["publicKeyPem"])
    _header, payload = ob.verify_jws(token, public)
    assert json.loads(payload)["id"] == urls.assertion(demo.signed)


def test_private_keys_are_encrypted_at_rest(demo: DemoData, store_runner: Any) -> None:
    from sqlalchemy import select

    from hosting.storage.models import SigningKey

    async def _raw(store: HostingStore) -> bytes:
        return (await store.session.execute(select(SigningKey.private_key_encrypted))).scalars().first()

    raw = store_runner(_raw)
    assert b"PRIVATE KEY" not in raw and b"BEGIN" not in raw


def test_stored_assertion_rows_keep_state_fields(demo: DemoData, store_runner: Any) -> None:
    async def _rows(store: HostingStore) -> tuple[Assertion, Assertion]:
        return await store.get_assertion(demo.revoked), await store.get_assertion(demo.replaced)

    revoked, replaced = store_runner(_rows)
    assert (revoked.state, revoked.revocation_reason) == ("revoked", "Issued in error")
    assert replaced.state == "replaced" and replaced.replaced_by_id is not None


def test_in_process_cache_serves_until_forgotten_or_expired(settings: Any, demo: DemoData, urls: PublicUrls,
                                                            store_runner: Any) -> None:
    from dataclasses import replace

    from hosting import create_app

    public_id = _issue(store_runner, demo, "cached@example.org")
    with TestClient(create_app(replace(settings, public_cache_seconds=60)), base_url=urls.base) as c:
        assert c.get(urls.assertion(public_id)).status_code == 200

        async def _revoke(store: HostingStore) -> None:
            await store.revoke(await store.get_assertion(public_id), "Changed elsewhere")

        store_runner(_revoke)
        # Another process revoked it: this process answers from its cache until the entry expires ...
        assert c.get(urls.assertion(public_id)).status_code == 200
        # ... or until it is told (the issuer API calls forget() after its own writes).
        c.app.state.hosting.reader.forget(public_id)
        assert c.get(urls.assertion(public_id)).status_code == 410


def test_expired_cache_entry_is_refreshed_in_the_background(settings: Any, demo: DemoData, urls: PublicUrls,
                                                            store_runner: Any) -> None:
    import time
    from dataclasses import replace

    from hosting import create_app

    public_id = _issue(store_runner, demo, "swr@example.org")
    app = create_app(replace(settings, public_cache_seconds=0.3))
    with TestClient(app, base_url=urls.base) as c:
        # What is tested here is the stale-while-revalidate of one process; the cross-process signal (which makes
        # the reader read through while its poll is late, as it can be on a loaded machine) has its own tests.
        app.state.hosting.reader.set_cache_guard(None)
        assert c.get(urls.assertion(public_id)).status_code == 200

        async def _revoke(store: HostingStore) -> None:
            await store.revoke(await store.get_assertion(public_id), "Stale no more")

        store_runner(_revoke)
        time.sleep(0.35)
        statuses = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            statuses.append(c.get(urls.assertion(public_id)).status_code)
            if statuses[-1] == 410:
                break
            time.sleep(0.02)
        assert statuses[0] == 200  # the stale copy, answered once while the refresh runs
        assert statuses[-1] == 410


def test_svg_images_are_served_inert_and_pngs_unsniffed(client: Client, demo: DemoData, urls: PublicUrls) -> None:
    """An uploaded SVG is not rewritten, so it is served with a sandboxing CSP: a script in it cannot run."""
    svg = client.get(urls.badge_image(demo.badge_svg))
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    csp = svg.headers["content-security-policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script-src" not in csp
    baked_svg = client.get(urls.assertion_image(demo.svg_assertion))
    assert "sandbox" in baked_svg.headers["content-security-policy"]
    png = client.get(urls.badge_image(demo.badge_png))
    assert png.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in png.headers
