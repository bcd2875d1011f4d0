"""verify() on every official 1EdTech validator-ob30 fixture, offline, with the keys they use pre-supplied."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from openbadges_core import FetchError, PublicKey, VerifyOptions, verify
from openbadges_core._ob3._multibase import ed25519_from_multikey
from tests.core.verify._ob3_verify_support import KEY_A, OB30, fixture_documents

NOW = datetime(2026, 11, 23, tzinfo=UTC)

VALID = ["simple.json", "simple.1ob", "simple-context-alias.json", "simple-context-version.json",
         "simple-did-web-method.json", "simple-eddsa-2022.json", "simple-multiple-proofs.json", "simple_v1.json",
         "endorsement-valid.json", "complete.json", "simple-json.png", "simple-json.svg", "simple-jwt.png",
         "simple-jwt.svg", "simple-jwt_v1.png", "simple-jwt_v1.svg"]

#: fixture -> the check that must fail (the verdict is invalid)
FAILING = {
    "simple-err-context.json": "ob_version",
    "simple-err-credential-subject-achievement-result-description-type.json": "validate_credential",
    "simple-err-credential-subject-identifier-type.json": "validate_credential",
    "simple-err-credential-subject-profile-type.json": "validate_credential",
    "simple-err-credential-subject-result-type.json": "validate_credential",
    "simple-err-credential-subject-type.json": "validate_credential",
    "simple-err-evidence-type.json": "validate_credential",
    "simple-err-expired.json": "valid_until",
    "simple-err-issued.json": "valid_from",
    "simple-err-issuer-otheridentifier-type.json": "validate_credential",
    "simple-err-issuer-parentorg-type.json": "validate_credential",
    "simple-err-issuer-type.json": "validate_credential",
    "simple-err-issuer.json": "validate_credential",
    "simple-err-proof-method-no-scheme.json": "proof",
    "simple-err-proof-method-unknown-did-method.json": "proof",
    "simple-err-proof-method-unknown-scheme.json": "proof",
    "simple-err-proof-method.json": "proof",
    "simple-err-proof-value.json": "proof",
    "simple-err-type.json": "validate_credential",
    "simple-noproof.json": "proof",
    "endorsement-err-schema-status-refresh.json": "validate_credential",
    # a pre-release VC 1.1 context (imsglobal.github.io/…/context.json): not an OB 3.0 context
    "simple.jwt": "ob_version",
    # did:velocity keys cannot be resolved
    "velocity.jwt": "proof",
    # a BitstringStatusListCredential, not a badge
    "bit-string-list/testlist": "ob_version",
    # key "#key-1" is published nowhere we know
    "complete_v1.json": "proof",
    # selective disclosure (ecdsa-sd-2023) is not a supported proof
    "sd/derivedcredential.json": "proof",
}

REVOKED = {"bit-string-list/credential-status-revoked.json": "BitstringStatusListEntry",
           "bit-string-list/credential-status-revoked-blank-nodes.json": "BitstringStatusListEntry",
           "credential-status-revoked.json": "1EdTechRevocationList"}


@pytest.fixture(scope="module")
def options(conformance: Path) -> VerifyOptions:
    return VerifyOptions(documents=fixture_documents(conformance), now=NOW, use_cache=False,
                         fetcher=_NoNetwork())


class _NoNetwork:
    def fetch(self, url: str, *, accept: str = "", timeout: float = 10.0) -> Any:
        raise AssertionError(f"the fixture tests are offline, yet {url} was fetched")


def test_every_fixture_is_covered(conformance: Path) -> None:
    root = conformance / OB30
    files = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    pinned = {"simple-did-key-method.json"}  # see test_did_key_fixture_is_trusted_only_with_the_pinned_key
    assert files == set(VALID) | set(FAILING) | set(REVOKED) | pinned


@pytest.mark.parametrize("name", VALID)
def test_valid_fixture_verifies(name: str, conformance: Path, options: VerifyOptions) -> None:
    report = verify(conformance / OB30 / name, options=options)
    assert report.valid, [c.to_dict() for c in report.errors]
    assert report.version == "3.0" and report.status == "valid"
    names = [c.name for c in report.checks]
    assert names.index("validate_credential") < names.index("proof") < names.index("credential_status") \
        < names.index("valid_from")
    assert report.check("issuer_key").passed


@pytest.mark.parametrize("name, check", sorted(FAILING.items()))
def test_error_fixture_fails_with_the_expected_check(name: str, check: str, conformance: Path,
                                                     options: VerifyOptions) -> None:
    report = verify(conformance / OB30 / name, options=options)
    assert not report.valid
    assert check in {c.name for c in report.errors}, [c.to_dict() for c in report.errors]


@pytest.mark.parametrize("name, kind", sorted(REVOKED.items()))
def test_revoked_fixture_is_revoked(name: str, kind: str, conformance: Path, options: VerifyOptions) -> None:
    report = verify(conformance / OB30 / name, options=options)
    assert report.revoked and report.status == "revoked"
    status = report.check("credential_status")
    assert status is not None and not status.passed and status.level == "error"
    assert report.check("proof").passed and report.check("status_list").passed
    if kind == "BitstringStatusListEntry":
        assert report.check("status_list_proof").passed and status.detail["index"] == 23


def test_without_the_issuer_document_the_signature_proves_nothing(conformance: Path) -> None:
    report = verify(conformance / OB30 / "simple.json",
                    options=VerifyOptions(now=NOW, use_cache=False, fetcher=_Refusing()))
    assert report.check("proof").passed
    issuer_key = report.check("issuer_key")
    assert not issuer_key.passed and issuer_key.level == "error" and not report.valid


class _Refusing:
    def fetch(self, url: str, *, accept: str = "", timeout: float = 10.0) -> Any:
        raise FetchError(f"offline: {url}")


def test_did_key_fixture_is_trusted_only_with_the_pinned_key(conformance: Path) -> None:
    path = conformance / OB30 / "simple-did-key-method.json"
    report = verify(path, options=VerifyOptions(now=NOW, fetcher=_Refusing(), use_cache=False))
    assert report.check("proof").passed and not report.check("issuer_key").passed and not report.valid
    pinned = PublicKey.from_cryptography(Ed25519PublicKey.from_public_bytes(ed25519_from_multikey(KEY_A)))
    report = verify(path, options=VerifyOptions(now=NOW, fetcher=_Refusing(), use_cache=False,
                                                trusted_keys=(pinned,)))
    assert report.valid, [c.to_dict() for c in report.errors]


def test_complete_fixture_verifies_its_endorsement_on_its_own(conformance: Path, options: VerifyOptions) -> None:
    report = verify(conformance / OB30 / "complete.json", options=options)
    endorsements = [c for c in report.checks if c.name == "endorsement"]
    assert endorsements and all(c.detail and c.detail["checks"] for c in endorsements)
    doc = json.loads((conformance / OB30 / "complete.json").read_text())
    ids = {e["id"] for e in doc.get("endorsement", [])}
    assert {c.detail["id"] for c in endorsements} >= ids


def test_report_json_shape(conformance: Path, options: VerifyOptions) -> None:
    data = verify(conformance / OB30 / "simple.json", options=options).to_dict()
    assert data["valid"] is True and data["version"] == "3.0" and data["verificationType"] == "DataIntegrity"
    assert data["inputKind"] == "path" or data["inputKind"] in ("json", "image")
    assert data["assertion"]["id"] == "http://example.com/credentials/3527"
    assert data["issuer"]["id"] == "https://example.com/issuers/876543"
    assert data["badge"]["name"] == "Teamwork"
    assert all(set(c) >= {"name", "level", "passed", "message"} for c in data["checks"])
    json.dumps(data)
