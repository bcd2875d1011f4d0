"""The og:image card: a PNG of 1200×630 from a PNG or SVG badge image, safe with hostile images, cached."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from hosting.app.demo import DEMO_SVG, demo_png
from hosting.pages import og

BACKGROUND = (246, 247, 249)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    og.clear_cache()


def _card(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG" and img.size == (og.OG_WIDTH, og.OG_HEIGHT)
    return img.convert("RGB")


def _is_blank(img: Image.Image) -> bool:
    return img.getcolors(maxcolors=4) == [(og.OG_WIDTH * og.OG_HEIGHT, BACKGROUND)]


def test_png_badge_is_drawn_large_in_the_middle() -> None:
    img = _card(og.og_png(demo_png(size=90), "image/png", '"small"'))
    # A 90 px badge is scaled up (×6) to the 540 px art box: its blue fill is 100 px left of, 100 px above the
    # centre (at 90 px: 17 px left of and above its own centre, outside its white diamond).
    r, g, b = img.getpixel((og.OG_WIDTH // 2 - 100, og.OG_HEIGHT // 2 - 100))
    assert abs(r - 10) + abs(g - 88) + abs(b - 202) < 20
    assert img.getpixel((5, 5)) == BACKGROUND


def test_svg_badge_is_rasterised() -> None:
    img = _card(og.og_png(DEMO_SVG, "image/svg+xml", '"svg"'))
    assert img.getpixel((og.OG_WIDTH // 2 - 200, og.OG_HEIGHT // 2)) == (26, 127, 55)


def test_svg_referencing_a_local_file_is_not_rendered(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(demo_png((200, 0, 0)))
    for href in (str(secret), f"file://{secret}", "https://example.org/x.png", "secret.png"):
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="256" '
               f'height="256"><image xlink:href="{href}" width="256" height="256"/></svg>').encode()
        assert _is_blank(_card(og.og_png(svg, "image/svg+xml", f'"{href}"'))), href
        svg2 = svg.replace(b"xlink:href", b"href")
        assert _is_blank(_card(og.og_png(svg2, "image/svg+xml", f'"2{href}"'))), href


def test_svg_with_entities_or_dtd_is_not_parsed() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&b;</text></svg>')
    assert _is_blank(_card(og.og_png(bomb, "image/svg+xml", '"bomb"')))


def test_svg_with_inline_fragment_and_data_references_is_drawn() -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" '
           b'height="100"><defs><circle id="c" cx="50" cy="50" r="45" fill="#0a58ca"/></defs>'
           b'<use xlink:href="#c"/></svg>')
    img = _card(og.og_png(svg, "image/svg+xml", '"use"'))
    assert img.getpixel((og.OG_WIDTH // 2, og.OG_HEIGHT // 2)) == (10, 88, 202)


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"<svg"])
def test_broken_images_give_a_plain_card(data: bytes) -> None:
    assert _is_blank(_card(og.og_png(data, "image/png" if data[:1] != b"<" else "image/svg+xml", '"broken"')))


def test_cards_are_cached_by_etag() -> None:
    first = og.og_png(demo_png(), "image/png", '"same"')
    assert og.og_png(b"ignored: the etag names the image", "image/png", '"same"') is first
