"""W3C Bitstring Status List v1.0: the bitstring, its ``encodedList`` form, list credentials and entries.

Bit ``i`` is bit ``7 - i % 8`` of byte ``i // 8`` (index 0 is the left-most bit of the first byte). The
``encodedList`` is the GZIP-compressed bitstring in multibase base64url without padding (prefix ``u``).
Decoding is capped: an ``encodedList`` that inflates past :data:`MAX_LIST_BYTES` is refused before it is
expanded (a gzip bomb costs nothing). Issuers should use at least :data:`MIN_LIST_SIZE` entries (16 KiB):
that is what gives every credential herd privacy.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from openbadges_core._errors import StatusListError
from openbadges_core._inflate import GZIP, inflate_at_most
from openbadges_core._ob3._contexts import VC2_CONTEXT
from openbadges_core._times import utc_datetime

__all__ = [
    "MAX_LIST_BYTES",
    "MIN_LIST_SIZE",
    "STATUS_PURPOSES",
    "BitstringStatusList",
    "status_list_credential",
    "status_list_entry",
]

MIN_LIST_SIZE = 131_072
MAX_LIST_BYTES = 16 * 1024 * 1024  # 134 million entries: far beyond any real list, small enough for memory
STATUS_PURPOSES = ("revocation", "suspension", "refresh", "message")


class BitstringStatusList:
    """A mutable bitstring of ``size`` one-bit statuses (``size`` a multiple of 8)."""

    __slots__ = ("_bits",)

    def __init__(self, size: int = MIN_LIST_SIZE) -> None:
        if not isinstance(size, int) or size <= 0 or size % 8:
            raise StatusListError(f"a status list size must be a positive multiple of 8, not {size!r}")
        if size // 8 > MAX_LIST_BYTES:
            raise StatusListError(f"a status list of {size} entries is larger than {MAX_LIST_BYTES} bytes")
        self._bits = bytearray(size // 8)

    @property
    def size(self) -> int:
        """The number of entries."""
        return len(self._bits) * 8

    def _check(self, index: int) -> None:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < self.size:
            raise StatusListError(f"status index {index!r} is outside the list (0..{self.size - 1})")

    def get(self, index: int) -> bool:
        """Whether the bit at ``index`` is set (revoked, suspended ... depending on the list's purpose)."""
        self._check(index)
        return bool(self._bits[index >> 3] & (0x80 >> (index & 7)))

    def set(self, index: int, value: bool = True) -> None:
        """Set (or clear) the bit at ``index``."""
        self._check(index)
        if value:
            self._bits[index >> 3] |= 0x80 >> (index & 7)
        else:
            self._bits[index >> 3] &= ~(0x80 >> (index & 7)) & 0xFF

    def set_many(self, indexes: Iterable[int]) -> None:
        """Set every bit in ``indexes``."""
        for index in indexes:
            self.set(index, True)

    def allocate(self, taken: Iterable[int] | None = None) -> int:
        """A uniformly random index not in ``taken`` (the caller keeps track of the indexes it handed out)."""
        used = set(taken or ())
        if len(used) >= self.size:
            raise StatusListError("every index of the status list is taken")
        while True:
            index = secrets.randbelow(self.size)
            if index not in used:
                return index

    def encode(self) -> str:
        """The ``encodedList`` value: ``u`` + base64url(gzip(bitstring)), no padding."""
        packed = gzip.compress(bytes(self._bits), compresslevel=9, mtime=0)
        return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded: str, *, max_bytes: int = MAX_LIST_BYTES) -> BitstringStatusList:
        """Parse an ``encodedList`` (multibase base64url ``u…``; a bare base64url string, as VC 1.1-era
        lists wrote it, is read too). Raises :class:`StatusListError` for anything malformed or oversized."""
        if not isinstance(encoded, str) or not encoded:
            raise StatusListError("encodedList must be a non-empty string")
        text = encoded[1:] if encoded[0] == "u" else encoded
        if len(text) > 4 * max_bytes:  # compressed can't be larger than a few bytes per output byte anyway
            raise StatusListError("encodedList is too long")
        try:
            packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError) as exc:
            raise StatusListError(f"encodedList is not base64url: {exc}") from None
        raw = inflate_at_most(packed, max_bytes, what="encodedList (GZIP data)", wbits=GZIP,
                              corrupt=StatusListError, too_large=StatusListError)
        if not raw:
            raise StatusListError("encodedList is empty")
        bits = cls.__new__(cls)
        bits._bits = bytearray(raw)
        return bits


def _iso(moment: datetime | str | None) -> str | None:
    if moment is None or isinstance(moment, str):
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return utc_datetime(moment)


def status_list_credential(
    list_url: str,
    issuer: str | Mapping[str, Any],
    bits: BitstringStatusList,
    *,
    purpose: str = "revocation",
    valid_from: datetime | str | None = None,
    valid_until: datetime | str | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """An unsigned ``BitstringStatusListCredential`` (VC 2.0) publishing ``bits`` at ``list_url``.

    Sign it (``sign_data_integrity`` or ``sign_vc_jwt``) before serving it; ``ttl_ms`` tells verifiers
    how long they may cache it.
    """
    if purpose not in STATUS_PURPOSES:
        raise StatusListError(f"status purpose must be one of {', '.join(STATUS_PURPOSES)}, not {purpose!r}")
    if bits.size < MIN_LIST_SIZE:
        raise StatusListError(f"a published status list needs at least {MIN_LIST_SIZE} entries (herd privacy)")
    subject: dict[str, Any] = {"id": f"{list_url}#list", "type": "BitstringStatusList",
                               "statusPurpose": purpose, "encodedList": bits.encode()}
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    credential: dict[str, Any] = {
        "@context": [VC2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": dict(issuer) if isinstance(issuer, Mapping) else issuer,
        "validFrom": _iso(valid_from or datetime.now(UTC)),
        "credentialSubject": subject,
    }
    if valid_until is not None:
        credential["validUntil"] = _iso(valid_until)
    return credential


def status_list_entry(list_url: str, index: int, *, purpose: str = "revocation") -> dict[str, Any]:
    """The ``credentialStatus`` of a credential at ``index`` of the list published at ``list_url``."""
    if purpose not in STATUS_PURPOSES:
        raise StatusListError(f"status purpose must be one of {', '.join(STATUS_PURPOSES)}, not {purpose!r}")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise StatusListError(f"status index must be a non-negative integer, not {index!r}")
    return {"id": f"{list_url}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": purpose,
            "statusListIndex": str(index), "statusListCredential": list_url}
