"""verify()-level interop with openbadgeslib: credentials and status lists it signs get the same verdicts
from our verify() as from its own verifier."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openbadges_core import VerifyOptions, generate_key, verify

pytest.importorskip("openbadgeslib")
from openbadgeslib.ob3.ldp import add_data_integrity_proof, verify_data_integrity_proof
from openbadgeslib.ob3.signer import OB3Signer
from openbadgeslib.ob3.status import decode_encoded_list, set_indices
from openbadgeslib.ob3.status_list import (
    build_status_list_credential,
    sign_status_list_credential,
    status_entry,
)
from openbadgeslib.ob3.verifier import OB3VerificationError, OB3Verifier

from tests.core.verify._badge_server import BadgeServer
from tests.core.verify._ob3_verify_support import (
    ISSUER,
    LoopbackFetcher,
    OfflineFetcher,
    TestIssuer,
    base_credential,
)

LIST_URL = "https://issuer.test/status/revocation"


def _theirs_accept_jwt(token: str, pem: bytes) -> bool:
    try:
        OB3Verifier(pem).verify(token)
    except OB3VerificationError:
        return False
    return True


def _theirs_accept_di(document: dict[str, Any], pem: bytes) -> bool:
    try:
        verify_data_integrity_proof(copy.deepcopy(document), pem)
    except OB3VerificationError:
        return False
    return True


def _tamper_jwt(token: str) -> str:
    header, payload, signature = token.split(".")
    return ".".join((header, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature))


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_their_vc_jwt_same_verdicts(alg: str, conformance: Path) -> None:
    key = generate_key(alg)
    doc = base_credential(conformance)
    token = OB3Signer(key.to_pem(), algorithm=alg).sign_payload(
        {**doc, "iss": ISSUER, "jti": doc["id"], "sub": doc["credentialSubject"]["id"], "nbf": 1262304000})
    pem = key.public_key.to_pem()
    pinned = VerifyOptions(trusted_keys=(key.public_key,), fetcher=OfflineFetcher(), use_cache=False)
    for candidate in (token, _tamper_jwt(token)):
        ours = verify(candidate, options=pinned)
        assert ours.valid == _theirs_accept_jwt(candidate, pem), [c.to_dict() for c in ours.errors]
    assert verify(token, options=pinned).valid
    # their header jwk alone, nothing published by the issuer: signature valid, issuer not shown
    unpinned = verify(token, options=VerifyOptions(fetcher=OfflineFetcher(), use_cache=False))
    assert unpinned.check("proof").passed and not unpinned.check("issuer_key").passed


def test_their_data_integrity_credential_same_verdicts(conformance: Path) -> None:
    world = TestIssuer()
    signed = add_data_integrity_proof(base_credential(conformance), world.ed.to_pem(), world.method)
    tampered = copy.deepcopy(signed)
    tampered["name"] = "Forged"
    options = VerifyOptions(documents={ISSUER: world.controller_document()}, fetcher=OfflineFetcher(),
                            use_cache=False)
    pem = world.ed.public_key.to_pem()
    for document in (signed, tampered):
        ours = verify(document, options=options)
        assert ours.valid == _theirs_accept_di(document, pem), [c.to_dict() for c in ours.errors]
    assert verify(signed, options=options).valid


@pytest.fixture
def server() -> Iterator[BadgeServer]:
    with BadgeServer() as srv:
        yield srv


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_their_status_list_before_and_after_revocation(alg: str, conformance: Path, server: BadgeServer) -> None:
    world = TestIssuer(alg)
    index = 4242
    credential = add_data_integrity_proof(
        base_credential(conformance, credentialStatus=status_entry(LIST_URL, "revocation", index)),
        world.ed.to_pem(), world.method)
    server.json("/issuers/1", world.controller_document())
    fetcher = LoopbackFetcher(server.base)
    verdicts = []
    for revoked in ([], [index]):
        lst = build_status_list_credential(ISSUER, LIST_URL, "revocation", revoked)
        token = sign_status_list_credential(lst, world.jwt_key.to_pem(), alg)
        server.route("/status/revocation", body=token, content_type="application/vc+jwt")
        theirs_revoked = index in set_indices(decode_encoded_list(lst["credentialSubject"]["encodedList"]))
        ours = verify(credential, options=VerifyOptions(fetcher=fetcher, use_cache=False))
        assert ours.check("status_list_proof").passed, [c.to_dict() for c in ours.errors]
        assert ours.revoked == theirs_revoked
        verdicts.append((ours.valid, ours.revoked))
    assert verdicts == [(True, False), (False, True)]
