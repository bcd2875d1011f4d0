"""VC-JWT: sign (RS256/ES256, EdDSA opt-in) and verify (VC 2.0 and 1.1 forms, keys, claims, time)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from openbadges_core import (
    FetchResponse,
    SignatureError,
    UnsupportedAlgorithmError,
    generate_key,
    sign_jws,
    unbake,
)
from openbadges_core._keys import PrivateKey
from openbadges_core._ob3._multibase import ed25519_multikey, multibase_encode
from openbadges_core._ob3._vcjwt import sign_vc_jwt, verify_vc_jwt

OB30 = Path("examples") / "validator-ob30"
ISSUER = "https://example.edu/issuers/565049"


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {alg: generate_key(alg) for alg in ("RS256", "ES256", "EdDSA")}


def _credential(conformance: Path) -> dict[str, Any]:
    doc = json.loads((conformance / OB30 / "simple.json").read_text())
    doc.pop("proof")
    doc["issuer"]["id"] = ISSUER
    doc["validUntil"] = "2099-01-01T00:00:00Z"
    return doc


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    h, p, _ = token.split(".")
    return (json.loads(base64.urlsafe_b64decode(h + "==")), json.loads(base64.urlsafe_b64decode(p + "==")))


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_sign_writes_header_and_registered_claims(alg: str, keys: dict[str, PrivateKey], conformance: Path) -> None:
    token = sign_vc_jwt(_credential(conformance), keys[alg])
    header, payload = _parts(token)
    assert header["alg"] == alg and header["typ"] == "JWT" and "d" not in header["jwk"]
    assert payload["iss"] == ISSUER and payload["jti"] == "http://example.com/credentials/3527"
    assert payload["sub"] == "did:example:ebfeb1f712ebc6f1c276e12ec21"
    assert payload["nbf"] == 1262304000 and payload["exp"] == 4070908800
    assert payload["credentialSubject"]["achievement"]["name"] == "Teamwork"


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_header_jwk_alone_is_signature_valid_but_issuer_untrusted(alg: str, keys: dict[str, PrivateKey],
                                                                 conformance: Path) -> None:
    result = verify_vc_jwt(sign_vc_jwt(_credential(conformance), keys[alg]))
    assert result.vc_version == "2.0" and not result.issuer_trusted and result.key.alg == alg
    assert "iss" not in result.credential and result.credential["issuer"]["id"] == ISSUER


def test_pinned_key_makes_the_issuer_trusted(keys: dict[str, PrivateKey], conformance: Path) -> None:
    token = sign_vc_jwt(_credential(conformance), keys["RS256"])
    assert verify_vc_jwt(token, trusted_keys=[keys["RS256"].public_key]).issuer_trusted


def test_eddsa_is_opt_in(keys: dict[str, PrivateKey], conformance: Path) -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        sign_vc_jwt(_credential(conformance), keys["EdDSA"])
    token = sign_vc_jwt(_credential(conformance), keys["EdDSA"], allow_eddsa=True)
    assert verify_vc_jwt(token).key.alg == "EdDSA"


def test_did_key_kid_resolves_offline(keys: dict[str, PrivateKey], conformance: Path) -> None:
    key = keys["EdDSA"]
    raw = base64.urlsafe_b64decode(key.public_key.to_jwk()["x"] + "=")
    did = f"did:key:{ed25519_multikey(raw)}"
    doc = _credential(conformance)
    doc["issuer"]["id"] = did
    result = verify_vc_jwt(sign_vc_jwt(doc, key, kid=f"{did}#{ed25519_multikey(raw)}", allow_eddsa=True))
    assert result.issuer_trusted and result.key.kid == key.kid


def test_did_jwk_kid_resolves_offline(keys: dict[str, PrivateKey], conformance: Path) -> None:
    jwk = {k: v for k, v in keys["ES256"].public_key.to_jwk().items() if k in ("kty", "crv", "x", "y")}
    did = "did:jwk:" + base64.urlsafe_b64encode(json.dumps(jwk).encode()).decode().rstrip("=")
    doc = _credential(conformance)
    doc["issuer"]["id"] = did
    result = verify_vc_jwt(sign_vc_jwt(doc, keys["ES256"], kid=did + "#0"))
    assert result.issuer_trusted


class _Fetcher:
    def __init__(self, docs: dict[str, Any]) -> None:
        self.docs = docs

    def fetch(self, url: str, *, accept: str = "", timeout: float | None = None) -> FetchResponse:
        if url not in self.docs:
            return FetchResponse(url=url, status_code=404, content_type="text/plain", body=b"")
        return FetchResponse(url=url, status_code=200, content_type="application/json",
                             body=json.dumps(self.docs[url]).encode())


def test_https_kid_is_looked_up_in_the_issuers_jwks(keys: dict[str, PrivateKey], conformance: Path) -> None:
    other = generate_key("RS256")
    jwks = {"keys": [{**other.public_key.to_jwk(), "kid": "old"}, {**keys["RS256"].public_key.to_jwk(), "kid": "k2"}]}
    fetcher = _Fetcher({f"{ISSUER}/keys": jwks})
    token = sign_vc_jwt(_credential(conformance), keys["RS256"], kid=f"{ISSUER}/keys#k2")
    result = verify_vc_jwt(token, fetcher=fetcher)
    assert result.issuer_trusted and result.key.kid == keys["RS256"].kid
    with pytest.raises(SignatureError, match="fetcher"):
        verify_vc_jwt(token)


def test_kid_on_another_origin_is_not_issuer_trusted(keys: dict[str, PrivateKey], conformance: Path) -> None:
    fetcher = _Fetcher({"https://evil.example/keys": {"keys": [keys["RS256"].public_key.to_jwk()]}})
    token = sign_vc_jwt(_credential(conformance), keys["RS256"], kid="https://evil.example/keys")
    assert not verify_vc_jwt(token, fetcher=fetcher).issuer_trusted


def test_header_jwk_that_is_not_the_kid_key_is_refused(keys: dict[str, PrivateKey], conformance: Path) -> None:
    fetcher = _Fetcher({f"{ISSUER}/keys": {"keys": [generate_key("RS256").public_key.to_jwk()]}})
    token = sign_vc_jwt(_credential(conformance), keys["RS256"], kid=f"{ISSUER}/keys", include_jwk=True)
    with pytest.raises(SignatureError):
        verify_vc_jwt(token, fetcher=fetcher)


def test_vc11_form_with_vc_claim_verifies(keys: dict[str, PrivateKey], conformance: Path) -> None:
    vc = json.loads((conformance / OB30 / "simple_v1.json").read_text())
    vc.pop("proof")
    payload = {"vc": vc, "iss": vc["issuer"]["id"], "jti": vc["id"], "nbf": 1262304000}
    jwk = keys["RS256"].public_key.to_jwk()
    token = sign_jws(payload, keys["RS256"], headers={"typ": "JWT", "kid": None, "jwk": jwk})
    result = verify_vc_jwt(token)
    assert result.vc_version == "1.1" and result.credential["issuanceDate"] == vc["issuanceDate"]


@pytest.mark.parametrize("typ, ok", [("JWT", True), ("vc+jwt", True), ("vc+ld+json+jwt", True),
                                     ("JOSE", False), ("at+jwt", False)])
def test_typ_values(typ: str, ok: bool, keys: dict[str, PrivateKey], conformance: Path) -> None:
    doc = _credential(conformance)
    token = sign_jws({**doc, "iss": ISSUER}, keys["RS256"],
                     headers={"typ": typ, "kid": None, "jwk": keys["RS256"].public_key.to_jwk()})
    if ok:
        assert verify_vc_jwt(token).credential["id"] == doc["id"]
    else:
        with pytest.raises(SignatureError, match="typ"):
            verify_vc_jwt(token)


@pytest.mark.parametrize("claim, value", [("iss", "https://evil.example"), ("jti", "urn:other"),
                                          ("sub", "did:example:other"), ("nbf", 5), ("exp", 4070908801)])
def test_claim_contradicting_the_credential_is_refused(claim: str, value: Any, keys: dict[str, PrivateKey],
                                                       conformance: Path) -> None:
    token = sign_vc_jwt(_credential(conformance), keys["RS256"])
    _, payload = _parts(token)
    payload[claim] = value
    forged = sign_jws(payload, keys["RS256"], headers={"typ": "JWT", "kid": None,
                                                      "jwk": keys["RS256"].public_key.to_jwk()})
    with pytest.raises(SignatureError, match=claim):
        verify_vc_jwt(forged)


def test_time_window_is_reported(keys: dict[str, PrivateKey], conformance: Path) -> None:
    token = sign_vc_jwt(_credential(conformance), keys["RS256"])
    assert verify_vc_jwt(token, now=datetime(2100, 1, 1, tzinfo=UTC)).expired
    early = verify_vc_jwt(token, now=datetime(2009, 1, 1, tzinfo=UTC))
    assert early.not_yet_valid and not early.expired


def test_tampered_payload_fails(keys: dict[str, PrivateKey], conformance: Path) -> None:
    h, p, s = sign_vc_jwt(_credential(conformance), keys["ES256"]).split(".")
    payload = json.loads(base64.urlsafe_b64decode(p + "=="))
    payload["name"] = "Forged"
    p2 = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    with pytest.raises(SignatureError):
        verify_vc_jwt(f"{h}.{p2}.{s}")


def test_algorithm_is_pinned_by_key_type(keys: dict[str, PrivateKey], conformance: Path) -> None:
    bare = sign_vc_jwt(_credential(conformance), keys["RS256"], kid="urn:key:1", include_jwk=False)
    assert verify_vc_jwt(bare, trusted_keys=[keys["RS256"].public_key]).issuer_trusted
    with pytest.raises(SignatureError):
        verify_vc_jwt(bare, trusted_keys=[keys["ES256"].public_key])
    # a pinned key that is not the header's key does not lend its trust
    token = sign_vc_jwt(_credential(conformance), keys["RS256"])
    assert not verify_vc_jwt(token, trusted_keys=[keys["ES256"].public_key]).issuer_trusted
    h, p, _ = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(h + "=="))
    for alg in ("none", "HS256"):
        header["alg"] = alg
        h2 = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")
        with pytest.raises(SignatureError):
            verify_vc_jwt(f"{h2}.{p}.AAAA")


def test_private_jwk_in_header_is_refused(keys: dict[str, PrivateKey], conformance: Path) -> None:
    token = sign_jws({**_credential(conformance), "iss": ISSUER}, keys["ES256"],
                     headers={"typ": "JWT", "kid": None, "jwk": keys["ES256"].to_jwk()})
    with pytest.raises(SignatureError, match="private"):
        verify_vc_jwt(token)


@pytest.mark.parametrize("name, version", [("simple-jwt.png", "2.0"), ("simple-jwt.svg", "2.0"),
                                           ("simple-jwt_v1.png", "1.1"), ("simple-jwt_v1.svg", "1.1")])
def test_baked_validator_fixtures_verify_with_header_jwk(name: str, version: str, conformance: Path) -> None:
    result = verify_vc_jwt(unbake((conformance / OB30 / name).read_bytes()).payload)
    assert result.vc_version == version and result.key.alg == "RS256" and not result.issuer_trusted


def test_token_without_any_key_reference_needs_a_pinned_key(conformance: Path) -> None:
    with pytest.raises(SignatureError, match="no key"):
        verify_vc_jwt((conformance / OB30 / "simple.jwt").read_text().strip())


def test_multibase_helper_used_for_did_key_is_consistent() -> None:
    assert multibase_encode(b"\0\x01").startswith("z1")


def test_header_jwk_published_by_the_issuer_is_trusted(keys: dict[str, PrivateKey], conformance: Path) -> None:
    token = sign_vc_jwt(_credential(conformance), keys["ES256"])
    rotated = {"id": ISSUER, "type": ["Profile"], "keys": [generate_key("ES256").public_key.to_jwk(),
                                                           keys["ES256"].public_key.to_jwk()]}
    assert verify_vc_jwt(token, fetcher=_Fetcher({ISSUER: rotated})).issuer_trusted
    other = {"id": ISSUER, "keys": [generate_key("ES256").public_key.to_jwk()]}
    assert not verify_vc_jwt(token, fetcher=_Fetcher({ISSUER: other})).issuer_trusted
    assert not verify_vc_jwt(token, fetcher=_Fetcher({})).issuer_trusted  # 404: still only signature-valid


def test_did_web_issuer_listing_the_header_key_is_trusted(keys: dict[str, PrivateKey], conformance: Path) -> None:
    did = "did:web:issuer.example"
    doc = _credential(conformance)
    doc["issuer"]["id"] = did
    token = sign_vc_jwt(doc, keys["RS256"])
    did_doc = {"id": did, "verificationMethod": [{"id": f"{did}#k", "type": "JsonWebKey2020", "controller": did,
                                                  "publicKeyJwk": keys["RS256"].public_key.to_jwk()}]}
    fetcher = _Fetcher({"https://issuer.example/.well-known/did.json": did_doc})
    assert verify_vc_jwt(token, fetcher=fetcher).issuer_trusted
