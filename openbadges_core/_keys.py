"""Issuer keys: generate, load, export and identify RSA, P-256 and Ed25519 keys.

One algorithm per key type, fixed by the key itself (never by a token header):

==============  ========  =====================================
key             ``alg``   notes
==============  ========  =====================================
RSA >= 2048     RS256     the OB 2.0 default; 2048-8192 bits
EC P-256        ES256     signatures are raw ``r || s`` (64 B)
Ed25519         EdDSA
==============  ========  =====================================

Everything else (DSA, RSA < 2048, other curves, Ed448, X25519, HMAC secrets) is refused with
:class:`~openbadges_core.UnsupportedAlgorithmError`. The math and the JWK/DER conversions are done by
``cryptography`` and PyJWT's algorithm objects; this module only chooses, checks and wraps.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeAlias, TypeVar, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from jwt.algorithms import Algorithm, ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from jwt.utils import base64url_encode, der_to_raw_signature, raw_to_der_signature

from openbadges_core._errors import KeyMaterialError, SignatureError, UnsupportedAlgorithmError

__all__ = [
    "SUPPORTED_ALGORITHMS",
    "PrivateKey",
    "PublicKey",
    "Signer",
    "generate_key",
    "jwk_thumbprint",
]

#: The JWS algorithms we sign and verify with, one per supported key type.
SUPPORTED_ALGORITHMS: tuple[str, ...] = ("RS256", "ES256", "EdDSA")

_RSA_MIN_BITS = 2048
_RSA_MAX_BITS = 8192  # bounds the cost of one verification with a hostile key
_RSA_GENERATE_BITS = (2048, 3072, 4096)

# PyJWT's algorithm objects: they hold no key, so one shared instance per algorithm is enough.
_ALGORITHMS: dict[str, Algorithm] = {
    "RS256": RSAAlgorithm(RSAAlgorithm.SHA256),
    "ES256": ECAlgorithm(ECAlgorithm.SHA256),
    "EdDSA": OKPAlgorithm(),
}

# RFC 7638 section 3.2: the required members of each key type, in lexicographic order.
_THUMBPRINT_MEMBERS: dict[str, tuple[str, ...]] = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
    "oct": ("k", "kty"),
}

_CryptoPrivate: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
_CryptoPublic: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


@runtime_checkable
class Signer(Protocol):
    """Anything that can produce a JOSE signature: a :class:`PrivateKey`, or a wrapper around an HSM/KMS.

    ``sign`` receives the JWS signing input (``b64(header) + "." + b64(payload)``) and returns the
    signature bytes as JOSE wants them: PKCS#1 v1.5 for RS256, raw ``r || s`` (64 bytes, *not* DER)
    for ES256, the 64-byte Ed25519 signature for EdDSA. ``alg`` is one of :data:`SUPPORTED_ALGORITHMS`;
    ``kid`` is put in JWS headers when not ``None``.
    """

    @property
    def alg(self) -> str: ...

    @property
    def kid(self) -> str | None: ...

    def sign(self, signing_input: bytes) -> bytes: ...


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of a JWK: base64url (no padding) of SHA-256 over its required members.

    Only the required public members count, so a private JWK and its public half share a thumbprint.
    Raises :class:`KeyMaterialError` when a required member is missing or not a string.
    """
    if not isinstance(jwk, Mapping):
        raise KeyMaterialError("a JWK must be a JSON object")
    kty = jwk.get("kty")
    members = _THUMBPRINT_MEMBERS.get(kty) if isinstance(kty, str) else None
    if members is None:
        raise UnsupportedAlgorithmError(f"cannot compute the thumbprint of a JWK with kty {kty!r}")
    canonical: dict[str, str] = {}
    for name in members:
        value = jwk.get(name)
        if not isinstance(value, str) or not value:
            raise KeyMaterialError(f"JWK of kty {kty!r} needs a string member {name!r}")
        canonical[name] = value
    encoded = json.dumps(canonical, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64url_encode(hashlib.sha256(encoded).digest()).decode("ascii")


_PRIVATE_TYPES = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)


