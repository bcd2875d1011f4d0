"""Loading issuer keys: PEM (PKCS#8, traditional, SubjectPublicKeyInfo, PKCS#1), DER and JWK, refusing
what :mod:`._keys` does not support. ``cryptography`` and PyJWT parse; this module only checks and routes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from jwt.exceptions import InvalidKeyError

from openbadges_core._errors import KeyDecryptionError, KeyMaterialError, UnsupportedAlgorithmError
from openbadges_core._json import loads as json_loads
from openbadges_core._keys import _ALGORITHMS, PrivateKey, PublicKey, _alg_of

__all__ = ["load_private_key", "load_public_key"]

_MAX_KEY_INPUT = 64 * 1024  # an RSA-8192 private JWK is ~6 KiB


def _as_bytes(data: bytes | str | bytearray | memoryview) -> bytes:
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > _MAX_KEY_INPUT:
        raise KeyMaterialError(f"key data is too large ({len(raw)} bytes; at most {_MAX_KEY_INPUT})")
    # Trim a BOM and surrounding whitespace from *text* (PEM, JWK) only: binary DER may legitimately
    # start or end with whitespace-valued bytes.
    text = raw.lstrip(b"\xef\xbb\xbf").strip()
    return text if text.startswith((b"-----BEGIN", b"{")) or not raw.startswith(b"\x30") else raw


def _parse_jwk(raw: bytes) -> Mapping[str, Any]:
    try:
        jwk = json_loads(raw)
    except (ValueError, RecursionError):
        raise KeyMaterialError("key data looks like JSON but is not valid JSON") from None
    if not isinstance(jwk, dict):
        raise KeyMaterialError("a JWK must be a JSON object")
    return jwk


def _key_from_jwk(jwk: Mapping[str, Any], *, private: bool) -> PrivateKeyTypes | PublicKeyTypes:
    """Load a JWK through PyJWT's algorithm objects, after our own checks of kty/crv/alg/use."""
    if not isinstance(jwk, Mapping):
        raise KeyMaterialError("a JWK must be a JSON object")
    kty = jwk.get("kty")
    crv = jwk.get("crv")
    if kty == "RSA":
        alg = "RS256"
    elif kty == "EC":
        if crv != "P-256":
            raise UnsupportedAlgorithmError(f"only the P-256 curve is supported, not {crv!r}")
        alg = "ES256"
    elif kty == "OKP":
        if crv != "Ed25519":
            raise UnsupportedAlgorithmError(f"only Ed25519 OKP keys are supported, not {crv!r}")
        alg = "EdDSA"
    elif kty == "oct":
        raise UnsupportedAlgorithmError("symmetric (oct / HMAC) keys are not supported")
    elif kty is None:
        raise KeyMaterialError("JWK has no 'kty' member")
    else:
        raise UnsupportedAlgorithmError(f"unsupported JWK key type {kty!r}")
    declared = jwk.get("alg")
    if declared is not None and declared != alg:
        raise UnsupportedAlgorithmError(f"JWK declares alg {declared!r}; a {kty} key is used with {alg} only")
    if jwk.get("use", "sig") != "sig":
        raise KeyMaterialError(f"JWK 'use' is {jwk.get('use')!r}; a signing key needs 'sig'")
    has_private = "d" in jwk
    if has_private and not private:
        raise KeyMaterialError("expected a public key but the JWK holds private members ('d')")
    if private and not has_private:
        raise KeyMaterialError("expected a private key but the JWK is a public key (no 'd')")
    try:
        key: PrivateKeyTypes | PublicKeyTypes = _ALGORITHMS[alg].from_jwk(dict(jwk))
    except (InvalidKeyError, ValueError, TypeError, KeyError, UnsupportedAlgorithm) as exc:
        raise KeyMaterialError(f"invalid {kty} JWK: {exc}") from None
    return key


def _is_encrypted_pem(raw: bytes) -> bool:
    return raw.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") or b"Proc-Type: 4,ENCRYPTED" in raw[:200]


