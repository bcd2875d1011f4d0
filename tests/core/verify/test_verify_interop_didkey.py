"""did:key / did:jwk issuers and pinned keys: credentials signed by another OB 3.0 library (openbadgeslib)
verify when the key is the issuer's own identifier or is pinned, and still fail when it is not."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from openbadges_core import PrivateKey, VerifyOptions, generate_key, sign_jws, verify

pytest.importorskip("openbadgeslib")
from openbadgeslib import baking as their_baking
from openbadgeslib.ob3.did import did_jwk_from_jwk, did_key_from_pem
from openbadgeslib.ob3.signer import OB3Signer

from tests.core.baking._baking_support import SVG, make_png
from tests.core.verify._ob3_verify_support import OfflineFetcher, base_credential

OFFLINE = VerifyOptions(fetcher=OfflineFetcher(), use_cache=False)


def _credential(conformance: Path, issuer: str) -> dict[str, Any]:
    doc = base_credential(conformance)
    doc["issuer"] = {**doc["issuer"], "id": issuer}
    return doc


def _claims(doc: dict[str, Any], issuer: str) -> dict[str, Any]:
    return {**doc, "iss": issuer, "jti": doc["id"], "sub": doc["credentialSubject"]["id"]}


def _their_token(key: PrivateKey, alg: str, payload: dict[str, Any]) -> str:
    """openbadgeslib signs with the public key as the header ``jwk``."""
    return str(OB3Signer(key.to_pem(), algorithm=alg).sign_payload(payload))


def _did_key(key: PrivateKey) -> str:
    return str(did_key_from_pem(key.public_key.to_pem()))


def _header(token: str) -> dict[str, Any]:
    segment = token.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_did_key_issuer_with_its_own_header_jwk_is_the_issuer(alg: str, conformance: Path) -> None:
    key = generate_key(alg)
    issuer = _did_key(key)
    token = _their_token(key, alg, _claims(_credential(conformance, issuer), issuer))
    assert "jwk" in _header(token) and "kid" not in _header(token)
    report = verify(token, options=OFFLINE)
    assert report.valid, [c.to_dict() for c in report.errors]
    assert report.status == "valid" and report.check("issuer_key").passed


def test_did_key_issuer_with_no_key_in_the_header_is_resolved_from_the_issuer(conformance: Path) -> None:
    key = generate_key("EdDSA")
    issuer = _did_key(key)
    token = sign_jws(_claims(_credential(conformance, issuer), issuer), key, headers={"typ": "JWT", "kid": None})
    assert set(_header(token)) == {"alg", "typ"}
    report = verify(token, options=OFFLINE)
    assert report.valid, [c.to_dict() for c in report.errors]


def test_did_key_issuer_vc11_vc_claim_form(conformance: Path) -> None:
    key = generate_key("ES256")
    issuer = _did_key(key)
    vc = json.loads((conformance / "examples/validator-ob30/simple_v1.json").read_text())
    vc.pop("proof", None)
    vc["issuer"] = {**vc["issuer"], "id": issuer}
    token = _their_token(key, "ES256", {"vc": vc, "iss": issuer, "jti": vc["id"]})
    report = verify(token, options=OFFLINE)
    assert report.valid, [c.to_dict() for c in report.errors]
    assert report.check("proof").detail["vc_version"] == "1.1"  # type: ignore[index]


def test_did_key_issuer_with_another_header_jwk_fails(conformance: Path) -> None:
    issuer_key, forger = generate_key("EdDSA"), generate_key("EdDSA")
    issuer = _did_key(issuer_key)
    token = _their_token(forger, "EdDSA", _claims(_credential(conformance, issuer), issuer))
    report = verify(token, options=OFFLINE)
    assert not report.valid
    assert report.check("proof").passed  # the forger's signature is fine ...
    assert not report.check("issuer_key").passed  # ... but the forger is not the issuer
    assert report.status == "issuer_unconfirmed"


def test_did_key_issuer_with_no_header_key_signed_by_someone_else_fails(conformance: Path) -> None:
    issuer, forger = _did_key(generate_key("EdDSA")), generate_key("EdDSA")
    token = sign_jws(_claims(_credential(conformance, issuer), issuer), forger, headers={"kid": None})
    report = verify(token, options=OFFLINE)
    assert not report.valid and not report.check("proof").passed
    assert report.status == "invalid"


def test_did_jwk_issuer_is_its_key(conformance: Path) -> None:
    key = generate_key("ES256")
    jwk = {k: v for k, v in key.public_key.to_jwk().items() if k not in ("alg", "kid")}
    issuer = str(did_jwk_from_jwk(jwk))
    token = _their_token(key, "ES256", _claims(_credential(conformance, issuer), issuer))
    report = verify(token, options=OFFLINE)
    assert report.valid, [c.to_dict() for c in report.errors]
    other = _their_token(generate_key("ES256"), "ES256", _claims(_credential(conformance, issuer), issuer))
    assert verify(other, options=OFFLINE).status == "issuer_unconfirmed"


@pytest.mark.parametrize("image", ["png", "svg"])
def test_did_key_credential_baked_by_openbadgeslib(image: str, conformance: Path) -> None:
    key = generate_key("EdDSA")
    issuer = _did_key(key)
    token = _their_token(key, "EdDSA", _claims(_credential(conformance, issuer), issuer))
    if image == "png":
        baked = their_baking.bake_png(make_png(), token, keyword=their_baking.ITXT_KEYWORD_OB3)
    else:
        baked = their_baking.bake_svg(SVG, token, element=their_baking.SVG_ELEMENT_OB3,
                                      namespace=their_baking.SVG_NS_OB3)
    report = verify(baked, options=OFFLINE)
    assert report.valid, [c.to_dict() for c in report.errors]
    assert report.check("unbake").passed


def test_https_issuer_with_bare_header_jwk_is_issuer_unconfirmed_with_an_actionable_message(
        conformance: Path) -> None:
    key = generate_key("RS256")
    doc = base_credential(conformance)
    token = _their_token(key, "RS256", _claims(doc, doc["issuer"]["id"]))
    report = verify(token, options=OFFLINE)
    assert report.status == "issuer_unconfirmed" and not report.valid
    message = report.check("issuer_key").message
    assert "signature is valid" in message and "trusted_keys" in message and "documents" in message
    pinned = verify(token, options=VerifyOptions(fetcher=OfflineFetcher(), use_cache=False,
                                                 trusted_keys=(key.public_key,)))
    assert pinned.valid and pinned.status == "valid"


# --- pinned keys win over a kid that cannot be resolved ---------------------------------------------
def _spec_header(conformance: Path) -> dict[str, Any]:
    """The OB 3.0 guide's JOSE header example: an https kid under a host that does not exist."""
    name = "25_integrity_Sample-JOSE-Header-with-reference-to-a-public-key.json"
    return dict(json.loads((conformance / "examples/spec" / name).read_text()))


