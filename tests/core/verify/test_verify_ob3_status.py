"""Credential status in verify(): Bitstring Status List (revocation, suspension, signature, freshness, ttl,
hostile lists) and the legacy 1EdTechRevocationList."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openbadges_core import DocumentCache, VerificationReport, VerifyOptions, verify
from openbadges_core.ob3 import status_list_entry
from tests.core.verify._badge_server import BadgeServer
from tests.core.verify._ob3_verify_support import (
    ISSUER,
    LIST_URL,
    LoopbackFetcher,
    OfflineFetcher,
    TestIssuer,
    base_credential,
)

SUSPENSIONS = "https://issuer.test/status/suspensions"


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"  # defines 1EdTechRevocationList


def _with_extensions(conformance: Path, **changes: Any) -> dict[str, Any]:
    doc = base_credential(conformance, **changes)
    doc["@context"] = [*doc["@context"], EXTENSIONS]
    return doc


def _verify(issuer: TestIssuer, conformance: Path, status: Any, documents: dict[str, Any]) -> VerificationReport:
    credential = issuer.sign_di(_with_extensions(conformance, credentialStatus=status))
    docs = {ISSUER: issuer.controller_document(), **documents}
    return verify(credential, options=VerifyOptions(documents=docs, use_cache=False, fetcher=OfflineFetcher()))


def test_bit_not_set_is_valid(issuer: TestIssuer, conformance: Path) -> None:
    report = _verify(issuer, conformance, status_list_entry(LIST_URL, 7), {LIST_URL: issuer.status_list(revoked=[8])})
    assert report.valid and not report.revoked
    assert report.check("credential_status").passed and report.check("status_list_proof").passed


def test_revoked_bit(issuer: TestIssuer, conformance: Path) -> None:
    report = _verify(issuer, conformance, status_list_entry(LIST_URL, 7), {LIST_URL: issuer.status_list(revoked=[7])})
    assert report.revoked and report.status == "revoked" and not report.valid
    assert report.check("credential_status").detail == {"purpose": "revocation", "index": 7}


def test_suspended_bit_is_invalid_but_not_revoked(issuer: TestIssuer, conformance: Path) -> None:
    entries = [status_list_entry(LIST_URL, 3), status_list_entry(SUSPENSIONS, 3, purpose="suspension")]
    docs = {LIST_URL: issuer.status_list(), SUSPENSIONS: issuer.status_list(purpose="suspension", revoked=[3],
                                                                          list_url=SUSPENSIONS)}
    report = _verify(issuer, conformance, entries, docs)
    assert not report.valid and not report.revoked and report.status == "invalid"
    checks = [c for c in report.checks if c.name == "credential_status"]
    assert [c.passed for c in checks] == [True, False] and "suspended" in checks[1].message


def test_tampered_status_list_is_refused(issuer: TestIssuer, conformance: Path) -> None:
    lst = issuer.status_list(revoked=[7])
    lst["credentialSubject"]["encodedList"] = issuer.status_list(sign=False)["credentialSubject"]["encodedList"]
    report = _verify(issuer, conformance, status_list_entry(LIST_URL, 7), {LIST_URL: lst})
    assert not report.valid and not report.revoked  # a forged "not revoked" list proves nothing
    assert not report.check("status_list_proof").passed and not report.check("credential_status").passed


def test_status_list_signed_by_someone_else_is_refused(issuer: TestIssuer, conformance: Path) -> None:
    mallory = TestIssuer(issuer="https://mallory.test/issuers/9")
    report = _verify(issuer, conformance, status_list_entry(LIST_URL, 7),
                     {LIST_URL: mallory.status_list(), mallory.id: mallory.controller_document()})
    assert not report.valid
    assert "not by the credential's issuer" in report.check("status_list_proof").message


def test_unsigned_status_list_is_refused(issuer: TestIssuer, conformance: Path) -> None:
    report = _verify(issuer, conformance, status_list_entry(LIST_URL, 7), {LIST_URL: issuer.status_list(sign=False)})
    assert not report.valid and not report.check("status_list_proof").passed


def test_stale_status_list_is_refused(issuer: TestIssuer, conformance: Path) -> None:
    stale = issuer.status_list(valid_until="2021-01-01T00:00:00Z")
    report = _verify(issuer, conformance, status_list_entry(LIST_URL, 7), {LIST_URL: stale})
    assert not report.valid and "stale" in report.check("status_list_window").message


def test_purpose_mismatch_and_bad_index(issuer: TestIssuer, conformance: Path) -> None:
    report = _verify(issuer, conformance, status_list_entry(LIST_URL, 7, purpose="suspension"),
                     {LIST_URL: issuer.status_list()})
    assert "statusPurpose" in report.check("credential_status").message and not report.valid
    report = _verify(issuer, conformance, status_list_entry(LIST_URL, 131_072), {LIST_URL: issuer.status_list()})
    assert "outside the list" in report.check("credential_status").message and not report.valid


@pytest.mark.parametrize("index", ["\u0667", " 7", "7 ", "+7", "0_7", "7.0", "-7", "9" * 5000])
def test_a_status_list_index_not_in_ascii_digits_is_refused(issuer: TestIssuer, conformance: Path,
                                                            index: str) -> None:
    """statusListIndex is a base-10 string; int() read "٧" (an Arabic-Indic 7), " 7", "+7" and "0_7" as 7."""
    entry = {**status_list_entry(LIST_URL, 7), "statusListIndex": index}
    report = _verify(issuer, conformance, entry, {LIST_URL: issuer.status_list(revoked=[7])})
    assert not report.check("credential_status").passed and not report.valid
    assert "non-negative statusListIndex" in report.check("credential_status").message


def test_a_status_list_index_of_ascii_digits_is_read(issuer: TestIssuer, conformance: Path) -> None:
    entry = {**status_list_entry(LIST_URL, 7), "statusListIndex": "0007"}
    report = _verify(issuer, conformance, entry, {LIST_URL: issuer.status_list(revoked=[7])})
    assert report.revoked and report.check("credential_status").detail == {"purpose": "revocation", "index": 7}


def test_gzip_bomb_status_list_is_refused(issuer: TestIssuer, conformance: Path) -> None:
    bomb = issuer.status_list(sign=False)
    packed = gzip.compress(b"\0" * (17 * 1024 * 1024))
    bomb["credentialSubject"]["encodedList"] = "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()
    report = _verify(issuer, conformance, status_list_entry(LIST_URL, 7), {LIST_URL: issuer.sign_di(bomb)})
    status = report.check("credential_status")
    assert not status.passed and status.detail["code"] == "status_list_error" and not report.valid


def test_unknown_status_type_is_a_warning(issuer: TestIssuer, conformance: Path) -> None:
    report = _verify(issuer, conformance, {"id": "https://x.test/s", "type": "https://x.test/SomethingElse"}, {})
    assert report.valid and report.check("credential_status").level == "warning"


@pytest.mark.parametrize("listed, revoked", [(True, True), (False, False)])
def test_legacy_1edtech_revocation_list(listed: bool, revoked: bool, issuer: TestIssuer,
                                        conformance: Path) -> None:
    url = "https://issuer.test/revocations"
    credential_id = base_credential(conformance)["id"]
    entries = [{"id": credential_id, "revocationReason": "cheating"}] if listed else [{"id": "urn:other"}]
    report = _verify(issuer, conformance, {"id": url, "type": "1EdTechRevocationList"},
                     {url: {"id": url, "revokedCredentials": entries}})
    assert report.revoked is revoked and report.valid is not revoked
    if revoked:
        assert report.revocation_reason == "cheating"


def test_unreadable_legacy_list_makes_the_status_unknown(issuer: TestIssuer, conformance: Path) -> None:
    credential = issuer.sign_di(_with_extensions(
        conformance, credentialStatus={"id": "https://issuer.test/revocations", "type": "1EdTechRevocationList"}))
    with BadgeServer() as srv:  # the list is a 404 on the issuer's (local) server
        options = VerifyOptions(documents={ISSUER: issuer.controller_document()}, use_cache=False,
                                fetcher=LoopbackFetcher(srv.base))
        report = verify(credential, options=options)
    assert not report.valid and not report.check("status_list").passed


# --- over HTTP, with the cache and the list's ttl ---------------------------------------------------------

@pytest.fixture
def server() -> Iterator[BadgeServer]:
    with BadgeServer() as srv:
        yield srv


def _over_http(issuer: TestIssuer, conformance: Path, fetcher: LoopbackFetcher,
               cache: DocumentCache) -> VerificationReport:
    credential = issuer.sign_di(base_credential(conformance, credentialStatus=status_list_entry(LIST_URL, 7)))
    options = VerifyOptions(fetcher=fetcher, cache=cache)
    return verify(credential, options=options)


def test_status_list_fetched_once_then_cached(issuer: TestIssuer, conformance: Path, server: BadgeServer) -> None:
    server.json("/issuers/1", issuer.controller_document())
    server.json("/status/1", issuer.status_list(revoked=[7]))
    cache, fetcher = DocumentCache(ttl=300), LoopbackFetcher(server.base)
    assert _over_http(issuer, conformance, fetcher, cache).revoked
    assert _over_http(issuer, conformance, fetcher, cache).revoked
    assert server.hits["/status/1"] == 1 and server.hits["/issuers/1"] == 1


def test_status_list_ttl_limits_the_cache(issuer: TestIssuer, conformance: Path, server: BadgeServer) -> None:
    server.json("/issuers/1", issuer.controller_document())
    server.json("/status/1", issuer.status_list(ttl_ms=0))
    cache, fetcher = DocumentCache(ttl=300), LoopbackFetcher(server.base)
    assert _over_http(issuer, conformance, fetcher, cache).valid
    server.json("/status/1", issuer.status_list(revoked=[7], ttl_ms=0))  # revoked since: ttl 0 refetches
    assert _over_http(issuer, conformance, fetcher, cache).revoked
    assert server.hits["/status/1"] == 2