def _private_from_pem_or_der(raw: bytes, passphrase: str | bytes | None) -> PrivateKeyTypes:
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    is_pem = raw.startswith(b"-----BEGIN")
    if is_pem and b"PRIVATE KEY-----" not in raw[:64]:
        if b"PUBLIC KEY-----" in raw[:64] or b"CERTIFICATE-----" in raw[:64]:
            raise KeyMaterialError("expected a private key but got a public key or certificate")
        raise KeyMaterialError("PEM data is not a private key")
    encrypted = is_pem and _is_encrypted_pem(raw)
    if encrypted and not secret:
        raise KeyDecryptionError("the private key is encrypted and no passphrase was given")
    load = serialization.load_pem_private_key if is_pem else serialization.load_der_private_key
    try:
        return load(raw, password=secret if encrypted or not is_pem else None)
    except TypeError as exc:  # DER: encrypted without a password, or a password for a plain key
        if secret is None:
            raise KeyDecryptionError("the private key is encrypted and no passphrase was given") from None
        try:
            return load(raw, password=None)
        except (TypeError, ValueError, UnsupportedAlgorithm):
            raise KeyMaterialError(f"cannot load the private key: {exc}") from None
    except ValueError:
        if encrypted:
            raise KeyDecryptionError("cannot decrypt the private key: wrong passphrase (or corrupt key)") from None
        raise KeyMaterialError("cannot load the private key: not a valid PEM/DER private key or JWK") from None
    except UnsupportedAlgorithm as exc:
        raise UnsupportedAlgorithmError(f"unsupported private key: {exc}") from None


def _public_from_pem_or_der(raw: bytes) -> PublicKeyTypes:
    if raw.startswith(b"-----BEGIN") and b"PRIVATE KEY-----" in raw[:64]:
        raise KeyMaterialError("expected a public key but got a private key")
    try:
        if raw.startswith(b"-----BEGIN"):
            return serialization.load_pem_public_key(raw)
        return serialization.load_der_public_key(raw)
    except ValueError:
        raise KeyMaterialError("cannot load the public key: not a valid PEM/DER public key or JWK") from None
    except UnsupportedAlgorithm as exc:
        raise UnsupportedAlgorithmError(f"unsupported public key: {exc}") from None


def _load(
    data: object, from_pem_or_der: Callable[[bytes], PrivateKeyTypes | PublicKeyTypes], *, private: bool
) -> PrivateKeyTypes | PublicKeyTypes:
    """Route ``data`` (a JWK mapping, or JWK/PEM/DER bytes or text) to the right parser."""
    if isinstance(data, Mapping):
        return _key_from_jwk(data, private=private)
    if not isinstance(data, (bytes, str, bytearray, memoryview)):
        raise KeyMaterialError(f"cannot load a key from {type(data).__name__}")
    raw = _as_bytes(data)
    if raw.startswith(b"{"):
        return _key_from_jwk(_parse_jwk(raw), private=private)
    if not raw:
        raise KeyMaterialError("key data is empty")
    return from_pem_or_der(raw)


def load_private_key(
    data: bytes | str | Mapping[str, Any], *, passphrase: str | bytes | None = None
) -> PrivateKey:
    """Load a private key from PKCS#8 / traditional PEM (optionally encrypted), DER, or a JWK.

    Raises :class:`KeyDecryptionError` (wrong or missing passphrase), :class:`UnsupportedAlgorithmError`
    (DSA, RSA < 2048, other curves ...) or :class:`KeyMaterialError` (anything unreadable).
    """
    key = _load(data, lambda raw: _private_from_pem_or_der(raw, passphrase), private=True)
    alg = _alg_of(key)
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)):
        raise KeyMaterialError("expected a private key but got a public key")
    return PrivateKey(key, _alg=alg)


def load_public_key(data: bytes | str | Mapping[str, Any]) -> PublicKey:
    """Load a public key from SubjectPublicKeyInfo / PKCS#1 PEM, DER, or a public JWK.

    Private key material is refused (:class:`KeyMaterialError`): derive it with
    ``load_private_key(...).public_key`` instead.
    """
    key = _load(data, _public_from_pem_or_der, private=False)
    alg = _alg_of(key)
    if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey)):
        raise KeyMaterialError("expected a public key but got a private key")
    return PublicKey(key, _alg=alg)
