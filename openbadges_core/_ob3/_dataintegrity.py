"""W3C Data Integrity proofs for Open Badges 3.0: sign ``eddsa-rdfc-2022``; verify it, ``eddsa-2022``
and ``Ed25519Signature2020``.

The signed bytes are ``sha256(canon(proof options)) || sha256(canon(document without proof))`` where
``canon`` is strict RDFC-1.0 (:func:`~._canon.canonicalize`: bundled contexts only, undefined terms
rejected, size and blank nodes capped); the signature is Ed25519, carried as a multibase base58btc
``proofValue``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from openbadges_core._errors import SignatureError, SigningError, UnsupportedAlgorithmError
from openbadges_core._keys import PrivateKey, Signer
from openbadges_core._net import Fetcher
from openbadges_core._ob3._canon import CanonicalizationLimits, canonicalize
from openbadges_core._ob3._didkeys import resolve_ed25519_key
from openbadges_core._ob3._multibase import ed25519_multikey, multibase_decode, multibase_encode
from openbadges_core._times import utc_datetime

__all__ = ["VerifiedProof", "proof_hash_data", "sign_data_integrity", "verify_data_integrity"]

DATA_INTEGRITY_PROOF = "DataIntegrityProof"
ED25519_SIGNATURE_2020 = "Ed25519Signature2020"
#: cryptosuites of ``DataIntegrityProof`` we verify (the first one is what we sign with).
EDDSA_CRYPTOSUITES = ("eddsa-rdfc-2022", "eddsa-2022")


@dataclass(frozen=True, slots=True)
class VerifiedProof:
    """One proof that verified: its type/cryptosuite, who signed (method and key), purpose, creation."""

    type: str
    cryptosuite: str | None
    verification_method: str
    public_key_multibase: str
    proof_purpose: str
    created: str | None
    #: the method lives under the credential's issuer id (same DID, or ``<issuer id>#…``). A key in a
    #: URL fragment or a did:key is self-asserted: only this binding ties it to the issuer.
    issuer_bound: bool = False


def _without_proof(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "proof"}


def proof_hash_data(document: Mapping[str, Any], proof: Mapping[str, Any], *,
                    limits: CanonicalizationLimits | None = None) -> bytes:
    """The 64 bytes an ``eddsa-rdfc-2022`` proof signs: hash of the proof options, then of the document."""
    if "@context" not in document:
        raise SignatureError("a Data Integrity secured document needs an @context")
    config = {k: v for k, v in proof.items() if k not in ("proofValue", "@context")}
    config["@context"] = document["@context"]
    proof_hash = hashlib.sha256(canonicalize(config, limits=limits).encode()).digest()
    doc_hash = hashlib.sha256(canonicalize(_without_proof(document), limits=limits).encode()).digest()
    return proof_hash + doc_hash


def _timestamp(value: str | datetime | None) -> str:
    if isinstance(value, str):
        return value
    moment = value or datetime.now(UTC)
    if moment.tzinfo is None:
        raise SigningError("created must be timezone-aware")
    return utc_datetime(moment)


def _sign_bytes(key: Ed25519PrivateKey | Signer, data: bytes) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, Signer) and key.alg == "EdDSA":
        try:
            return key.sign(data)
        except Exception as exc:  # a platform's HSM/KMS callback
            raise SigningError(f"Ed25519 signing callback failed: {exc}") from exc
    raise UnsupportedAlgorithmError("eddsa-rdfc-2022 needs an Ed25519 key (alg EdDSA)")


def sign_data_integrity(
    credential: Mapping[str, Any],
    key: Ed25519PrivateKey | Signer,
    *,
    verification_method: str | None = None,
    created: str | datetime | None = None,
    proof_purpose: str = "assertionMethod",
    limits: CanonicalizationLimits | None = None,
) -> dict[str, Any]:
    """Return a copy of ``credential`` with an added ``eddsa-rdfc-2022`` ``DataIntegrityProof``.

    ``verification_method`` defaults to ``<issuer id>#<multikey>`` when the key's public half is known.
    An existing ``proof`` is kept (the new one joins the proof set).

    Raises:
        CanonicalizationError: the credential uses an unknown context or undefined terms.
        UnsupportedAlgorithmError: ``key`` is not Ed25519.
    """
    if verification_method is None:
        verification_method = _default_method(credential, key)
    proof: dict[str, Any] = {
        "type": DATA_INTEGRITY_PROOF,
        "cryptosuite": EDDSA_CRYPTOSUITES[0],
        "created": _timestamp(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    signature = _sign_bytes(key, proof_hash_data(credential, proof, limits=limits))
    proof["proofValue"] = multibase_encode(signature)
    signed = dict(credential)
    existing = credential.get("proof")
    if existing is None:
        signed["proof"] = proof
    else:
        signed["proof"] = [*(existing if isinstance(existing, list) else [existing]), proof]
    return signed


def _default_method(credential: Mapping[str, Any], key: Ed25519PrivateKey | Signer) -> str:
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if isinstance(key, PrivateKey) and isinstance(key.cryptography_key, Ed25519PrivateKey):
        key = key.cryptography_key
    if isinstance(key, Ed25519PrivateKey):
        raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    else:
        raise SigningError("pass verification_method when signing with an external signer")
    if not isinstance(issuer_id, str) or not issuer_id:
        raise SigningError("credential has no issuer id; pass verification_method")
    return f"{issuer_id}#{ed25519_multikey(raw)}"


def _verify_one(document: Mapping[str, Any], proof: Mapping[str, Any], *, fetcher: Fetcher | None,
                proof_purpose: str, limits: CanonicalizationLimits | None) -> VerifiedProof:
    proof_type = proof.get("type")
    suite = proof.get("cryptosuite")
    if proof_type == DATA_INTEGRITY_PROOF and suite not in EDDSA_CRYPTOSUITES:
        raise SignatureError(f"cryptosuite {suite!r} is not supported")
    if proof.get("proofPurpose") != proof_purpose:
        raise SignatureError(f"proofPurpose is {proof.get('proofPurpose')!r}, expected {proof_purpose!r}")
    if "@context" in proof:
        wanted = proof["@context"] if isinstance(proof["@context"], list) else [proof["@context"]]
        have = document.get("@context")
        have = have if isinstance(have, list) else [have]
        if have[: len(wanted)] != wanted:
            raise SignatureError("the proof's @context does not match the document's")
    value = proof.get("proofValue")
    if not isinstance(value, str):
        raise SignatureError("proof has no proofValue")
    signature = multibase_decode(value)
    if len(signature) != 64:
        raise SignatureError("proofValue is not a 64-byte Ed25519 signature")
    method = proof.get("verificationMethod")
    if isinstance(method, Mapping):  # embedded method object
        method = method.get("id")
    key = resolve_ed25519_key(str(method or ""), fetcher=fetcher)
    data = proof_hash_data(document, proof, limits=limits)
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, data)
    except InvalidSignature:
        raise SignatureError(f"Data Integrity proof signature by {method} does not verify") from None
    return VerifiedProof(
        type=str(proof_type), cryptosuite=suite if isinstance(suite, str) else None,
        verification_method=str(method), public_key_multibase=ed25519_multikey(key),
        proof_purpose=proof_purpose, created=proof.get("created") if isinstance(proof.get("created"), str) else None,
        issuer_bound=_issuer_bound(str(method), document),
    )


def _issuer_bound(method: str, document: Mapping[str, Any]) -> bool:
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return isinstance(issuer_id, str) and bool(issuer_id) and method.split("#", 1)[0] == issuer_id


def verify_data_integrity(
    credential: Mapping[str, Any],
    *,
    fetcher: Fetcher | None = None,
    proof_purpose: str = "assertionMethod",
    limits: CanonicalizationLimits | None = None,
) -> list[VerifiedProof]:
    """Verify every Data Integrity proof of ``credential``; return what verified.

    Proofs of other types (for example a JWT proof alongside) are ignored, but at least one Ed25519
    Data Integrity proof must be present, and every one present must verify. ``fetcher`` (the
    verifier's SSRF-safe :class:`~openbadges_core.Fetcher`) is used only for ``did:web`` and for
    ``https`` verification methods whose key is not in the URL.

    Raises:
        SignatureError: no proof, a malformed proof, an unresolvable key, or a bad signature.
        CanonicalizationError: the credential uses an unknown context or undefined terms.
    """
    if not isinstance(credential, Mapping):
        raise SignatureError("a credential must be a JSON object")
    raw = credential.get("proof")
    proofs = raw if isinstance(raw, list) else [raw] if raw is not None else []
    ours = [p for p in proofs if isinstance(p, Mapping)
            and p.get("type") in (DATA_INTEGRITY_PROOF, ED25519_SIGNATURE_2020)]
    if not ours:
        raise SignatureError("credential carries no Data Integrity proof")
    return [_verify_one(credential, p, fetcher=fetcher, proof_purpose=proof_purpose, limits=limits)
            for p in ours]
