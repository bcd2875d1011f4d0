"""Compact JWS (RFC 7515) for signed OB 2.0 assertions, with the algorithm pinned by the key.

Encoding uses PyJWT's ``base64url`` helpers; signatures come from a :class:`~openbadges_core.Signer`
(``cryptography`` underneath) and are checked by :meth:`PublicKey.verify`. We never look at the
header's ``alg`` to choose how to verify: the key decides (RSA → RS256, P-256 → ES256, Ed25519 →
EdDSA) and a header that names anything else — ``none``, ``HS256``, ``RS512`` — is rejected.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import msgspec
import pybase64
from jwt.utils import base64url_encode

from openbadges_core._errors import (
    OpenBadgesError,
    SignatureError,
    SigningError,
    UnsupportedAlgorithmError,
    ValidationError,
    ValidationIssue,
)
from openbadges_core._keys import SUPPORTED_ALGORITHMS, PrivateKey, PublicKey, Signer

__all__ = ["decode_jws_unverified", "sign_assertion", "sign_jws", "verify_jws"]

# Three base64url segments. The payload may be empty (RFC 7515 allows it); so may the signature when
# parsing, so that an unsecured ``alg: none`` token is reported as such rather than as "malformed".
# Checked with bytes.translate (C speed): a regular expression costs ~15 us on a 1 KiB token.
_COMPACT_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
_B64URL_CHARS = _COMPACT_CHARS[:-1]


def compact_segments(token: str) -> tuple[str, str, str] | None:
    """The three base64url segments of a compact JWS (header non-empty), or ``None`` when it is not one."""
    if not token.isascii() or token.count(".") != 2:
        return None
    if token.encode("ascii").translate(None, _COMPACT_CHARS):
        return None
    header, payload, signature = token.split(".")
    return (header, payload, signature) if header else None
_MAX_HEADER_CHARS = 8 * 1024
_SIGNATURE_BYTES = {"ES256": 64, "EdDSA": 64}


def _json_bytes(value: Mapping[str, Any]) -> bytes:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise SigningError(f"cannot serialise to JSON: {exc}") from None


@lru_cache(maxsize=256)
def _default_header_segment(alg: str, kid: str | None, typ: str | None) -> bytes:
    header: dict[str, str] = {"alg": alg}
    if typ is not None:
        header["typ"] = typ
    if kid is not None:
        header["kid"] = kid
    return base64url_encode(_json_bytes(header))


def _signer_alg(signer: Signer) -> str:
    alg = getattr(signer, "alg", None)
    if not isinstance(alg, str) or alg not in SUPPORTED_ALGORITHMS:
        raise UnsupportedAlgorithmError(
            f"signer algorithm {alg!r} is not supported; use one of {SUPPORTED_ALGORITHMS}"
        )
    return alg


def _header_segment(alg: str, kid: str | None, headers: Mapping[str, Any] | None) -> bytes:
    if not headers:
        return _default_header_segment(alg, kid, None)
    if set(headers) <= {"typ", "alg", "kid"} and all(isinstance(v, str) for v in headers.values()):
        if headers.get("alg", alg) != alg:
            raise SigningError(f"header alg {headers['alg']!r} contradicts the signer's {alg!r}")
        return _default_header_segment(alg, headers.get("kid", kid), headers.get("typ"))
    header: dict[str, Any] = {"alg": alg}
    if kid is not None:
        header["kid"] = kid
    for name, value in headers.items():
        if name == "alg" and value != alg:
            raise SigningError(f"header alg {value!r} contradicts the signer's {alg!r}")
        if name == "crit":
            raise SigningError("the 'crit' header is not supported")
        if value is None:
            header.pop(name, None)  # e.g. {"kid": None} leaves the kid out
        else:
            header[name] = value
    return base64url_encode(_json_bytes(header))


def _resolve_signer(signer: Signer) -> tuple[str, str | None, Callable[[bytes], bytes]]:
    if isinstance(signer, PrivateKey):  # fast path: our own key, nothing to double-check
        return signer.alg, signer.kid, signer.sign
    alg = _signer_alg(signer)
    kid = getattr(signer, "kid", None)
    if kid is not None and not isinstance(kid, str):
        raise SigningError(f"signer kid must be a string or None, not {type(kid).__name__}")
    sign = getattr(signer, "sign", None)
    if not callable(sign):
        raise SigningError(f"{type(signer).__name__} has no sign(signing_input) method")
    return alg, kid, sign


def _sign_compact(header_segment: bytes, body: bytes, alg: str, sign: Callable[[bytes], bytes]) -> str:
    signing_input = header_segment + b"." + base64url_encode(body)
    try:
        signature = sign(signing_input)
    except OpenBadgesError:
        raise
    except Exception as exc:  # an HSM/KMS callback may raise anything
        raise SigningError(f"the signer failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(signature, (bytes, bytearray)) or not signature:
        raise SigningError(f"the signer returned {type(signature).__name__}, not signature bytes")
    expected = _SIGNATURE_BYTES.get(alg)
    if expected is not None and len(signature) != expected:
        hint = " (ES256 signatures must be raw r||s, not DER)" if alg == "ES256" else ""
        raise SigningError(f"{alg} signature must be {expected} bytes, got {len(signature)}{hint}")
    return (signing_input + b"." + base64url_encode(bytes(signature))).decode("ascii")


def sign_jws(payload: bytes | Mapping[str, Any], signer: Signer, *,
             headers: Mapping[str, Any] | None = None) -> str:
    """Compact JWS of ``payload`` (bytes as-is, a mapping as compact UTF-8 JSON), signed by ``signer``.

    The protected header is ``{"alg": signer.alg}`` plus ``kid`` when the signer has one, plus
    ``headers`` (which may not change ``alg``; a ``None`` value removes a member, e.g. ``{"kid": None}``).
    A failing signer raises :class:`SigningError`.
    """
    alg, kid, sign = _resolve_signer(signer)
    if isinstance(payload, (bytes, bytearray, memoryview)):
        body = bytes(payload)
    elif isinstance(payload, Mapping):
        body = _json_bytes(payload)
    else:
        raise SigningError(f"payload must be bytes or a mapping, not {type(payload).__name__}")
    return _sign_compact(_header_segment(alg, kid, headers), body, alg, sign)


def sign_assertion(assertion: Any, signer: Signer) -> str:
    """Compact JWS (header ``{"alg": ..., "typ": "JWT"}``) of an OB 2.0 Assertion's JSON.

    ``assertion`` is an :class:`Assertion` (anything with ``to_dict()``) or a mapping. Its
    ``verification`` must be ``{"type": "SignedBadge", "creator": <key IRI>}``; otherwise
    :class:`ValidationError` is raised naming the field.
    """
    if isinstance(assertion, Mapping):
        document: Mapping[str, Any] = assertion
    elif callable(getattr(assertion, "to_dict", None)):
        document = assertion.to_dict()
    else:
        raise SigningError(f"cannot sign a {type(assertion).__name__}: expected an Assertion or a mapping")
    issues: list[ValidationIssue] = []
    verification = document.get("verification")
    if not isinstance(verification, Mapping):
        issues.append(ValidationIssue("verification", "signed_badge_required",
                                      "a signed assertion needs verification {type: SignedBadge, creator}"))
    else:
        vtype = verification.get("type")
        types = vtype if isinstance(vtype, (list, tuple)) else [vtype]
        if not any(t in ("SignedBadge", "signed") for t in types):  # "signed": the context's alias
            issues.append(ValidationIssue("verification.type", "signed_badge_required",
                                          f"verification type must be SignedBadge to sign, not {vtype!r}"))
        creator = verification.get("creator")
        if not isinstance(creator, str) or not creator:
            issues.append(ValidationIssue("verification.creator", "creator_required",
                                          "a SignedBadge needs a creator: the IRI of its CryptographicKey"))
    if issues:
        raise ValidationError("", issues)
    alg, _, sign = _resolve_signer(signer)
    # The header the reference validator's fixtures carry: {"typ": "JWT", "alg": ...}; the key is
    # found through verification.creator, so no kid.
    return _sign_compact(_default_header_segment(alg, None, "JWT"), _json_bytes(document), alg, sign)


def _ascii_token(token: object) -> bytes:
    """The token as ASCII bytes, surrounding whitespace stripped; ``SignatureError`` unless it is text."""
    if isinstance(token, (bytes, bytearray)):
        try:
            token = bytes(token).decode("ascii")
        except UnicodeDecodeError:
            raise SignatureError("malformed JWS: not ASCII") from None
    if not isinstance(token, str):
        raise SignatureError(f"malformed JWS: expected a string, not {type(token).__name__}")
    token = token.strip()
    if not token.isascii():
        raise SignatureError("malformed JWS: expected three base64url segments separated by dots")
    return token.encode("ascii")


def _b64decode(segment: str, what: str) -> bytes:
    """base64url without padding of a ``str`` segment: the base64url alphabet only, decoded strictly."""
    if not segment.isascii() or segment.encode("ascii").translate(None, _B64URL_CHARS):
        raise SignatureError(f"malformed JWS: {what} is not base64url")
    return _b64decode_ascii(segment.encode("ascii"), what)


def _b64decode_ascii(segment: bytes, what: str) -> bytes:
    """base64url without padding. The caller refused ``+``, ``/`` and ``=`` (see :class:`_Parsed`);
    validating decoding refuses every other character outside the alphabet (whitespace included).
    ``pybase64`` (SIMD) decodes several times faster than ``binascii``, and the payload and signature
    are most of a token."""
    if len(segment) % 4 == 1:
        raise SignatureError(f"malformed JWS: {what} is not base64url")
    try:
        return _b64decode_std(segment + _PADDING[len(segment) % 4], b"-_", True)  # altchars, validate
    except (ValueError, binascii.Error):
        raise SignatureError(f"malformed JWS: {what} is not base64url") from None


_JSON = msgspec.json.Decoder()
_b64decode_std = pybase64.b64decode
_PADDING = (b"", b"", b"==", b"=")
_MALFORMED = "malformed JWS: expected three base64url segments separated by dots"


class _Parsed:
    """A compact JWS decoded once: header, signing input, payload and signature bytes.

    One pass over the token's ASCII bytes: exactly two dots (found with ``bytes.find``), no ``+``, ``/``
    or ``=`` (the standard alphabet and padding are not base64url), and each segment decoded with
    validation, which refuses every other character outside the alphabet."""

    __slots__ = ("header", "payload", "signature", "signing_input")

    def __init__(self, token: object) -> None:
        raw = _ascii_token(token)
        first = raw.find(b".")
        second = raw.find(b".", first + 1) if first > 0 else -1  # first == 0: an empty header
        # (find, not `in`: bytes.__contains__ first tries the needle as an int and raises internally)
        if (second < 0 or raw.find(b".", second + 1) >= 0 or raw.find(b"+") >= 0 or raw.find(b"/") >= 0
                or raw.find(b"=") >= 0):
            raise SignatureError(_MALFORMED)
        if first > _MAX_HEADER_CHARS:
            raise SignatureError("malformed JWS: header is too large")
        try:
            header = _JSON.decode(_b64decode_ascii(raw[:first], "header"))
        except (msgspec.DecodeError, RecursionError):
            raise SignatureError("malformed JWS: header is not base64url JSON") from None
        if not isinstance(header, dict):
            raise SignatureError("malformed JWS: header is not a JSON object")
        if not isinstance(header.get("alg"), str):
            raise SignatureError("malformed JWS: header has no 'alg'")
        self.header: dict[str, Any] = header
        self.signature = _b64decode_ascii(raw[second + 1:], "signature")
        self.signing_input = raw[:second]
        self.payload = _b64decode_ascii(self.signing_input[first + 1:], "payload")


# One verification decodes the same token several times (detection, the payload, the signature check):
# a handful of recent parses, so each token is decoded once per verification (not across many of them).
_RECENT: dict[str, _Parsed] = {}
_RECENT_MAX = 8
_MEMO_MAX_CHARS = 64 * 1024


def _parse(token: object) -> _Parsed:
    if not isinstance(token, str) or len(token) > _MEMO_MAX_CHARS:
        return _Parsed(token)
    parsed = _RECENT.get(token)
    if parsed is None:
        parsed = _Parsed(token)
        if len(_RECENT) >= _RECENT_MAX:
            try:
                _RECENT.pop(next(iter(_RECENT)), None)
            except (RuntimeError, StopIteration):  # another thread changed it meanwhile: it stays small
                pass
        _RECENT[token] = parsed
    return parsed


def is_well_formed_jws(token: str) -> bool:
    """``token`` decodes as a compact JWS (base64url segments, a JSON header with ``alg``). The parse is
    remembered for a while, so the verification that follows detection does not decode the token again."""
    try:
        _parse(token)
    except SignatureError:
        return False
    return True


def decode_jws_unverified(token: str) -> tuple[dict[str, Any], bytes]:
    """(header, payload bytes) of a compact JWS **without checking the signature**; :class:`SignatureError` if malformed."""
    parsed = _parse(token)
    return dict(parsed.header), parsed.payload


def verify_jws(token: str, key: PublicKey) -> tuple[dict[str, Any], bytes]:
    """Verify a compact JWS with ``key``; returns (header, payload bytes).

    The algorithm is the key's (:attr:`PublicKey.alg`); a header naming another one — including
    ``none`` and any HMAC ``HS*`` — is rejected, as is any ``crit`` extension. Raises
    :class:`SignatureError`.
    """
    parsed = _verified(token, key)
    return dict(parsed.header), parsed.payload


def verify_jws_payload(token: str, key: PublicKey) -> bytes:
    """:func:`verify_jws`, returning only the payload bytes (no copy of the header)."""
    return _verified(token, key).payload


def _verified(token: str, key: PublicKey) -> _Parsed:
    if not isinstance(key, PublicKey):
        raise SignatureError(f"verify_jws needs a PublicKey, not {type(key).__name__}")
    parsed = _parse(token)
    header = parsed.header
    alg: str = header["alg"]
    if alg != key.alg:
        if alg.lower() == "none":
            raise SignatureError("unsigned JWS (alg 'none') is refused")
        if alg.upper().startswith("HS"):
            raise SignatureError(f"HMAC JWS (alg {alg!r}) is refused: only public-key signatures are accepted")
        raise SignatureError(f"JWS alg {alg!r} does not match the key's algorithm {key.alg}")
    if "crit" in header:
        raise SignatureError("JWS header has 'crit' extensions we do not understand")
    key.verify(parsed.signing_input, parsed.signature)
    return parsed
