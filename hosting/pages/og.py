"""The ``og:image`` of a badge: a 1200×630 PNG card with the badge image in its middle, rendered with Pillow
from the stored badge image (PNG, or SVG rasterised with resvg, which reads no files and no network here).

Rendering is CPU work (tens of milliseconds): callers run :func:`og_png` in a worker thread, and results are kept
in a small in-process LRU keyed by the source image's ETag, so a popular badge is rendered once per process and
nothing is written to the database in a GET.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from PIL import Image

__all__ = ["OG_HEIGHT", "OG_WIDTH", "clear_cache", "og_png"]

OG_WIDTH, OG_HEIGHT = 1200, 630  # the size Open Graph consumers recommend (1.91:1); ≥ 600 px on its long side
_ART = 540  # the badge image's box inside the card
_BACKGROUND = (246, 247, 249, 255)
_CACHE_ENTRIES = 128
_MAX_SOURCE_PIXELS = 40_000_000  # a decompression bomb is refused (Pillow's own guard warns only past 89M)

_cache: OrderedDict[str, bytes] = OrderedDict()
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def og_png(image: bytes, content_type: str, etag: str) -> bytes:
    """The card for the badge image ``image`` (``content_type`` ``image/png`` or ``image/svg+xml``); an image
    that cannot be drawn safely gives a plain card rather than an error. Cached by ``etag``."""
    with _lock:
        hit = _cache.get(etag)
        if hit is not None:
            _cache.move_to_end(etag)
            return hit
    data = _card(_artwork(image, content_type))
    with _lock:
        _cache[etag] = data
        while len(_cache) > _CACHE_ENTRIES:
            _cache.popitem(last=False)
    return data


def _artwork(image: bytes, content_type: str) -> Image.Image | None:
    try:
        if content_type.startswith("image/svg"):
            return _svg(image)
        with Image.open(io.BytesIO(image)) as src:
            if src.width * src.height > _MAX_SOURCE_PIXELS:
                return None
            src.load()
            return src.convert("RGBA")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def _svg(data: bytes) -> Image.Image | None:
    """An SVG rasterised at the art size, or None when it is unsafe or references anything outside itself."""
    if not _self_contained(data):
        return None
    import resvg_py

    png = resvg_py.svg_to_bytes(svg_string=data.decode("utf-8"), width=_ART, height=_ART)
    with Image.open(io.BytesIO(bytes(png))) as out:
        out.load()
        return out.convert("RGBA")


def _self_contained(data: bytes) -> bool:
    """Parsed with defusedxml (no DTD, no entities): every ``href`` is a fragment (``#id``) or a ``data:`` URI,
    so the renderer never opens a file of this server."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SyntaxError, ValueError):
        return False
    for element in root.iter():
        for name, value in element.attrib.items():
            if name == "href" or name.endswith("}href"):
                ref = value.strip().lower()
                if not ref.startswith(("#", "data:")):
                    return False
    return True


def _card(art: Image.Image | None) -> bytes:
    card = Image.new("RGBA", (OG_WIDTH, OG_HEIGHT), _BACKGROUND)
    if art is not None:
        art.thumbnail((_ART, _ART), Image.Resampling.LANCZOS)
        if art.width < _ART and art.height < _ART:  # small artwork is scaled up to fill the box
            scale = _ART / max(art.width, art.height)
            art = art.resize((max(1, round(art.width * scale)), max(1, round(art.height * scale))),
                             Image.Resampling.LANCZOS)
        card.alpha_composite(art, ((OG_WIDTH - art.width) // 2, (OG_HEIGHT - art.height) // 2))
    out = io.BytesIO()
    card.convert("RGB").save(out, format="PNG", optimize=False)
    return out.getvalue()