def _alg_of(key: PrivateKeyTypes | PublicKeyTypes) -> str:
    """The one algorithm a key is used with; refuses every other key type."""
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        if key.key_size < _RSA_MIN_BITS:
            raise UnsupportedAlgorithmError(
                f"RSA keys must have at least {_RSA_MIN_BITS} bits; this one has {key.key_size}"
            )
        if key.key_size > _RSA_MAX_BITS:
            raise UnsupportedAlgorithmError(
                f"RSA keys larger than {_RSA_MAX_BITS} bits are refused; this one has {key.key_size}"
            )
        return "RS256"
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        if not isinstance(key.curve, ec.SECP256R1):
            raise UnsupportedAlgorithmError(f"only the P-256 curve is supported, not {key.curve.name}")
        return "ES256"
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "EdDSA"
    raise UnsupportedAlgorithmError(
        f"unsupported key type {type(key).__name__.lstrip('_')}: use RSA (>= 2048 bits), P-256 or Ed25519"
    )


# Prepared primitives: padding/hash/ECDSA objects built once, so a signature costs what the
# ``cryptography`` call costs plus the JOSE encoding (PyJWT's DER <-> raw ``r || s`` helpers).
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_ECDSA_SHA256 = ec.ECDSA(_SHA256)
_P256 = ec.SECP256R1()


def _signing_function(key: _CryptoPrivate) -> Callable[[bytes], bytes]:
    if isinstance(key, rsa.RSAPrivateKey):
        rsa_key = key

        def sign_rs256(data: bytes) -> bytes:
            return rsa_key.sign(data, _PKCS1V15, _SHA256)

        return sign_rs256
    if isinstance(key, ec.EllipticCurvePrivateKey):
        ec_key = key

        def sign_es256(data: bytes) -> bytes:
            return der_to_raw_signature(ec_key.sign(data, _ECDSA_SHA256), _P256)

        return sign_es256
    return key.sign  # Ed25519


def _verifying_function(key: _CryptoPublic) -> Callable[[bytes, bytes], bool]:
    if isinstance(key, rsa.RSAPublicKey):
        rsa_key = key

        def verify_rs256(data: bytes, signature: bytes) -> bool:
            try:
                rsa_key.verify(signature, data, _PKCS1V15, _SHA256)
            except InvalidSignature:
                return False
            return True

        return verify_rs256
    if isinstance(key, ec.EllipticCurvePublicKey):
        ec_key = key

        def verify_es256(data: bytes, signature: bytes) -> bool:
            if len(signature) != 64:
                return False
            try:
                ec_key.verify(raw_to_der_signature(signature, _P256), data, _ECDSA_SHA256)
            except InvalidSignature:
                return False
            return True

        return verify_es256
    ed_key = key

    def verify_eddsa(data: bytes, signature: bytes) -> bool:
        try:
            ed_key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    return verify_eddsa


_K = TypeVar("_K", bound=_CryptoPublic | _CryptoPrivate)


class _Key(ABC, Generic[_K]):
    """What both key classes share: the wrapped ``cryptography`` key, the one algorithm it is used with,
    its JWK, and a repr that never shows key material."""

    __slots__ = ("_alg", "_key")

    def __init__(self, key: _K, alg: str | None) -> None:
        self._alg: str = alg or _alg_of(key)
        self._key = key

    @property
    def alg(self) -> str:
        """The JWS algorithm this key signs or verifies with: ``"RS256"``, ``"ES256"`` or ``"EdDSA"``."""
        return self._alg

    @property
    @abstractmethod
    def kid(self) -> str:
        """The RFC 7638 JWK thumbprint of the public key."""

    @property
    def cryptography_key(self) -> _K:
        """The underlying ``cryptography`` key object (sharp tool: prefer this class's methods)."""
        return self._key

    def to_jwk(self) -> dict[str, Any]:
        """The JWK (of a private key: the public members plus the private ones), with ``alg`` and ``kid``."""
        jwk = self._members()
        jwk["alg"] = self._alg
        jwk["kid"] = self.kid
        return jwk

    def _members(self) -> dict[str, Any]:
        jwk: dict[str, Any] = dict(_ALGORITHMS[self._alg].to_jwk(self._key, as_dict=True))
        jwk.pop("key_ops", None)
        return jwk

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alg={self._alg!r}, kid={self.kid!r})"


