"""Compact JWS: signing, verifying with the algorithm pinned by the key, and every forgery we refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbadges_core import (
    PrivateKey,
    PublicKey,
    SignatureError,
    SigningError,
    UnsupportedAlgorithmError,
    ValidationError,
    decode_jws_unverified,
    generate_key,
    load_public_key,
    sign_assertion,
    sign_jws,
    verify_jws,
)

ALGS = ["RS256", "ES256", "EdDSA"]
PAYLOAD = b'{"type":"Assertion","id":"urn:uuid:2f4d4f0e-0a51-4b7c-9d43-0c8d3f1b2a10"}'


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: bytes, signature: bytes) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(payload)}.{b64(signature)}"


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {alg: generate_key(alg) for alg in ALGS}


def assertion(verification: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "urn:uuid:2f4d4f0e-0a51-4b7c-9d43-0c8d3f1b2a10",
        "recipient": {"type": "email", "hashed": False, "identity": "ada@example.org"},
        "badge": "https://example.org/badges/robotics.json",
        "issuedOn": "2026-01-02T03:04:05Z",
        "verification": verification if verification is not None
        else {"type": "SignedBadge", "creator": "https://example.org/keys/1.json"},
    }


# --- sign and verify ----------------------------------------------------------------------------------

@pytest.mark.parametrize("alg", ALGS)
def test_signed_jws_verifies_with_the_public_key(keys: dict[str, PrivateKey], alg: str) -> None:
    token = sign_jws(PAYLOAD, keys[alg])
    header, payload = verify_jws(token, keys[alg].public_key)
    assert payload == PAYLOAD
    assert header == {"alg": alg, "kid": keys[alg].kid}


@pytest.mark.parametrize("alg", ALGS)
def test_our_jws_is_standard_jose_that_pyjwt_verifies(keys: dict[str, PrivateKey], alg: str) -> None:
    token = sign_jws(PAYLOAD, keys[alg])
    decoded = jwt.api_jws.decode_complete(token, keys[alg].public_key.cryptography_key, algorithms=[alg])
    assert decoded["payload"] == PAYLOAD


@pytest.mark.parametrize("alg", ALGS)
def test_pyjwt_made_jws_verifies(keys: dict[str, PrivateKey], alg: str) -> None:
    token = jwt.api_jws.encode(PAYLOAD, keys[alg].cryptography_key, algorithm=alg)
    assert verify_jws(token, keys[alg].public_key)[1] == PAYLOAD


def test_mapping_payload_is_compact_utf8_json(keys: dict[str, PrivateKey]) -> None:
    token = sign_jws({"name": "Überbadge", "n": 1}, keys["ES256"])
    assert verify_jws(token, keys["ES256"].public_key)[1] == '{"name":"Überbadge","n":1}'.encode()


def test_extra_headers_are_protected_but_cannot_change_alg(keys: dict[str, PrivateKey]) -> None:
    key = keys["ES256"]
    header, _ = verify_jws(sign_jws(PAYLOAD, key, headers={"typ": "JWT", "x-tenant": 7}), key.public_key)
    assert header == {"alg": "ES256", "kid": key.kid, "typ": "JWT", "x-tenant": 7}
    with pytest.raises(SigningError):
        sign_jws(PAYLOAD, key, headers={"alg": "none"})
    with pytest.raises(SigningError):
        sign_jws(PAYLOAD, key, headers={"alg": "HS256", "typ": "JWT"})


def test_none_header_value_leaves_the_member_out(keys: dict[str, PrivateKey]) -> None:
    header, _ = decode_jws_unverified(sign_jws(PAYLOAD, keys["EdDSA"], headers={"kid": None, "cty": "json"}))
    assert header == {"alg": "EdDSA", "cty": "json"}


def test_payload_that_is_not_json_serialisable_is_a_signing_error(keys: dict[str, PrivateKey]) -> None:
    with pytest.raises(SigningError):
        sign_jws({"score": float("nan")}, keys["ES256"])
    with pytest.raises(SigningError):
        sign_jws({"when": object()}, keys["ES256"])
    with pytest.raises(SigningError):
        sign_jws("a str is neither bytes nor a mapping", keys["ES256"])  # type: ignore[arg-type]


# --- the official fixtures -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["simple.jwt", "simple-revoked.jwt", "simple-not-revoked.jwt"])
def test_reference_validator_signed_assertions_verify_with_their_creator_key(conformance: Path, name: str) -> None:
    folder = conformance / "examples" / "validator-ob20"
    token = (folder / name).read_text()
    header, payload = decode_jws_unverified(token)
    creator = json.loads(payload)["verification"]["creator"]
    key_doc = json.loads((folder / "assets" / creator.rsplit("/", 1)[-1]).read_text())
    public = load_public_key(key_doc["publicKeyPem"])
    assert verify_jws(token, public) == (header, payload)
    assert header["alg"] == "RS256"


def test_sign_assertion_header_matches_the_reference_validator_fixture(
    conformance: Path, keys: dict[str, PrivateKey]
) -> None:
    reference, _ = decode_jws_unverified((conformance / "examples/validator-ob20/simple.jwt").read_text())
    ours, _ = verify_jws(sign_assertion(assertion(), keys["RS256"]), keys["RS256"].public_key)
    assert ours == reference == {"alg": "RS256", "typ": "JWT"}


# --- sign_assertion -------------------------------------------------------------------------------------

@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_sign_assertion_payload_is_the_assertion_json(keys: dict[str, PrivateKey], alg: str) -> None:
    document = assertion()
    _, payload = verify_jws(sign_assertion(document, keys[alg]), keys[alg].public_key)
    assert json.loads(payload) == document


def test_sign_assertion_accepts_an_object_with_to_dict(keys: dict[str, PrivateKey]) -> None:
    class FakeAssertion:
        def to_dict(self) -> dict[str, Any]:
            return assertion()

    _, payload = verify_jws(sign_assertion(FakeAssertion(), keys["RS256"]), keys["RS256"].public_key)
    assert json.loads(payload) == assertion()


def test_sign_assertion_accepts_the_contexts_signed_alias(keys: dict[str, PrivateKey]) -> None:
    token = sign_assertion(assertion({"type": "signed", "creator": "https://example.org/k.json"}), keys["RS256"])
    assert verify_jws(token, keys["RS256"].public_key)


@pytest.mark.parametrize(("verification", "path"), [
    ({"type": "HostedBadge"}, "verification.type"),
    ({"type": "SignedBadge"}, "verification.creator"),
    ({"type": "SignedBadge", "creator": ""}, "verification.creator"),
    ("SignedBadge", "verification"),
])
def test_sign_assertion_requires_signed_badge_with_creator(
    keys: dict[str, PrivateKey], verification: Any, path: str
) -> None:
    with pytest.raises(ValidationError) as info:
        sign_assertion(assertion(verification), keys["RS256"])
    assert path in [issue.path for issue in info.value.issues]


def test_sign_assertion_refuses_what_is_not_an_assertion(keys: dict[str, PrivateKey]) -> None:
    with pytest.raises(SigningError):
        sign_assertion(42, keys["RS256"])


# --- a signer the library never sees the key of (HSM / KMS) ------------------------------------------

class CallbackSigner:
    """Signs through a callback, like a KMS client; holds no key the library can reach."""

    def __init__(self, alg: str, kid: str | None, callback: Callable[[bytes], bytes]) -> None:
        self.alg = alg
        self.kid = kid
        self._callback = callback

    def sign(self, signing_input: bytes) -> bytes:
        return self._callback(signing_input)


def _hsm() -> tuple[Callable[[bytes], bytes], PublicKey, Callable[[bytes], bytes]]:
    """An 'HSM' holding a P-256 key: returns (raw-signature callback, public key, DER callback)."""
    secret = ec.generate_private_key(ec.SECP256R1())
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    def der(data: bytes) -> bytes:
        return secret.sign(data, ec.ECDSA(hashes.SHA256()))

    def raw(data: bytes) -> bytes:
        r, s = decode_dss_signature(der(data))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    return raw, PublicKey.from_cryptography(secret.public_key()), der


def test_callback_signer_signs_without_handing_over_the_key() -> None:
    raw, public, _ = _hsm()
    calls: list[bytes] = []

    def callback(data: bytes) -> bytes:
        calls.append(data)
        return raw(data)

    token = sign_assertion(assertion(), CallbackSigner("ES256", "hsm-key-1", callback))
    header, payload = verify_jws(token, public)
    assert json.loads(payload) == assertion()
    assert calls == [token.rsplit(".", 1)[0].encode()]  # the callback saw exactly the signing input
    assert header == {"alg": "ES256", "typ": "JWT"}
    header, _ = verify_jws(sign_jws(PAYLOAD, CallbackSigner("ES256", "hsm-key-1", raw)), public)
    assert header["kid"] == "hsm-key-1"


def test_callback_returning_der_instead_of_raw_es256_is_a_signing_error() -> None:
    _, _, der = _hsm()
    with pytest.raises(SigningError, match="raw r\\|\\|s"):
        sign_jws(PAYLOAD, CallbackSigner("ES256", None, der))


def test_failing_callback_is_a_signing_error() -> None:
    def broken(data: bytes) -> bytes:
        raise ConnectionError("KMS unreachable")

    with pytest.raises(SigningError, match="KMS unreachable"):
        sign_jws(PAYLOAD, CallbackSigner("RS256", None, broken))
    with pytest.raises(SigningError):
        sign_jws(PAYLOAD, CallbackSigner("RS256", None, lambda data: "not bytes"))  # type: ignore[arg-type, return-value]


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512", None])
def test_signer_with_unsupported_algorithm_is_refused(alg: Any) -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        sign_jws(PAYLOAD, CallbackSigner(alg, None, lambda data: b"x" * 64))


# --- forgeries and damage, all SignatureError -----------------------------------------------------------

def _flip_signature_bit(signature: str) -> bytes:
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[5] ^= 1
    return bytes(raw)


# Each forgery maps (alg, header, payload, signature) of a good JWS to a damaged compact JWS.
_FORGERIES: dict[str, Callable[[str, str, str, str], str]] = {
    "payload": lambda alg, h, p, s: f"{h}.{b64(PAYLOAD.replace(b'Assertion', b'Assertiom'))}.{s}",
    "header": lambda alg, h, p, s: f"{b64(json.dumps({'alg': alg, 'kid': 'other'}).encode())}.{p}.{s}",
    "signature_bit": lambda alg, h, p, s: f"{h}.{p}.{b64(_flip_signature_bit(s))}",
    "signature_short": lambda alg, h, p, s: f"{h}.{p}.{b64(_flip_signature_bit(s)[:-1])}",
}


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("forgery", sorted(_FORGERIES))
def test_tampered_jws_is_rejected(keys: dict[str, PrivateKey], alg: str, forgery: str) -> None:
    header, payload, signature = sign_jws(PAYLOAD, keys[alg]).split(".")
    with pytest.raises(SignatureError):
        verify_jws(_FORGERIES[forgery](alg, header, payload, signature), keys[alg].public_key)


@pytest.mark.parametrize("alg", ALGS)
def test_other_key_of_same_type_is_rejected(keys: dict[str, PrivateKey], alg: str) -> None:
    other = generate_key(alg)
    with pytest.raises(SignatureError):
        verify_jws(sign_jws(PAYLOAD, keys[alg]), other.public_key)


def test_key_of_another_type_is_rejected_before_any_math(keys: dict[str, PrivateKey]) -> None:
    with pytest.raises(SignatureError, match="does not match the key's algorithm"):
        verify_jws(sign_jws(PAYLOAD, keys["ES256"]), keys["RS256"].public_key)
    with pytest.raises(SignatureError, match="does not match the key's algorithm"):
        verify_jws(sign_jws(PAYLOAD, keys["RS256"]), keys["EdDSA"].public_key)


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_unsigned_alg_none_token_is_rejected(keys: dict[str, PrivateKey], alg: str) -> None:
    unsigned = f"{b64(json.dumps({'alg': alg}).encode())}.{b64(PAYLOAD)}."
    with pytest.raises(SignatureError, match="none"):
        verify_jws(unsigned, keys["RS256"].public_key)
    assert decode_jws_unverified(unsigned) == ({"alg": alg}, PAYLOAD)  # readable, never trusted
    with pytest.raises(SignatureError, match="none"):
        verify_jws(unsigned + "c2ln", keys["RS256"].public_key)


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
@pytest.mark.parametrize("hs", ["HS256", "HS384", "HS512"])
def test_hmac_token_keyed_with_the_public_key_is_rejected(keys: dict[str, PrivateKey], alg: str, hs: str) -> None:
    # The classic confusion attack: HMAC over the token with the *public* key's PEM (or JWK) as secret.
    public = keys[alg].public_key
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[hs]
    for secret in (public.to_pem(), json.dumps(public.to_jwk()).encode()):
        signing_input = f"{b64(json.dumps({'alg': hs, 'typ': 'JWT'}).encode())}.{b64(PAYLOAD)}"
        mac = hmac.new(secret, signing_input.encode(), digest).digest()
        with pytest.raises(SignatureError, match="HMAC"):
            verify_jws(f"{signing_input}.{b64(mac)}", public)


def test_rsa_key_verifies_rs256_only(keys: dict[str, PrivateKey]) -> None:
    token = jwt.api_jws.encode(PAYLOAD, keys["RS256"].cryptography_key, algorithm="RS512")
    with pytest.raises(SignatureError, match="RS512"):
        verify_jws(token, keys["RS256"].public_key)
    pss = jwt.api_jws.encode(PAYLOAD, keys["RS256"].cryptography_key, algorithm="PS256")
    with pytest.raises(SignatureError):
        verify_jws(pss, keys["RS256"].public_key)


def test_crit_header_is_rejected(keys: dict[str, PrivateKey]) -> None:
    key = keys["EdDSA"]
    token = jwt.api_jws.encode(PAYLOAD, key.cryptography_key, algorithm="EdDSA",
                               headers={"crit": ["exp"], "exp": 1})
    with pytest.raises(SignatureError, match="crit"):
        verify_jws(token, key.public_key)


def test_empty_signature_is_rejected(keys: dict[str, PrivateKey]) -> None:
    head, payload, _ = sign_jws(PAYLOAD, keys["ES256"]).split(".")
    with pytest.raises(SignatureError):
        verify_jws(f"{head}.{payload}.", keys["ES256"].public_key)


def test_missing_alg_is_rejected(keys: dict[str, PrivateKey]) -> None:
    key = keys["EdDSA"]
    with pytest.raises(SignatureError):
        verify_jws(forge({"typ": "JWT"}, PAYLOAD, key.sign(b"x")), key.public_key)


MALFORMED = [
    "", ".", "..", "a.b", "a.b.c.d", "a..", "e30..", "e30.e30.c2ln", "abc.def.gh!", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln=",
    " eyJ.e30.c2ln junk", "eyJ\n.e30.c2ln", "bm90IGpzb24.e30.c2ln",  # header is not JSON
    "WzFd.e30.c2ln",  # header is a JSON array
    b64(b"[" * 5000 + b"]" * 5000) + ".e30.c2ln",  # deep nesting
    b64(b'{"alg":"ES256","x":"' + b"a" * 10_000 + b'"}') + ".e30.c2ln",  # oversized header
    "eyJhbGciOiJFUzI1NiJ9.e30.A",  # signature of impossible base64 length
]


@pytest.mark.parametrize("token", MALFORMED)
def test_malformed_token_is_a_signature_error(keys: dict[str, PrivateKey], token: str) -> None:
    with pytest.raises(SignatureError):
        verify_jws(token, keys["ES256"].public_key)
    with pytest.raises(SignatureError):
        decode_jws_unverified(token)


@pytest.mark.parametrize("token", [None, 42, ["a", "b", "c"], b"\xff\xfe.a.b"])
def test_token_of_wrong_type_is_a_signature_error(keys: dict[str, PrivateKey], token: Any) -> None:
    with pytest.raises(SignatureError):
        verify_jws(token, keys["ES256"].public_key)


def test_verify_needs_a_public_key_object(keys: dict[str, PrivateKey]) -> None:
    token = sign_jws(PAYLOAD, keys["ES256"])
    with pytest.raises(SignatureError):
        verify_jws(token, keys["ES256"].public_key.to_pem())  # type: ignore[arg-type]


def test_decode_unverified_returns_header_and_payload(keys: dict[str, PrivateKey]) -> None:
    token = sign_jws(PAYLOAD, keys["ES256"], headers={"typ": "JWT"})
    assert decode_jws_unverified(token) == ({"alg": "ES256", "typ": "JWT", "kid": keys["ES256"].kid}, PAYLOAD)


def test_quickstart_example_signs_a_badge_that_verifies() -> None:
    # docs/quickstart.md promises "issue and sign a badge in ten lines": run its first two code blocks.
    text = (Path(__file__).resolve().parents[3] / "docs" / "quickstart.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    namespace: dict[str, Any] = {}
    exec(blocks[0], namespace)  # noqa: S102 - our own documentation
    statements = [line for line in blocks[0].splitlines() if line and not line.startswith((" ", "from", "import"))]
    assert len(statements) <= 10
    exec(blocks[1], namespace)  # noqa: S102
    assert json.loads(namespace["payload"]) == namespace["assertion"].to_dict()
    assert namespace["header"] == {"alg": "RS256", "typ": "JWT"}


# --- hostile input: only SignatureError ever escapes ------------------------------------------------------

_TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.one_of(st.text(max_size=300), st.text(alphabet=_TOKEN_ALPHABET, max_size=300)))
def test_arbitrary_token_raises_only_signature_error(keys: dict[str, PrivateKey], token: str) -> None:
    for key in keys.values():
        with pytest.raises(SignatureError):
            verify_jws(token, key.public_key)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.dictionaries(st.sampled_from(["alg", "kid", "typ", "crit", "b64", "jku"]),
                              st.one_of(st.none(), st.integers(), st.text(max_size=8),
                                        st.sampled_from(["ES256", "none", "HS256"]), st.lists(st.text(max_size=3)))),
       payload=st.binary(max_size=64), signature=st.binary(max_size=80))
def test_forged_tokens_with_any_header_are_rejected(
    keys: dict[str, PrivateKey], header: dict[str, Any], payload: bytes, signature: bytes
) -> None:
    with pytest.raises(SignatureError):
        verify_jws(forge(header, payload, signature), keys["ES256"].public_key)
