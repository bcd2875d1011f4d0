"""Multibase base58btc (``z…``) and Ed25519 multikey encoding — encodings, not cryptography."""

from __future__ import annotations

from openbadges_core._errors import SignatureError

__all__ = [
    "b58decode",
    "b58encode",
    "ed25519_from_multikey",
    "ed25519_multikey",
    "multibase_decode",
    "multibase_encode",
]

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
_ED25519_PUB = b"\xed\x01"  # multicodec varint of ed25519-pub (0xed)
_MAX_INPUT = 4096


def b58encode(data: bytes) -> str:
    """Bitcoin base58 of ``data`` (leading zero bytes become ``1``)."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data, "big")
    out = []
    while num:
        num, rem = divmod(num, 58)
        out.append(_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Inverse of :func:`b58encode`; raises :class:`SignatureError` on a character outside the alphabet."""
    if len(text) > _MAX_INPUT:
        raise SignatureError("base58 value is too long")
    num = 0
    for char in text:
        digit = _INDEX.get(char)
        if digit is None:
            raise SignatureError(f"invalid base58btc character {char!r}")
        num = num * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    """Multibase base58btc: ``"z" + base58(data)``."""
    return "z" + b58encode(data)


def multibase_decode(value: str) -> bytes:
    """Decode a base58btc multibase string; any other base is refused."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise SignatureError("expected a multibase base58btc value (starting with 'z')")
    return b58decode(value[1:])


def ed25519_multikey(public_key: bytes) -> str:
    """``z6Mk…`` multikey of a raw 32-byte Ed25519 public key."""
    if len(public_key) != 32:
        raise SignatureError("an Ed25519 public key is 32 bytes")
    return multibase_encode(_ED25519_PUB + public_key)


def ed25519_from_multikey(value: str) -> bytes:
    """Raw 32-byte Ed25519 public key from a ``z6Mk…`` multikey."""
    raw = multibase_decode(value)
    if len(raw) != 34 or not raw.startswith(_ED25519_PUB):
        raise SignatureError(f"{value[:16]!r}… is not an Ed25519 multikey")
    return raw[2:]