def test_pinned_key_is_used_when_the_spec_examples_kid_cannot_be_fetched(conformance: Path) -> None:
    key = generate_key("RS256")
    header = _spec_header(conformance)
    doc = base_credential(conformance)
    token = sign_jws(_claims(doc, doc["issuer"]["id"]), key, headers={"typ": header["typ"], "kid": header["kid"]})
    unpinned = verify(token, options=OFFLINE)
    assert not unpinned.valid and not unpinned.check("proof").passed
    pinned = verify(token, options=VerifyOptions(fetcher=OfflineFetcher(), use_cache=False,
                                                 trusted_keys=(generate_key("RS256").public_key, key.public_key)))
    assert pinned.valid, [c.to_dict() for c in pinned.errors]


def test_a_pinned_key_that_does_not_verify_does_not_rescue_an_unresolvable_kid(conformance: Path) -> None:
    key, other = generate_key("RS256"), generate_key("RS256")
    doc = base_credential(conformance)
    token = sign_jws(_claims(doc, doc["issuer"]["id"]), key, headers={"kid": _spec_header(conformance)["kid"]})
    report = verify(token, options=VerifyOptions(fetcher=OfflineFetcher(), use_cache=False,
                                                 trusted_keys=(other.public_key,)))
    assert not report.valid and not report.check("proof").passed


def test_pinned_key_matching_the_header_jwk_thumbprint_wins_over_the_kid(conformance: Path) -> None:
    key = generate_key("ES256")
    doc = base_credential(conformance)
    jwk = {k: v for k, v in key.public_key.to_jwk().items() if k not in ("alg", "kid")}
    token = sign_jws(_claims(doc, doc["issuer"]["id"]), key,
                     headers={"kid": "https://issuer.invalid/keys#1", "jwk": jwk})
    report = verify(token, options=VerifyOptions(fetcher=OfflineFetcher(), use_cache=False,
                                                 trusted_keys=(key.public_key,)))
    assert report.valid, [c.to_dict() for c in report.errors]


# --- the official examples: hosts that do not exist, so keys are pinned or documents given -----------
def test_official_jwt_baked_example_verifies_with_its_key_pinned(conformance: Path) -> None:
    from openbadges_core import load_public_key, unbake

    path = conformance / "examples/validator-ob30/simple-jwt.png"
    key = load_public_key(_header(unbake(path).payload.strip())["jwk"])
    report = verify(path, options=VerifyOptions(fetcher=OfflineFetcher(), use_cache=False, trusted_keys=(key,)))
    assert report.valid, [c.to_dict() for c in report.errors]
    assert verify(path, options=OFFLINE).status == "issuer_unconfirmed"
