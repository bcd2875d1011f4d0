"""Hosting Open Badges 3.0 credentials: did:web documents, signed credentials (Data Integrity and VC-JWT),
the revocation status list, baked images, 410 on revoke and 301 on replace — on SQLite and PostgreSQL.

The verifier side is the library's: every signature is checked with ``openbadges_core`` against documents
fetched from the app (the did:web https URL is mapped onto the test client).
"""

from __future__ import annotations

import base64
import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

import openbadges_core as ob
from hosting import Settings, create_app
from hosting.lib.urls import PublicUrls
from hosting.ob3.credentials import STATUS_LIST_SIZE, issuer_did
from hosting.storage.models import Assertion, BadgeClass, Issuer
from hosting.storage.store import HostingStore
from openbadges_core import ob3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from conftest import BASE_URL, run_store

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings), base_url=BASE_URL) as c:
        yield c


class AppFetcher:
    """A verifier fetcher that answers https://testserver.local/... from the app under test."""

    def __init__(self, client: TestClient[Any]) -> None:
        self.client = client
        self.fetched: list[str] = []

    def fetch(self, url: str, *, accept: str = "application/json", timeout: float = 10.0) -> ob.FetchResponse:
        parts = urlsplit(url)
        assert parts.netloc == urlsplit(BASE_URL).netloc, url
        self.fetched.append(url)
        res = self.client.get(parts.path, headers={"Accept": accept})
        return ob.FetchResponse(url=url, status_code=res.status_code,
                                content_type=res.headers.get("content-type", ""), body=res.content)


def _issue(settings: Settings, *, proof: str, recipient: str = "learner@example.org",
           issuer_ref: tuple[Issuer, BadgeClass] | None = None) -> tuple[Issuer, BadgeClass, Assertion]:
    async def go(store: HostingStore) -> tuple[Issuer, BadgeClass, Assertion]:
        if issuer_ref is None:
            import secrets

            issuer = await store.create_issuer(slug=f"ob3-{secrets.token_hex(4)}", name="OB3 Issuer",
                                               url="https://issuer.example.org", email="badges@example.org")
            badge = await store.create_badge_class(
                issuer, slug="teamwork", name="Teamwork", description="Works well in a team", image=PNG,
                criteria_narrative="Led a project", tags=["soft-skills"], achievement_type="Competency")
        else:
            issuer = await store.session.get_one(Issuer, issuer_ref[0].id)
            badge = await store.session.get_one(BadgeClass, issuer_ref[1].id)
        assertion = await store.issue(badge, recipient, narrative="Did it", proof=proof)
        return issuer, badge, assertion

    return run_store(settings, go)


def _credential_url(assertion: Assertion) -> str:
    return f"/public/credentials/{assertion.public_id}"


