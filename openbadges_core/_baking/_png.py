"""Baking into PNG at chunk level (Open Badges Baking 1.0 / OB 3.0): pixels are never decoded.

Baking writes one uncompressed ``iTXt`` chunk right after ``IHDR`` and drops any earlier
``openbadges``/``openbadgecredential`` text chunk; every other chunk is copied byte for byte, and the
output is assembled with one ``b"".join`` over slices of the input, so the pixel data is copied once.

Unbaking walks every chunk header to ``IEND`` (so truncation and impossible lengths are caught),
checks the CRC of ``IHDR`` and of the badge chunks it reads, and inflates compressed text with a
bounded output size.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping
from struct import Struct, pack, unpack_from
from struct import error as struct_error
from typing import Any

from openbadges_core._baking._limits import DEFAULT_LIMITS, BakingLimits, read_image
from openbadges_core._baking._payload import (
    KEYWORD_VERSIONS,
    BakedPayload,
    Version,
    classify_kind,
    prepare_payload,
)
from openbadges_core._errors import (
    AmbiguousPayloadError,
    CorruptImageError,
    NoBadgePayloadError,
    NotAnImageError,
    PayloadTooLargeError,
)
from openbadges_core._inflate import inflate_at_most

__all__ = ["PNG_SIGNATURE", "bake_png", "is_png", "unbake_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IHDR_END = 8 + 12 + 13  # signature + IHDR chunk
_CHUNK_HEADER = Struct(">I4s")
_MAX_CHUNK_LENGTH = 0x7FFFFFFF  # PNG: lengths are at most 2**31 - 1
_TEXT_TYPES = frozenset({b"iTXt", b"tEXt", b"zTXt"})
_BADGE_KEYWORDS = frozenset(k.encode() for k in KEYWORD_VERSIONS)
_MAX_KEYWORD = 79
_KEYWORD_NAMES = {version: keyword for keyword, version in KEYWORD_VERSIONS.items()}

# A badge chunk found while scanning: (chunk type, keyword, chunk start, chunk end).
_Found = tuple[bytes, bytes, int, int]


def is_png(data: bytes) -> bool:
    return data[:8] == PNG_SIGNATURE


def bake_png(image: bytes, payload: str | bytes | Mapping[str, Any], *, keyword: str | None = None,
             limits: BakingLimits | None = None) -> bytes:
    """Bake ``payload`` into a PNG: one uncompressed ``iTXt`` chunk right after ``IHDR``.

    The keyword (``openbadges`` for OB 2.0, ``openbadgecredential`` for OB 3.0) is chosen from the
    payload unless ``keyword`` forces it. Any existing badge chunk (``iTXt``/``tEXt``/``zTXt``, either
    keyword) is replaced; all other chunks are kept byte for byte.
    """
    limits = limits or DEFAULT_LIMITS
    data = bytes(image)
    limits.check_image_size(len(data))
    prepared = prepare_payload(payload, keyword, limits)
    found, _ = _scan(data)

    chunk = _itxt_chunk(prepared.keyword.encode("latin-1"), prepared.data)
    view = memoryview(data)
    pieces: list[bytes | memoryview] = [view[:_IHDR_END], chunk]
    cursor = _IHDR_END
    for _, _, start, end in found:
        pieces.append(view[cursor:start])
        cursor = end
    pieces.append(view[cursor:])
    return b"".join(pieces)


def unbake_png(image: bytes | str | os.PathLike[str], *, limits: BakingLimits | None = None) -> BakedPayload:
    """The badge payload of a PNG: ``iTXt`` (plain or compressed) preferred over ``zTXt``/``tEXt``.

    Raises :class:`NoBadgePayloadError` when there is none, :class:`AmbiguousPayloadError` when two
    different payloads of the same version are baked, :class:`CorruptImageError` for a malformed PNG.
    """
    limits = limits or DEFAULT_LIMITS
    data = read_image(image, limits)
    found, _ = _scan(data)
    if not found:
        raise NoBadgePayloadError("the PNG carries no openbadges/openbadgecredential chunk")

    if len(found) == 1:  # the common case: one badge chunk
        ctype, kw, start, end = found[0]
        return _result(_read_badge_chunk(data, ctype, start, end, limits), KEYWORD_VERSIONS[kw.decode()])

    # version -> preferred (iTXt) and legacy (tEXt/zTXt) payload texts
    texts: dict[Version, tuple[set[str], set[str]]] = {}
    for ctype, kw, start, end in found:
        text = _read_badge_chunk(data, ctype, start, end, limits)
        version = KEYWORD_VERSIONS[kw.decode("latin-1")]
        preferred, legacy = texts.setdefault(version, (set(), set()))
        (preferred if ctype == b"iTXt" else legacy).add(text)

    version = "3.0" if "3.0" in texts else "2.0"
    preferred, legacy = texts[version]
    candidates = preferred or legacy
    if len(candidates) > 1:
        raise AmbiguousPayloadError(
            f"the PNG carries {len(candidates)} different {_KEYWORD_NAMES[version]} payloads")
    (text,) = candidates
    return _result(text, version)


def _result(text: str, version: Version) -> BakedPayload:
    if not text:
        raise NoBadgePayloadError("the PNG's badge chunk is empty")
    kind = classify_kind(text)
    if kind is None:
        raise CorruptImageError("the PNG's badge chunk holds neither JSON, a URL nor a JWS/JWT")
    return BakedPayload(text, "png", version, kind)


def _itxt_chunk(keyword: bytes, text: bytes) -> bytes:
    # keyword, NUL, compression flag 0, method 0, empty language tag + NUL, empty translated keyword + NUL
    body = b"".join((keyword, b"\x00\x00\x00\x00\x00", text))
    crc = zlib.crc32(body, zlib.crc32(b"iTXt"))
    return b"".join((pack(">I", len(body)), b"iTXt", body, pack(">I", crc)))


def _scan(data: bytes) -> tuple[list[_Found], int]:
    """Walk the chunk headers from IHDR to IEND; return the badge text chunks and where IEND ends."""
    if data[:8] != PNG_SIGNATURE:
        raise NotAnImageError("not a PNG: the signature is missing")
    size = len(data)
    if size < _IHDR_END:
        raise CorruptImageError("truncated PNG: no complete IHDR chunk")
    length, ctype = unpack_from(">I4s", data, 8)
    if ctype != b"IHDR" or length != 13:
        raise CorruptImageError("malformed PNG: the first chunk is not a 13-byte IHDR")
    _check_crc(data, 8, _IHDR_END, ctype)

    if size > _MAX_CHUNK_LENGTH:  # so below, a length over the PNG maximum always overruns the file
        raise PayloadTooLargeError("PNG over 2 GiB refused")

    found: list[_Found] = []
    pos = _IHDR_END
    header = _CHUNK_HEADER.unpack_from  # hot loop, one pass per chunk: keep it minimal
    try:
        while True:
            length, ctype = header(data, pos)
            end = pos + 12 + length
            if end > size:
                raise CorruptImageError(
                    f"truncated or malformed PNG: chunk {ctype!r} at byte {pos} declares {length} bytes "
                    f"but only {size - pos - 12} remain")
            if ctype == b"IDAT":
                pos = end
                continue
            if ctype in _TEXT_TYPES:
                nul = data.find(b"\x00", pos + 8, min(pos + 9 + _MAX_KEYWORD, end - 4))
                if nul > 0:
                    keyword = data[pos + 8:nul]
                    if keyword in _BADGE_KEYWORDS:
                        found.append((ctype, keyword, pos, end))
            elif ctype == b"IEND":
                return found, end
            elif not ctype.isalpha():
                raise CorruptImageError(f"malformed PNG: invalid chunk type {ctype!r} at byte {pos}")
            pos = end
    except struct_error:  # fewer than 8 bytes left for a chunk header
        raise CorruptImageError(f"truncated PNG: the file ends at byte {size} before IEND") from None


def _check_crc(data: bytes, start: int, end: int, ctype: bytes) -> None:
    (stored,) = unpack_from(">I", data, end - 4)
    if zlib.crc32(memoryview(data)[start + 4:end - 4]) != stored:
        raise CorruptImageError(f"corrupt PNG: CRC mismatch in the {ctype.decode('latin-1')} chunk at byte {start}")


def _read_badge_chunk(data: bytes, ctype: bytes, start: int, end: int, limits: BakingLimits) -> str:
    """The stripped text of one badge chunk (CRC checked, compressed text inflated within the limit)."""
    _check_crc(data, start, end, ctype)
    body = data[start + 8:end - 4]
    nul = body.index(b"\x00")
    if ctype == b"tEXt":
        raw = body[nul + 1:]
        limits.check_payload_size(len(raw))
        return _decode_latin(raw)
    if ctype == b"zTXt":
        if body[nul + 1:nul + 2] != b"\x00":
            raise CorruptImageError("corrupt PNG: zTXt with an unknown compression method")
        return _decode_latin(_inflate(body[nul + 2:], limits.max_payload_bytes))
    # iTXt: keyword NUL flag method language NUL translated-keyword NUL text
    if len(body) < nul + 3:
        raise CorruptImageError("corrupt PNG: iTXt chunk cut short")
    flag, method = body[nul + 1], body[nul + 2]
    lang_end = body.find(b"\x00", nul + 3)
    trans_end = body.find(b"\x00", lang_end + 1) if lang_end >= 0 else -1
    if trans_end < 0:
        raise CorruptImageError("corrupt PNG: iTXt chunk without language tag / translated keyword")
    raw = body[trans_end + 1:]
    if flag == 1:
        if method != 0:
            raise CorruptImageError("corrupt PNG: iTXt with an unknown compression method")
        raw = _inflate(raw, limits.max_payload_bytes)
    elif flag != 0:
        raise CorruptImageError("corrupt PNG: iTXt with an invalid compression flag")
    limits.check_payload_size(len(raw))
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CorruptImageError("corrupt PNG: the iTXt badge text is not UTF-8") from None


def _decode_latin(raw: bytes) -> str:
    # tEXt/zTXt are Latin-1 by the PNG spec; bakers in the wild write UTF-8, which we try first.
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return raw.decode("latin-1").strip()


def _inflate(compressed: bytes, limit: int) -> bytes:
    return inflate_at_most(compressed, limit, what="the PNG's compressed badge text", corrupt=CorruptImageError,
                           too_large=PayloadTooLargeError)
