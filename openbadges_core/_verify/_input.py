"""What was handed to the verifier: a URL, JSON, a compact JWS or a baked image (bytes or a path).

A ``str`` is only ever text (URL, JSON, JWS): files are read only from an explicit ``os.PathLike``, so a
service passing user-pasted text can neither leak local files nor reveal whether a path exists. Files
must be regular files (not ``/dev/zero`` or a FIFO) and every read is capped at ``MAX_INPUT_BYTES``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, NamedTuple

from openbadges_core._errors import ParseError, VerificationError
from openbadges_core._files import NotARegularFileError, read_capped
from openbadges_core._json import check_depth, loads
from openbadges_core._jws import compact_segments, is_well_formed_jws

__all__ = ["MAX_INPUT_BYTES", "DetectedInput", "detect_input"]

MAX_INPUT_BYTES = 16 * 1024 * 1024
InputKind = Literal["url", "json", "jws", "image"]

_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class DetectedInput(NamedTuple):
    """``kind`` with its value: a URL/JWS string, a JSON mapping, or image bytes."""

    kind: InputKind
    value: Any
    image_format: str | None = None


def _looks_like_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"<svg" in data[:65536]


def _from_text(text: str) -> DetectedInput | None:
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        raise VerificationError("empty input: nothing to verify")
    if stripped.startswith("{"):
        try:
            data = loads(stripped)
        except ParseError as exc:
            raise VerificationError(f"input looks like JSON but cannot be read: {exc.message}",
                                    code="json_too_deep" if exc.code == "json_too_deep" else None) from None
        if not isinstance(data, dict):
            raise VerificationError("JSON input must be an object (an assertion)")
        return DetectedInput("json", data)
    if is_well_formed_jws(stripped) or compact_segments(stripped) is not None:
        return DetectedInput("jws", stripped)
    if _URL.fullmatch(stripped):
        return DetectedInput("url", stripped)
    return None


def _from_bytes(data: bytes) -> DetectedInput:
    if len(data) > MAX_INPUT_BYTES:
        raise VerificationError(f"input is larger than {MAX_INPUT_BYTES} bytes")
    if data.startswith(_PNG_MAGIC):
        return DetectedInput("image", data, "png")
    if _looks_like_svg(data):
        return DetectedInput("image", data, "svg")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise VerificationError("input is neither a PNG/SVG image nor UTF-8 text") from None
    found = _from_text(text)
    if found is None:
        raise VerificationError("input is not an assertion URL, JSON, a compact JWS or a baked image")
    return found


def _read_path(path: Path) -> bytes:
    try:
        data = read_capped(path, MAX_INPUT_BYTES)
    except NotARegularFileError:
        raise VerificationError(f"{path} is not a regular file; only files are verified") from None
    except OSError as exc:
        raise VerificationError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise VerificationError(f"{path} is larger than {MAX_INPUT_BYTES} bytes")
    return data


def detect_input(value: object) -> DetectedInput:
    """Classify what the caller passed; raises :class:`VerificationError` when it is none of the kinds.

    A ``str`` is a URL, JSON or a compact JWS, never a file name: pass a :class:`pathlib.Path` to read a file.
    """
    if type(value) is str and (found := _from_text(value)) is not None:  # common case first: ABC checks are slow
        return found
    if isinstance(value, Mapping):
        try:
            check_depth(value)
        except ParseError as exc:
            raise VerificationError(exc.message, code=exc.code) from None
        return DetectedInput("json", dict(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(value))
    if isinstance(value, os.PathLike):
        return _from_bytes(_read_path(Path(value)))
    if isinstance(value, str):
        if len(value) > MAX_INPUT_BYTES:
            raise VerificationError(f"input is larger than {MAX_INPUT_BYTES} characters")
        found = _from_text(value)
        if found is not None:
            return found
        raise VerificationError("a str input must be an assertion URL, JSON or a compact JWS (to verify a "
                                "file, pass a pathlib.Path)")
    raise VerificationError(f"cannot verify a {type(value).__name__}; pass a URL, JSON, a JWS, image bytes or a path")
