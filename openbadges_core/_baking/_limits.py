"""Size and nesting limits applied to every image we bake or unbake, and reading an image safely."""

from __future__ import annotations

import os
from dataclasses import dataclass

from openbadges_core._errors import PayloadTooLargeError
from openbadges_core._files import read_capped

__all__ = ["DEFAULT_LIMITS", "BakingLimits", "read_image"]

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class BakingLimits:
    """Bounds that keep hostile images cheap to refuse.

    ``max_image_bytes`` caps the image (PNG or SVG) read or baked, ``max_payload_bytes`` the baked
    payload (also after inflating a compressed chunk), ``max_svg_depth`` the XML element nesting.
    Breaking one raises :class:`~openbadges_core.PayloadTooLargeError` (size) or
    :class:`~openbadges_core.UnsafeSvgError` (depth).
    """

    max_image_bytes: int = 16 * MiB
    max_payload_bytes: int = 1 * MiB
    max_svg_depth: int = 256

    def __post_init__(self) -> None:
        for name in ("max_image_bytes", "max_payload_bytes", "max_svg_depth"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"BakingLimits.{name} must be a positive int, got {value!r}")

    def check_image_size(self, size: int) -> None:
        if size > self.max_image_bytes:
            raise PayloadTooLargeError(
                f"image is {size} bytes, over the limit of {self.max_image_bytes} bytes")

    def check_payload_size(self, size: int) -> None:
        if size > self.max_payload_bytes:
            raise PayloadTooLargeError(
                f"badge payload is {size} bytes or more, over the limit of {self.max_payload_bytes} bytes")


DEFAULT_LIMITS = BakingLimits()


def read_image(image: bytes | bytearray | memoryview | str | os.PathLike[str],
               limits: BakingLimits) -> bytes:
    """The image bytes: given directly, or read from a path (``str`` or path-like) within the size limit."""
    if isinstance(image, bytes):
        data = image
    elif isinstance(image, (bytearray, memoryview)):
        data = bytes(image)
    elif isinstance(image, (str, os.PathLike)):
        data = read_capped(image, limits.max_image_bytes)  # regular files only (not /dev/zero, FIFOs)
    else:
        raise TypeError(f"image must be bytes or a path, not {type(image).__name__}")
    limits.check_image_size(len(data))
    return data