def _status_bit(list_credential: dict[str, Any], index: int) -> bool:
    encoded = list_credential["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) * 8 >= STATUS_LIST_SIZE
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def test_data_integrity_credential_verifies_against_the_issuers_did_web(settings: Settings,
                                                                         app: TestClient[Any]) -> None:
    issuer, _, assertion = _issue(settings, proof="di")
    res = app.get(_credential_url(assertion))
    assert res.status_code == 200, res.text
    credential = res.json()
    ob3.validate_credential(credential)
    did = issuer_did(PublicUrls(BASE_URL), issuer.public_id)
    assert credential["issuer"]["id"] == did == f"did:web:testserver.local:public:issuers:{issuer.public_id}"
    subject = credential["credentialSubject"]
    assert subject["identifier"][0]["identityType"] == "emailAddress"
    assert ob3.hash_identity_object("learner@example.org", salt=subject["identifier"][0]["salt"]) \
        .identity_hash == subject["identifier"][0]["identityHash"]
    assert "learner@example.org" not in res.text  # the plaintext recipient stays private
    fetcher = AppFetcher(app)
    proofs = ob3.verify_data_integrity(credential, fetcher=fetcher)
    assert len(proofs) == 1 and proofs[0].issuer_bound
    assert fetcher.fetched == [f"https://testserver.local/public/issuers/{issuer.public_id}/did.json"]
    # A changed claim no longer verifies.
    tampered = {**credential, "name": "Something else"}
    with pytest.raises(ob.SignatureError):
        ob3.verify_data_integrity(tampered, fetcher=fetcher)


def test_vc_jwt_credential_is_issuer_trusted_through_did_web(settings: Settings, app: TestClient[Any]) -> None:
    issuer, _, assertion = _issue(settings, proof="jwt")
    token = app.get(_credential_url(assertion) + "/jwt")
    assert token.status_code == 200
    assert token.headers["content-type"].startswith("application/vc+jwt")
    result = ob3.verify_vc_jwt(token.text, fetcher=AppFetcher(app))
    assert result.issuer_trusted
    assert result.header["alg"] == "RS256"  # the VC-JWT default
    assert result.header["kid"].startswith(issuer_did(PublicUrls(BASE_URL), issuer.public_id) + "#key-")
    assert result.credential["id"] == BASE_URL + _credential_url(assertion)
    # The JSON representation is the JWT's credential; the DI-only /jwt of a DI credential is 404.
    assert app.get(_credential_url(assertion)).json() == {
        k: v for k, v in result.credential.items() if k not in ("iss", "jti", "sub", "nbf", "exp")}
    _, _, di = _issue(settings, proof="di")
    assert app.get(_credential_url(di) + "/jwt").status_code == 404


def test_did_document_lists_every_key_of_the_issuer(settings: Settings, app: TestClient[Any]) -> None:
    issuer, badge, _ = _issue(settings, proof="di")
    _issue(settings, proof="jwt", issuer_ref=(issuer, badge))
    doc = app.get(f"/public/issuers/{issuer.public_id}/did.json").json()
    assert doc["id"] == issuer_did(PublicUrls(BASE_URL), issuer.public_id)
    kinds = sorted(m["publicKeyJwk"]["kty"] for m in doc["verificationMethod"])
    assert kinds == ["OKP", "RSA"]
    assert doc["assertionMethod"] == [m["id"] for m in doc["verificationMethod"]]
    assert all("d" not in m["publicKeyJwk"] for m in doc["verificationMethod"])  # never a private part


def test_revoking_flips_the_status_bit_and_answers_410(settings: Settings, app: TestClient[Any]) -> None:
    issuer, badge, assertion = _issue(settings, proof="di")
    _, _, other = _issue(settings, proof="di", recipient="other@example.org", issuer_ref=(issuer, badge))
    credential = app.get(_credential_url(assertion)).json()
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    list_url = status["statusListCredential"]
    index = int(status["statusListIndex"])
    assert int(app.get(_credential_url(other)).json()["credentialStatus"]["statusListIndex"]) != index

    listed = app.get(urlsplit(list_url).path)
    assert listed.status_code == 200
    before = listed.json()
    assert before["id"] == list_url
    assert "BitstringStatusListCredential" in before["type"]
    assert ob3.verify_data_integrity(before, fetcher=AppFetcher(app))[0].issuer_bound
    assert _status_bit(before, index) is False

    async def revoke(store: HostingStore) -> None:
        row = await store.get_assertion(assertion.public_id)
        await store.revoke(row, "issued in error")

    run_store(settings, revoke)
    after = app.get(urlsplit(list_url).path).json()
    assert ob3.verify_data_integrity(after, fetcher=AppFetcher(app))
    assert _status_bit(after, index) is True
    other_index = int(app.get(_credential_url(other)).json()["credentialStatus"]["statusListIndex"])
    assert _status_bit(after, other_index) is False
    gone = app.get(_credential_url(assertion))
    assert gone.status_code == 410
    assert gone.json() == {"id": BASE_URL + _credential_url(assertion), "revoked": True,
                           "revocationReason": "issued in error"}


def test_replaced_credential_redirects_to_its_replacement(settings: Settings, app: TestClient[Any]) -> None:
    issuer, badge, old = _issue(settings, proof="di")
    _, _, new = _issue(settings, proof="di", issuer_ref=(issuer, badge))

    async def replace(store: HostingStore) -> None:
        await store.replace(await store.get_assertion(old.public_id), await store.get_assertion(new.public_id))

    run_store(settings, replace)
    res = app.get(_credential_url(old), follow_redirects=False)
    assert res.status_code == 301
    assert res.headers["location"] == BASE_URL + _credential_url(new)


@pytest.mark.parametrize("proof", ["di", "jwt"])
def test_baked_image_carries_the_credential(settings: Settings, app: TestClient[Any], proof: str) -> None:
    _, _, assertion = _issue(settings, proof=proof)
    res = app.get(_credential_url(assertion) + "/image")
    assert res.status_code == 200 and res.headers["content-type"] == "image/png"
    baked = ob.unbake(res.content)
    assert baked.version == "3.0"
    if proof == "jwt":
        assert baked.payload == app.get(_credential_url(assertion) + "/jwt").text
    else:
        assert json.loads(baked.payload) == app.get(_credential_url(assertion)).json()
    again = app.get(_credential_url(assertion) + "/image", headers={"If-None-Match": res.headers["etag"]})
    assert again.status_code == 304


def test_profile_and_achievement_documents(settings: Settings, app: TestClient[Any]) -> None:
    issuer, badge, assertion = _issue(settings, proof="di")
    profile = app.get(f"/public/issuers/{issuer.public_id}/profile").json()
    assert profile["id"] == issuer_did(PublicUrls(BASE_URL), issuer.public_id)
    assert profile["name"] == "OB3 Issuer" and profile["email"] == "badges@example.org"
    achievement = app.get(f"/public/badges/{badge.public_id}/achievement").json()
    credential = app.get(_credential_url(assertion)).json()
    embedded = credential["credentialSubject"]["achievement"]
    assert achievement["id"] == embedded["id"] == f"{BASE_URL}/public/badges/{badge.public_id}/achievement"
    assert achievement["achievementType"] == "Competency" and achievement["tag"] == ["soft-skills"]
    assert ob3.canonicalize(achievement)  # every term is defined by the bundled contexts


def test_ob2_urls_do_not_serve_ob3_credentials(settings: Settings, app: TestClient[Any]) -> None:
    issuer, _, assertion = _issue(settings, proof="di")

    async def revoke(store: HostingStore) -> None:
        await store.revoke(await store.get_assertion(assertion.public_id), "gone")

    for path in (f"/public/assertions/{assertion.public_id}", f"/public/assertions/{assertion.public_id}/image"):
        assert app.get(path).status_code == 404, path
    assert app.get(f"/public/assertions/{assertion.public_id}", headers={"Accept": "text/html"}).status_code == 404
    run_store(settings, revoke)
    listed = app.get(f"/public/issuers/{issuer.public_id}/revocations").json()
    assert listed["revokedAssertions"] == []  # OB 3.0 revocation is the status list's job


def test_unknown_and_malformed_ids_are_404(app: TestClient[Any]) -> None:
    for path in ("/public/credentials/nope-not-there-0000", "/public/credentials/%00",
                 "/public/issuers/nope-not-there-0000/did.json", "/public/badges/x/achievement",
                 "/public/issuers/nope-not-there-0000/status/revocation"):
        res = app.get(path)
        assert res.status_code == 404, path
        assert res.json()["code"] == "ResourceNotFound"
