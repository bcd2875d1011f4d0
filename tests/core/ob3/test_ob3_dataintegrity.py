"""Data Integrity (eddsa-rdfc-2022, eddsa-2022, Ed25519Signature2020): test vector, fixtures, key forms."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from openbadges_core import CanonicalizationError, FetchResponse, SignatureError, UnsupportedAlgorithmError
from openbadges_core._ob3._canon import canonicalize
from openbadges_core._ob3._dataintegrity import proof_hash_data, sign_data_integrity, verify_data_integrity
from openbadges_core._ob3._didkeys import did_web_url, resolve_ed25519_key
from openbadges_core._ob3._multibase import b58decode, b58encode, ed25519_multikey

VECTOR = Path("test-vectors") / "eddsa-rdfc-2022-ob3"
OB30 = Path("examples") / "validator-ob30"


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def vector(conformance: Path) -> dict[str, Any]:
    base = conformance / VECTOR
    return {
        "credential": _json(base / "credential.json"),
        "proof": _json(base / "proof.json"),
        "signed": _json(base / "signed-credential.json"),
        "keys": _json(base / "keys-and-hashes.json"),
        "document_canon": (base / "document-canon.nq").read_text(),
        "proof_canon": (base / "proof-canon.nq").read_text(),
    }


def _vector_key(vector: dict[str, Any]) -> Ed25519PrivateKey:
    seed = bytes.fromhex(vector["keys"]["privateKeyHex_seed_then_pub"])[:32]
    return Ed25519PrivateKey.from_private_bytes(seed)


# --- the official test vector, byte for byte ---------------------------------------------------------

def test_vector_canonical_document_and_hash(vector: dict[str, Any]) -> None:
    canon = canonicalize(vector["credential"])
    assert canon == vector["document_canon"]
    assert hashlib.sha256(canon.encode()).hexdigest() == vector["keys"]["documentHashHex"]


def test_vector_canonical_proof_options_and_hash(vector: dict[str, Any]) -> None:
    config = {k: v for k, v in vector["proof"].items() if k != "proofValue"}
    config["@context"] = vector["credential"]["@context"]
    canon = canonicalize(config)
    assert canon == vector["proof_canon"]
    assert hashlib.sha256(canon.encode()).hexdigest() == vector["keys"]["proofHashHex"]


def test_vector_data_to_sign(vector: dict[str, Any]) -> None:
    data = proof_hash_data(vector["credential"], vector["proof"])
    assert data.hex() == vector["keys"]["dataToSignHex_proofHash_then_docHash"]


def test_vector_signature_and_proof_value_reproduced(vector: dict[str, Any]) -> None:
    key = _vector_key(vector)
    raw_pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert raw_pub.hex() == vector["keys"]["publicKeyHex"]
    assert ed25519_multikey(raw_pub) == vector["keys"]["publicKeyMultibase"]
    signed = sign_data_integrity(vector["credential"], key,
                                 verification_method=vector["proof"]["verificationMethod"],
                                 created=vector["proof"]["created"])
    assert signed["proof"]["proofValue"] == vector["keys"]["proofValue"]
    assert b58decode(signed["proof"]["proofValue"][1:]).hex() == vector["keys"]["signatureHex"]
    assert signed == vector["signed"]


def test_vector_signed_credential_verifies(vector: dict[str, Any]) -> None:
    [proof] = verify_data_integrity(vector["signed"])
    assert proof.cryptosuite == "eddsa-rdfc-2022"
    assert proof.public_key_multibase == vector["keys"]["publicKeyMultibase"]


# --- validator-ob30 fixtures -----------------------------------------------------------------------------

VALID = ["simple.json", "complete.json", "endorsement-valid.json", "simple-did-key-method.json",
         "simple-did-web-method.json", "simple-context-alias.json", "simple-context-version.json",
         "simple-multiple-proofs.json", "simple-eddsa-2022.json", "simple_v1.json",
         "bit-string-list/credential-status-revoked.json",
         "bit-string-list/credential-status-revoked-blank-nodes.json"]


@pytest.mark.parametrize("name", VALID)
def test_valid_fixture_proof_verifies_offline(name: str, conformance: Path) -> None:
    proofs = verify_data_integrity(_json(conformance / OB30 / name))
    assert proofs and all(p.public_key_multibase.startswith("z6Mk") for p in proofs)


def test_ed25519signature2020_fixture_is_recognised(conformance: Path) -> None:
    [proof] = verify_data_integrity(_json(conformance / OB30 / "simple_v1.json"))
    assert proof.type == "Ed25519Signature2020" and proof.cryptosuite is None


@pytest.mark.parametrize("name, match", [
    ("simple-err-proof-method-no-scheme.json", "not a URL or DID"),
    ("simple-err-proof-method-unknown-did-method.json", "DID method 'example'"),
    ("simple-err-proof-method-unknown-scheme.json", "scheme 'xxx'"),
    ("simple-err-proof-method.json", "not an Ed25519 multikey"),
    ("simple-err-proof-value.json", "does not verify"),
    ("simple-noproof.json", "no Data Integrity proof"),
])
def test_error_fixture_proof_fails_with_the_expected_reason(name: str, match: str, conformance: Path) -> None:
    with pytest.raises(SignatureError, match=match):
        verify_data_integrity(_json(conformance / OB30 / name))


def test_fixture_with_undefined_terms_is_refused_not_silently_verified(conformance: Path) -> None:
    with pytest.raises(CanonicalizationError, match="not defined"):
        verify_data_integrity(_json(conformance / OB30 / "simple-err-credential-subject-type.json"))


# --- tampering -----------------------------------------------------------------------------------------

def test_changed_claim_breaks_the_proof(conformance: Path) -> None:
    doc = _json(conformance / OB30 / "simple.json")
    doc["credentialSubject"]["achievement"]["name"] = "Leadership"
    with pytest.raises(SignatureError, match="does not verify"):
        verify_data_integrity(doc)


def test_changed_proof_option_breaks_the_proof(conformance: Path) -> None:
    doc = _json(conformance / OB30 / "simple.json")
    doc["proof"][0]["created"] = "2011-01-01T19:23:24Z"
    with pytest.raises(SignatureError, match="does not verify"):
        verify_data_integrity(doc)


def test_wrong_proof_purpose_is_rejected(conformance: Path) -> None:
    doc = _json(conformance / OB30 / "simple.json")
    doc["proof"][0]["proofPurpose"] = "authentication"
    with pytest.raises(SignatureError, match="proofPurpose"):
        verify_data_integrity(doc)


def test_unknown_cryptosuite_is_rejected(conformance: Path) -> None:
    doc = _json(conformance / OB30 / "simple.json")
    doc["proof"][0]["cryptosuite"] = "ecdsa-rdfc-2019"
    with pytest.raises(SignatureError, match="cryptosuite"):
        verify_data_integrity(doc)


def test_undefined_term_added_after_signing_is_rejected(conformance: Path) -> None:
    doc = _json(conformance / OB30 / "simple.json")
    doc["credentialSubject"]["unsignedGrade"] = "A+"
    with pytest.raises(CanonicalizationError, match="unsignedGrade"):
        verify_data_integrity(doc)


# --- signing round trips and key forms ----------------------------------------------------------------

def _credential(conformance: Path) -> dict[str, Any]:
    doc = _json(conformance / OB30 / "simple.json")
    doc.pop("proof")
    return doc


def test_sign_then_verify_round_trip_with_default_method(conformance: Path) -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign_data_integrity(_credential(conformance), key)
    assert signed["proof"]["verificationMethod"].startswith("https://example.com/issuers/876543#z6Mk")
    [proof] = verify_data_integrity(signed)
    assert proof.verification_method == signed["proof"]["verificationMethod"]


def test_sign_with_did_key_method(conformance: Path) -> None:
    key = Ed25519PrivateKey.generate()
    multikey = ed25519_multikey(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    signed = sign_data_integrity(_credential(conformance), key, verification_method=f"did:key:{multikey}#{multikey}")
    assert verify_data_integrity(signed)[0].public_key_multibase == multikey


def test_signing_adds_to_an_existing_proof_set(conformance: Path) -> None:
    doc = _json(conformance / OB30 / "simple.json")
    signed = sign_data_integrity(doc, Ed25519PrivateKey.generate())
    assert len(signed["proof"]) == 2
    assert len(verify_data_integrity(signed)) == 2


def test_signing_refuses_a_non_ed25519_key(conformance: Path) -> None:
    class RsaSigner:
        alg = "RS256"

        def sign(self, data: bytes) -> bytes:
            return b""

    with pytest.raises(UnsupportedAlgorithmError):
        sign_data_integrity(_credential(conformance), RsaSigner(), verification_method="did:key:z6Mk")


def test_signing_refuses_undefined_terms(conformance: Path) -> None:
    doc = _credential(conformance)
    doc["favouriteColour"] = "blue"
    with pytest.raises(CanonicalizationError, match="favouriteColour"):
        sign_data_integrity(doc, Ed25519PrivateKey.generate())


def test_external_eddsa_signer_is_accepted(conformance: Path) -> None:
    inner = Ed25519PrivateKey.generate()

    class HsmSigner:  # the one Signer protocol of JWS, VC-JWT and Data Integrity
        alg = "EdDSA"
        kid = None

        def sign(self, data: bytes) -> bytes:
            return inner.sign(data)

    multikey = ed25519_multikey(inner.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    signed = sign_data_integrity(_credential(conformance), HsmSigner(),
                                 verification_method=f"did:key:{multikey}")
    assert verify_data_integrity(signed)[0].public_key_multibase == multikey


def test_private_key_is_a_signer_and_names_its_own_method(conformance: Path) -> None:
    from openbadges_core import generate_key

    key = generate_key("EdDSA")
    signed = sign_data_integrity(_credential(conformance), key)
    proof = verify_data_integrity(signed)[0]
    raw = key.public_key.cryptography_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert proof.public_key_multibase == ed25519_multikey(raw)
    assert proof.verification_method.endswith("#" + ed25519_multikey(raw))
    with pytest.raises(UnsupportedAlgorithmError):
        sign_data_integrity(_credential(conformance), generate_key("ES256"), verification_method="did:example:1#k")


class _FakeFetcher:
    """A fetcher serving fixed documents by URL (the verifier's SafeFetcher is tested on its own)."""

    def __init__(self, docs: dict[str, Any]) -> None:
        self.docs = docs
        self.calls: list[str] = []

    def fetch(self, url: str, *, accept: str = "", timeout: float | None = None) -> FetchResponse:
        self.calls.append(url)
        if url not in self.docs:
            return FetchResponse(url=url, status_code=404, content_type="text/plain", body=b"")
        return FetchResponse(url=url, status_code=200, content_type="application/json",
                             body=json.dumps(self.docs[url]).encode())


def test_did_web_method_is_resolved_through_the_fetcher(conformance: Path) -> None:
    key = Ed25519PrivateKey.generate()
    multikey = ed25519_multikey(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    did = "did:web:issuer.example:badges"
    fetcher = _FakeFetcher({"https://issuer.example/badges/did.json": {
        "@context": ["https://www.w3.org/ns/did/v1"], "id": did,
        "verificationMethod": [{"id": f"{did}#key-1", "type": "Multikey", "controller": did,
                                "publicKeyMultibase": multikey}]}})
    signed = sign_data_integrity(_credential(conformance), key, verification_method=f"{did}#key-1")
    with pytest.raises(SignatureError, match="fetcher"):
        verify_data_integrity(signed)
    assert verify_data_integrity(signed, fetcher=fetcher)[0].public_key_multibase == multikey
    assert fetcher.calls == ["https://issuer.example/badges/did.json"]


def test_did_web_document_for_another_did_is_refused() -> None:
    fetcher = _FakeFetcher({"https://a.example/.well-known/did.json": {"id": "did:web:b.example"}})
    with pytest.raises(SignatureError, match="is for"):
        resolve_ed25519_key("did:web:a.example#k", fetcher=fetcher)


def test_https_method_without_key_fragment_is_looked_up_in_the_issuer_document() -> None:
    key = Ed25519PrivateKey.generate()
    multikey = ed25519_multikey(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    fetcher = _FakeFetcher({"https://issuer.example/profile": {
        "id": "https://issuer.example/profile",
        "verificationMethod": [{"id": "https://issuer.example/profile#key-1", "publicKeyMultibase": multikey}]}})
    raw = resolve_ed25519_key("https://issuer.example/profile#key-1", fetcher=fetcher)
    assert ed25519_multikey(raw) == multikey
    with pytest.raises(SignatureError, match="not published"):
        resolve_ed25519_key("https://issuer.example/profile#key-2", fetcher=fetcher)


@pytest.mark.parametrize("did, url", [
    ("did:web:example.com", "https://example.com/.well-known/did.json"),
    ("did:web:example.com:user:alice", "https://example.com/user/alice/did.json"),
    ("did:web:localhost%3A8443", "https://localhost:8443/.well-known/did.json"),
])
def test_did_web_url_transformation(did: str, url: str) -> None:
    assert did_web_url(did) == url


@pytest.mark.parametrize("did", ["did:web:", "did:web:a.example:..:x", "did:web:evil.example%2Fx"])
def test_malformed_did_web_is_refused(did: str) -> None:
    with pytest.raises(SignatureError):
        did_web_url(did)


def test_base58_round_trip_keeps_leading_zeros() -> None:
    for data in (b"", b"\0", b"\0\0\x01", bytes(range(64))):
        assert b58decode(b58encode(data)) == data
    assert b58encode(b"hello world") == "StV1DL6CwTryKyV"


def test_base58_rejects_characters_outside_the_alphabet() -> None:
    with pytest.raises(SignatureError):
        b58decode("0OIl")


def test_signing_does_not_mutate_the_input(conformance: Path) -> None:
    doc = _credential(conformance)
    before = copy.deepcopy(doc)
    sign_data_integrity(doc, Ed25519PrivateKey.generate())
    assert doc == before


def test_method_under_the_issuer_id_is_issuer_bound(conformance: Path) -> None:
    [proof] = verify_data_integrity(_json(conformance / OB30 / "simple.json"))
    assert proof.issuer_bound  # https://example.com/issuers/876543#z6Mk... and issuer https://example.com/issuers/876543
    key = Ed25519PrivateKey.generate()
    multikey = ed25519_multikey(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    signed = sign_data_integrity(_credential(conformance), key, verification_method=f"did:key:{multikey}")
    assert not verify_data_integrity(signed)[0].issuer_bound


def test_hostile_inline_contexts_do_not_grow_the_context_caches() -> None:
    from openbadges_core._ob3 import _canon, _contexts

    for i in range(300):
        canonicalize({"@context": [{"@vocab": f"https://example.org/{i}#"}], "name": "x"})
    assert len(_canon._PROCESSED) <= _canon._PROCESSED.maxsize
    assert len(_contexts._RESOLVED_CACHE) <= _contexts._RESOLVED_CACHE.maxsize


@pytest.mark.parametrize("name", ["simple-json.png", "simple-json.svg"])
def test_baked_validator_fixture_proof_verifies(name: str, conformance: Path) -> None:
    from openbadges_core import unbake

    baked = unbake((conformance / OB30 / name).read_bytes())
    assert baked.version == "3.0"
    [proof] = verify_data_integrity(json.loads(baked.payload))
    assert proof.cryptosuite == "eddsa-rdfc-2022" and proof.issuer_bound
