"""What was handed to the verifier: a URL, JSON, a compact JWS or a baked image (bytes or a path)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from openbadges_core._errors import VerificationError
from openbadges_core._jws import compact_segments

__all__ = ["MAX_INPUT_BYTES", "DetectedInput", "detect_input"]

MAX_INPUT_BYTES = 16 * 1024 * 1024
InputKind = Literal["url", "json", "jws", "image"]

_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class DetectedInput:
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
            data = json.loads(stripped)
        except ValueError as exc:
            raise VerificationError(f"input looks like JSON but does not parse: {exc}") from None
        if not isinstance(data, dict):
            raise VerificationError("JSON input must be an object (an assertion)")
        return DetectedInput("json", data)
    if compact_segments(stripped) is not None:
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
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise VerificationError(f"{path} is larger than {MAX_INPUT_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise VerificationError(f"cannot read {path}: {exc.strerror or exc}") from None


def detect_input(value: object) -> DetectedInput:
    """Classify what the caller passed; raises :class:`VerificationError` when it is none of the kinds."""
    if type(value) is str and (found := _from_text(value)) is not None:  # common case first: ABC checks are slow
        return found
    if isinstance(value, Mapping):
        return DetectedInput("json", dict(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(value))
    if isinstance(value, os.PathLike):
        return _from_bytes(_read_path(Path(value)))
    if isinstance(value, str):
        found = _from_text(value)
        if found is not None:
            return found
        stripped = value.strip()
        if len(stripped) < 4096 and "\n" not in stripped:
            path = Path(stripped)
            try:
                is_file = path.is_file()
            except (OSError, ValueError):
                is_file = False
            if is_file:
                return _from_bytes(_read_path(path))
            raise VerificationError(f"not a URL, JSON, compact JWS or an existing file: {stripped[:200]!r}")
        raise VerificationError("input is not an assertion URL, JSON, a compact JWS or a path")
    raise VerificationError(f"cannot verify a {type(value).__name__}; pass a URL, JSON, a JWS, image bytes or a path")
