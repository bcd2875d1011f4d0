"""Issuer keys: generation, PEM/JWK round-trips, RFC 7638 key ids, and refusing what we do not support."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from openbadges_core import (
    KeyDecryptionError,
    KeyMaterialError,
    PrivateKey,
    PublicKey,
    SignatureError,
    Signer,
    UnsupportedAlgorithmError,
    generate_key,
    jwk_thumbprint,
    load_private_key,
    load_public_key,
)

ALGS = ["RS256", "ES256", "EdDSA"]

# RFC 7638 section 3.1: this RSA key's SHA-256 thumbprint is NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs.
RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {alg: generate_key(alg) for alg in ALGS}


def _pkcs8(key: object) -> bytes:
    return key.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


# --- generation and key ids --------------------------------------------------------------------------

@pytest.mark.parametrize("alg", ALGS)
def test_generated_key_has_its_algorithm_and_a_thumbprint_kid(keys: dict[str, PrivateKey], alg: str) -> None:
    key = keys[alg]
    assert key.alg == alg and key.public_key.alg == alg
    assert key.kid == key.public_key.kid == jwk_thumbprint(key.public_key.to_jwk())
    assert len(key.kid) == 43 and "=" not in key.kid  # base64url of 32 bytes, unpadded
    assert isinstance(key, Signer)


def test_rsa_3072_key_can_be_generated_and_is_rs256() -> None:
    key = generate_key("RS256", rsa_bits=3072)
    assert key.alg == "RS256"
    assert key.cryptography_key.key_size == 3072


@pytest.mark.parametrize("alg", ["HS256", "none", "RS512", "ES384", ""])
def test_generating_an_unsupported_algorithm_is_refused(alg: str) -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        generate_key(alg)


def test_generating_rsa_below_2048_bits_is_refused() -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        generate_key("RS256", rsa_bits=1024)


def test_thumbprint_matches_rfc7638_example() -> None:
    assert jwk_thumbprint(RFC7638_JWK) == RFC7638_THUMBPRINT
    assert load_public_key(RFC7638_JWK).kid == RFC7638_THUMBPRINT


def test_thumbprint_ignores_optional_members_and_member_order() -> None:
    reordered = {"e": RFC7638_JWK["e"], "n": RFC7638_JWK["n"], "kty": "RSA", "use": "sig", "x5t": "zzz"}
    assert jwk_thumbprint(reordered) == RFC7638_THUMBPRINT


def test_thumbprint_needs_the_required_members() -> None:
    with pytest.raises(KeyMaterialError):
        jwk_thumbprint({"kty": "RSA", "n": RFC7638_JWK["n"]})
    with pytest.raises(KeyMaterialError):
        jwk_thumbprint({"kty": "EC", "crv": "P-256", "x": "abc", "y": 5})
    with pytest.raises(KeyMaterialError):
        jwk_thumbprint({"n": "x", "e": "AQAB"})


@pytest.mark.parametrize("alg", ALGS)
def test_private_and_public_jwk_share_one_thumbprint(keys: dict[str, PrivateKey], alg: str) -> None:
    key = keys[alg]
    assert jwk_thumbprint(key.to_jwk()) == jwk_thumbprint(key.public_key.to_jwk()) == key.kid


# --- PEM round-trips -----------------------------------------------------------------------------------

@pytest.mark.parametrize("alg", ALGS)
def test_private_pem_round_trip_keeps_the_key(keys: dict[str, PrivateKey], alg: str) -> None:
    key = keys[alg]
    pem = key.to_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, unencrypted
    loaded = load_private_key(pem)
    assert loaded.kid == key.kid and loaded.alg == alg
    assert loaded.to_pem() == pem
    assert load_private_key(pem.decode()).kid == key.kid  # str works too


@pytest.mark.parametrize("alg", ALGS)
def test_public_pem_is_subject_public_key_info_and_round_trips(keys: dict[str, PrivateKey], alg: str) -> None:
    public = keys[alg].public_key
    pem = public.to_pem()
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    loaded = load_public_key(pem)
    assert loaded == public and loaded.kid == public.kid and loaded.alg == alg


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("passphrase", ["correct horse", b"battery staple", "p\u00e4ssw\u00f6rd"])
def test_encrypted_pem_round_trips_with_its_passphrase(
    keys: dict[str, PrivateKey], alg: str, passphrase: str | bytes
) -> None:
    pem = keys[alg].to_pem(passphrase)
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert load_private_key(pem, passphrase=passphrase).kid == keys[alg].kid


def test_encrypted_pem_with_wrong_passphrase_is_a_decryption_error(keys: dict[str, PrivateKey]) -> None:
    pem = keys["ES256"].to_pem("right")
    with pytest.raises(KeyDecryptionError):
        load_private_key(pem, passphrase="wrong")


def test_encrypted_pem_without_passphrase_is_a_decryption_error(keys: dict[str, PrivateKey]) -> None:
    pem = keys["EdDSA"].to_pem("right")
    with pytest.raises(KeyDecryptionError):
        load_private_key(pem)


def test_traditional_encrypted_rsa_pem_with_wrong_passphrase_is_a_decryption_error(
    keys: dict[str, PrivateKey],
) -> None:
    pem = keys["RS256"].cryptography_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(b"right"),
    )
    assert b"Proc-Type: 4,ENCRYPTED" in pem
    assert load_private_key(pem, passphrase="right").kid == keys["RS256"].kid
    with pytest.raises(KeyDecryptionError):
        load_private_key(pem, passphrase="wrong")
    with pytest.raises(KeyDecryptionError):
        load_private_key(pem)


def test_passphrase_given_for_unencrypted_key_is_ignored(keys: dict[str, PrivateKey]) -> None:
    assert load_private_key(keys["ES256"].to_pem(), passphrase="unused").kid == keys["ES256"].kid


def test_empty_passphrase_is_refused_when_exporting(keys: dict[str, PrivateKey]) -> None:
    with pytest.raises(KeyMaterialError):
        keys["ES256"].to_pem("")


@pytest.mark.parametrize("alg", ALGS)
def test_der_keys_load(keys: dict[str, PrivateKey], alg: str) -> None:
    key = keys[alg].cryptography_key
    der_private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    der_public = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    assert load_private_key(der_private).kid == keys[alg].kid
    assert load_public_key(der_public).kid == keys[alg].kid


# --- JWK round-trips -----------------------------------------------------------------------------------

@pytest.mark.parametrize("alg", ALGS)
def test_private_jwk_round_trips(keys: dict[str, PrivateKey], alg: str) -> None:
    jwk = keys[alg].to_jwk()
    assert jwk["alg"] == alg and jwk["kid"] == keys[alg].kid and "d" in jwk
    loaded = load_private_key(jwk)
    assert loaded.to_pem() == keys[alg].to_pem()
    assert load_private_key(json.dumps(jwk)).kid == keys[alg].kid  # JSON text works too


@pytest.mark.parametrize("alg", ALGS)
def test_public_jwk_has_no_private_members_and_round_trips(keys: dict[str, PrivateKey], alg: str) -> None:
    jwk = keys[alg].public_key.to_jwk()
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)
    assert jwk["alg"] == alg and jwk["kid"] == keys[alg].kid
    assert load_public_key(jwk) == keys[alg].public_key


def test_rsa_private_jwk_with_only_d_loads(keys: dict[str, PrivateKey]) -> None:
    jwk = {k: v for k, v in keys["RS256"].to_jwk().items() if k not in {"p", "q", "dp", "dq", "qi"}}
    assert load_private_key(jwk).kid == keys["RS256"].kid


def test_ec_jwk_whose_private_part_does_not_match_is_refused(keys: dict[str, PrivateKey]) -> None:
    jwk = keys["ES256"].to_jwk()
    jwk["d"] = generate_key("ES256").to_jwk()["d"]
    with pytest.raises(KeyMaterialError):
        load_private_key(jwk)


def test_jwk_declaring_another_algorithm_is_refused(keys: dict[str, PrivateKey]) -> None:
    jwk = keys["RS256"].public_key.to_jwk() | {"alg": "RS512"}
    with pytest.raises(UnsupportedAlgorithmError):
        load_public_key(jwk)


def test_encryption_jwk_is_refused_for_signing(keys: dict[str, PrivateKey]) -> None:
    with pytest.raises(KeyMaterialError):
        load_public_key(keys["ES256"].public_key.to_jwk() | {"use": "enc"})


def test_public_key_loaders_refuse_private_material_and_vice_versa(keys: dict[str, PrivateKey]) -> None:
    key = keys["ES256"]
    with pytest.raises(KeyMaterialError):
        load_public_key(key.to_pem())
    with pytest.raises(KeyMaterialError):
        load_public_key(key.to_jwk())
    with pytest.raises(KeyMaterialError):
        load_private_key(key.public_key.to_pem())
    with pytest.raises(KeyMaterialError):
        load_private_key(key.public_key.to_jwk())


# --- unsupported and garbage ---------------------------------------------------------------------------

def test_rsa_1024_key_is_unsupported() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(UnsupportedAlgorithmError):
        load_private_key(_pkcs8(small))
    with pytest.raises(UnsupportedAlgorithmError):
        load_public_key(small.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo))


def test_dsa_key_is_unsupported() -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        load_private_key(_pkcs8(dsa.generate_private_key(key_size=2048)))


@pytest.mark.parametrize("curve", [ec.SECP384R1(), ec.SECP256K1()])
def test_ec_curves_other_than_p256_are_unsupported(curve: ec.EllipticCurve) -> None:
    key = ec.generate_private_key(curve)
    with pytest.raises(UnsupportedAlgorithmError):
        load_private_key(_pkcs8(key))
    with pytest.raises(UnsupportedAlgorithmError):
        PublicKey.from_cryptography(key.public_key())


def test_ed448_key_is_unsupported() -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        load_private_key(_pkcs8(ed448.Ed448PrivateKey.generate()))
    with pytest.raises(UnsupportedAlgorithmError):
        load_public_key({"kty": "OKP", "crv": "Ed448", "x": "AAAA"})


def test_symmetric_jwk_is_unsupported() -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        load_private_key({"kty": "oct", "k": "c2VjcmV0", "d": "x"})


@pytest.mark.parametrize("garbage", [
    b"", b"   ", b"not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    b"\x00\x01\x02\x03" * 20, b"{not json", b"[1, 2]", {"kty": "RSA"}, {"kty": "EC", "crv": "P-256", "d": "x"},
    b"{" * 100_000,
])
def test_garbage_is_a_key_material_error(garbage: bytes | str | dict[str, str]) -> None:
    with pytest.raises(KeyMaterialError):
        load_private_key(garbage)
    with pytest.raises(KeyMaterialError):
        load_public_key(garbage if not isinstance(garbage, dict) else {k: v for k, v in garbage.items() if k != "d"})


def test_wrong_input_type_is_a_key_material_error() -> None:
    with pytest.raises(KeyMaterialError):
        load_private_key(12345)  # type: ignore[arg-type]


# --- use ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("alg", ALGS)
def test_public_key_verifies_the_private_keys_signature_and_nothing_else(
    keys: dict[str, PrivateKey], alg: str
) -> None:
    signature = keys[alg].sign(b"hello")
    keys[alg].public_key.verify(b"hello", signature)
    with pytest.raises(SignatureError):
        keys[alg].public_key.verify(b"hellO", signature)


def test_es256_signature_is_raw_r_and_s(keys: dict[str, PrivateKey]) -> None:
    assert len(keys["ES256"].sign(b"data")) == 64


def test_repr_never_shows_key_material(keys: dict[str, PrivateKey]) -> None:
    text = repr(keys["EdDSA"])
    assert keys["EdDSA"].to_jwk()["d"] not in text and keys["EdDSA"].kid in text
    assert text == f"PrivateKey(alg='EdDSA', kid='{keys['EdDSA'].kid}')"
    assert repr(keys["ES256"].public_key) == f"PublicKey(alg='ES256', kid='{keys['ES256'].kid}')"


def test_from_cryptography_wraps_supported_keys() -> None:
    raw = ed25519.Ed25519PrivateKey.generate()
    assert PrivateKey.from_cryptography(raw).alg == "EdDSA"
    with pytest.raises(UnsupportedAlgorithmError):
        PrivateKey.from_cryptography(ed448.Ed448PrivateKey.generate())  # type: ignore[arg-type]


@pytest.mark.parametrize("make", [ed25519.Ed25519PrivateKey.generate,
                                  lambda: ec.generate_private_key(ec.SECP256R1()),
                                  lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)])
def test_from_cryptography_refuses_the_other_half(make: Any) -> None:
    """A private key is never wrapped as a PublicKey (it would carry the secret where a verifier's key goes),
    nor a public key as a PrivateKey."""
    raw = make()
    with pytest.raises(KeyMaterialError, match="private key was given where a public key"):
        PublicKey.from_cryptography(raw)
    with pytest.raises(KeyMaterialError, match="public key was given where a private key"):
        PrivateKey.from_cryptography(raw.public_key())
    assert PublicKey.from_cryptography(raw.public_key()) == PrivateKey.from_cryptography(raw).public_key


@settings(max_examples=100, deadline=None)
@given(data=st.one_of(
    st.binary(max_size=300),
    st.builds(lambda body: b"-----BEGIN PRIVATE KEY-----\n" + body + b"\n-----END PRIVATE KEY-----\n",
              st.binary(max_size=200)),
    st.builds(lambda body: b"-----BEGIN PUBLIC KEY-----\n" + body + b"\n-----END PUBLIC KEY-----\n",
              st.binary(max_size=200)),
    st.dictionaries(st.sampled_from(["kty", "crv", "n", "e", "d", "x", "y", "alg", "use"]),
                    st.one_of(st.sampled_from(["RSA", "EC", "OKP", "P-256", "Ed25519", "AQAB"]),
                              st.text(max_size=20), st.integers(), st.none())),
))
def test_arbitrary_key_input_raises_only_key_material_errors(data: bytes | dict[str, Any]) -> None:
    for load in (load_private_key, load_public_key):
        try:
            load(data)
        except KeyMaterialError:
            pass


def test_der_key_ending_in_a_whitespace_byte_loads() -> None:
    """Regression: binary DER is never trimmed like text (about 2% of P-256 keys end in such a byte)."""
    for _ in range(5000):
        key = generate_key("ES256")
        der = key.cryptography_key.private_bytes(serialization.Encoding.DER,
                                                 serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption())
        if der[-1:].isspace():
            break
    else:
        raise AssertionError("no key with a whitespace-valued last DER byte in 5000 tries")
    assert load_private_key(der).kid == key.kid
