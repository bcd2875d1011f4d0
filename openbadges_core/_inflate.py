"""Inflating untrusted zlib/GZIP data with a cap: a decompression bomb stops at the limit instead of filling
memory (baked PNG text chunks, status-list bitstrings)."""

from __future__ import annotations

import zlib

__all__ = ["GZIP", "ZLIB", "inflate_at_most"]

ZLIB = zlib.MAX_WBITS
GZIP = 16 + zlib.MAX_WBITS


def inflate_at_most(data: bytes, limit: int, *, what: str, wbits: int = ZLIB,
                    corrupt: type[Exception] = ValueError, too_large: type[Exception] = ValueError) -> bytes:
    """``data`` inflated, at most ``limit`` bytes of it. ``what`` names the data in the messages; raises ``corrupt``
    for data that does not inflate or is truncated, ``too_large`` for data that inflates beyond ``limit``."""
    inflater = zlib.decompressobj(wbits=wbits)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise corrupt(f"{what} does not inflate ({exc})") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise too_large(f"{what} inflates to more than {limit} bytes")
    if not inflater.eof:
        raise corrupt(f"{what} is truncated")
    return out
