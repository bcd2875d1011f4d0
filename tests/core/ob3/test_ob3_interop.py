"""Interop with openbadgeslib: what it signs verifies with ours, and what we sign verifies with it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from openbadges_core import generate_key
from openbadges_core._ob3._multibase import ed25519_multikey
from openbadges_core.ob3 import sign_data_integrity, sign_vc_jwt, verify_data_integrity, verify_vc_jwt

pytest.importorskip("openbadgeslib")
from openbadgeslib.ob3.ldp import add_data_integrity_proof, verify_data_integrity_proof
from openbadgeslib.ob3.signer import OB3Signer
from openbadgeslib.ob3.verifier import OB3VerificationError, OB3Verifier

OB30 = Path("examples") / "validator-ob30"


def _credential(conformance: Path) -> dict[str, Any]:
    doc = json.loads((conformance / OB30 / "simple.json").read_text())
    doc.pop("proof")
    return doc


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_their_vc_jwt_verifies_with_ours(alg: str, conformance: Path) -> None:
    key = generate_key(alg)
    doc = _credential(conformance)
    payload = {**doc, "iss": doc["issuer"]["id"], "jti": doc["id"],
               "sub": doc["credentialSubject"]["id"], "nbf": 1262304000}
    token = OB3Signer(key.to_pem(), algorithm=alg).sign_payload(payload)
    result = verify_vc_jwt(token)
    assert result.credential == doc and not result.issuer_trusted
    assert verify_vc_jwt(token, trusted_keys=[key.public_key]).issuer_trusted


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_our_vc_jwt_verifies_with_theirs(alg: str, conformance: Path) -> None:
    key = generate_key(alg)
    token = sign_vc_jwt(_credential(conformance), key, allow_eddsa=True)
    credential = OB3Verifier(key.public_key.to_pem()).verify(token)
    assert credential.id == "http://example.com/credentials/3527"


def test_their_data_integrity_proof_verifies_with_ours(conformance: Path) -> None:
    key = generate_key("EdDSA")
    import base64
    raw = base64.urlsafe_b64decode(key.public_key.to_jwk()["x"] + "=")
    vm = f"did:key:{ed25519_multikey(raw)}#{ed25519_multikey(raw)}"
    signed = add_data_integrity_proof(_credential(conformance), key.to_pem(), vm)
    [proof] = verify_data_integrity(signed)
    assert proof.verification_method == vm


def test_our_data_integrity_proof_verifies_with_theirs(conformance: Path) -> None:
    key = generate_key("EdDSA")
    import base64
    raw = base64.urlsafe_b64decode(key.public_key.to_jwk()["x"] + "=")
    signed = sign_data_integrity(_credential(conformance), key,
                                 verification_method=f"did:key:{ed25519_multikey(raw)}")
    verify_data_integrity_proof(copy.deepcopy(signed), key.public_key.to_pem())
    tampered = copy.deepcopy(signed)
    tampered["name"] = "Forged"
    with pytest.raises(OB3VerificationError):
        verify_data_integrity_proof(tampered, key.public_key.to_pem())