class PublicKey(_Key[_CryptoPublic]):
    """A verification key: RSA (RS256), P-256 (ES256) or Ed25519 (EdDSA). Immutable and hashable."""

    __slots__ = ("_kid", "_verify")

    def __init__(self, key: _CryptoPublic, *, _alg: str | None = None) -> None:
        super().__init__(key, _alg)
        self._kid: str | None = None
        self._verify = _verifying_function(key)

    @classmethod
    def from_cryptography(cls, key: PublicKeyTypes) -> PublicKey:
        """Wrap a ``cryptography`` public key object (refusing unsupported types, and private keys: pass
        ``key.public_key()``)."""
        if isinstance(key, _PRIVATE_TYPES):
            raise KeyMaterialError("a private key was given where a public key is expected: pass key.public_key()")
        return cls(key, _alg=_alg_of(key))  # type: ignore[arg-type]  # _alg_of narrowed the type

    @property
    def kid(self) -> str:
        """The RFC 7638 JWK thumbprint (base64url SHA-256) — a stable id for this key."""
        if self._kid is None:
            self._kid = jwk_thumbprint(self._members())
        return self._kid

    def to_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``), as OB 2.0 ``publicKeyPem`` wants."""
        return self._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def verify(self, data: bytes, signature: bytes) -> None:
        """Check a JOSE-format signature (ES256: raw ``r || s``) over ``data``; raises :class:`SignatureError`."""
        if not self._verify(data, signature):
            raise SignatureError(f"{self._alg} signature does not verify with key {self.kid}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PublicKey):
            return NotImplemented
        return self._alg == other._alg and self.to_pem() == other.to_pem()

    def __hash__(self) -> int:
        return hash((self._alg, self.kid))


class PrivateKey(_Key[_CryptoPrivate]):
    """A signing key: RSA (RS256), P-256 (ES256) or Ed25519 (EdDSA). It is a :class:`Signer`."""

    __slots__ = ("_public", "_sign")

    def __init__(self, key: _CryptoPrivate, *, _alg: str | None = None) -> None:
        super().__init__(key, _alg)
        self._sign = _signing_function(key)
        self._public = PublicKey(key.public_key(), _alg=self._alg)

    @classmethod
    def from_cryptography(cls, key: PrivateKeyTypes) -> PrivateKey:
        """Wrap a ``cryptography`` private key object (refusing unsupported types and public keys)."""
        if not isinstance(key, _PRIVATE_TYPES):
            _alg_of(key)  # an unsupported type says so first
            raise KeyMaterialError("a public key was given where a private key is expected")
        return cls(key, _alg=_alg_of(key))

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint of the public key (the same as ``public_key.kid``)."""
        return self._public.kid

    @property
    def public_key(self) -> PublicKey:
        """The matching public key."""
        return self._public

    def sign(self, data: bytes) -> bytes:
        """Sign ``data``, returning the JOSE signature bytes (ES256: raw ``r || s``, 64 bytes)."""
        return self._sign(data)

    def to_pem(self, passphrase: str | bytes | None = None) -> bytes:
        """PKCS#8 PEM; encrypted with the best encryption ``cryptography`` offers when a passphrase is given."""
        encryption: serialization.KeySerializationEncryption
        if passphrase is None:
            encryption = serialization.NoEncryption()
        else:
            secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)
            if not secret:
                raise KeyMaterialError("the passphrase must not be empty (pass None for an unencrypted key)")
            encryption = serialization.BestAvailableEncryption(secret)
        return self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def generate_key(alg: str = "RS256", *, rsa_bits: int = 2048) -> PrivateKey:
    """A new private key for ``alg`` (``"RS256"``, ``"ES256"`` or ``"EdDSA"``).

    ``rsa_bits`` (2048, 3072 or 4096) only applies to RS256.
    """
    if alg == "RS256":
        if rsa_bits not in _RSA_GENERATE_BITS:
            raise UnsupportedAlgorithmError(f"rsa_bits must be one of {_RSA_GENERATE_BITS}, not {rsa_bits!r}")
        return PrivateKey(rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits), _alg=alg)
    if alg == "ES256":
        return PrivateKey(ec.generate_private_key(ec.SECP256R1()), _alg=alg)
    if alg == "EdDSA":
        return PrivateKey(ed25519.Ed25519PrivateKey.generate(), _alg=alg)
    raise UnsupportedAlgorithmError(f"unsupported algorithm {alg!r}; choose one of {SUPPORTED_ALGORITHMS}")
