"""Recipient identity: salted hashing and constant-time matching (OB 2.0 ``IdentityObject``).

``identity = "sha256$" + hex(sha256(plaintext + salt))``; e-mail addresses are trimmed and lower-cased
before hashing and before comparing, so ``" Alice@Example.org"`` matches a hash of ``alice@example.org``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openbadges_core._ob2._nodes import IdentityObject

__all__ = ["hash_identity", "identity_matches", "normalize_identity"]

_ALGORITHMS = {"sha256": 64, "md5": 32}
IDENTITY_TYPES = ("email", "url", "telephone", "id")


def normalize_identity(identity: str, type: str = "email") -> str:
    """The form of ``identity`` that is hashed and compared: e-mails trimmed and lower-cased."""
    if type == "email":
        return identity.strip().lower()
    return identity.strip()


def _digest(algorithm: str, text: str) -> str:
    if algorithm == "sha256":
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    if algorithm == "md5":
        return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()
    raise ValueError(f"unsupported identity hash algorithm {algorithm!r} (use 'sha256' or 'md5')")


def hash_identity(
    identity: str,
    *,
    type: str = "email",
    salt: str | None = None,
    algorithm: str = "sha256",
) -> IdentityObject:
    """A hashed :class:`IdentityObject` for ``identity``, salted with a random salt unless one is given.

    >>> hash_identity("nobody@example.org", salt="deadsea").identity[:13]
    'sha256$ecf540'
    """
    from openbadges_core._ob2._nodes import IdentityObject

    if type not in IDENTITY_TYPES:
        raise ValueError(f"unsupported identity type {type!r} (use one of {', '.join(IDENTITY_TYPES)})")
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"unsupported identity hash algorithm {algorithm!r} (use 'sha256' or 'md5')")
    if not normalize_identity(identity, type):
        raise ValueError("identity must not be empty")
    if salt is None:
        salt = secrets.token_hex(16)
    digest = _digest(algorithm, normalize_identity(identity, type) + salt)
    return IdentityObject(type=type, identity=f"{algorithm}${digest}", hashed=True, salt=salt)


def identity_matches(identity: IdentityObject | Mapping[str, Any], plaintext: str) -> bool:
    """Whether ``identity`` (hashed with sha256/md5, or plain) names ``plaintext``; constant-time compare.

    A malformed identity object never raises: it simply does not match.
    """
    if isinstance(identity, Mapping):
        kind, value = identity.get("type", "email"), identity.get("identity")
        hashed, salt = identity.get("hashed", False), identity.get("salt")
    else:
        kind, value, hashed, salt = identity.type, identity.identity, identity.hashed, identity.salt
    if not isinstance(value, str) or not isinstance(kind, str) or not isinstance(plaintext, str):
        return False
    candidate = normalize_identity(plaintext, kind)
    if hashed is not True:
        expected = normalize_identity(value, kind)
        return hmac.compare_digest(expected.encode("utf-8"), candidate.encode("utf-8"))
    algorithm, sep, hexdigest = value.partition("$")
    algorithm = algorithm.lower()
    if not sep or algorithm not in _ALGORITHMS or len(hexdigest) != _ALGORITHMS[algorithm]:
        return False
    if salt is not None and not isinstance(salt, str):
        return False
    computed = _digest(algorithm, candidate + (salt or ""))
    return hmac.compare_digest(computed.encode("ascii"), hexdigest.lower().encode("ascii", "replace"))
