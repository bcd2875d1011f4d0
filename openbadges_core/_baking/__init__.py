"""Baking Open Badges payloads into PNG and SVG images, and taking them out again.

``bake``/``unbake`` detect the image format; ``bake_png``/``unbake_png`` and ``bake_svg``/``unbake_svg``
work on one format. All of them enforce :class:`BakingLimits` and raise :class:`BakingError` subclasses.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from openbadges_core._baking._limits import DEFAULT_LIMITS, BakingLimits, read_image
from openbadges_core._baking._payload import BakedPayload
from openbadges_core._baking._png import bake_png, is_png, unbake_png
from openbadges_core._baking._svg import bake_svg, looks_like_svg, unbake_svg
from openbadges_core._errors import NotAnImageError

__all__ = ["BakedPayload", "BakingLimits", "bake", "bake_png", "bake_svg", "unbake", "unbake_png", "unbake_svg"]


def bake(image: bytes, payload: str | bytes | Mapping[str, Any], *, keyword: str | None = None,
         limits: BakingLimits | None = None) -> bytes:
    """Bake ``payload`` (assertion/credential JSON, hosted URL or compact JWS/JWT) into a PNG or SVG.

    The OB version (PNG keyword ``openbadges``/``openbadgecredential``, SVG namespace) is detected
    from the payload; ``keyword`` forces it. Returns the baked image bytes.
    """
    data = bytes(image)
    if is_png(data):
        return bake_png(data, payload, keyword=keyword, limits=limits)
    if looks_like_svg(data):
        return bake_svg(data, payload, keyword=keyword, limits=limits)
    raise NotAnImageError("the image is neither a PNG nor an SVG")


def unbake(image: bytes | str | os.PathLike[str], *, limits: BakingLimits | None = None) -> BakedPayload:
    """Take the badge payload out of a PNG or SVG given as bytes or a file path."""
    limits = limits or DEFAULT_LIMITS
    data = read_image(image, limits)
    if is_png(data):
        return unbake_png(data, limits=limits)
    if looks_like_svg(data):
        return unbake_svg(data, limits=limits)
    raise NotAnImageError("the image is neither a PNG nor an SVG")
