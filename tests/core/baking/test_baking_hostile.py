"""Hostile and malformed images: every one gives its typed error, in bounded time and memory."""

from __future__ import annotations

import http.server
import struct
import threading
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import openbadges_core as ob
from tests.core.baking._baking_support import OB2_URL, OB3_JWT, SVG, chunk, insert_before_iend, make_png

BAKED_PNG = ob.bake(make_png(), OB2_URL)


def _corrupt(exc: pytest.ExceptionInfo[ob.BakingError], code: str) -> None:
    assert isinstance(exc.value, ob.CorruptImageError)
    assert exc.value.code == code


# ------------------------------------------------------------------------------------------- PNG

@pytest.mark.parametrize("cut", [8, 20, 33, 40, 60, -13, -1])
def test_truncated_png_is_corrupt(cut: int) -> None:
    with pytest.raises(ob.CorruptImageError) as exc:
        ob.unbake(BAKED_PNG[:cut])
    _corrupt(exc, "corrupt_png")


def test_truncated_png_is_refused_when_baking_too() -> None:
    with pytest.raises(ob.CorruptImageError):
        ob.bake(make_png()[:-30], OB2_URL)


def test_bad_crc_in_the_badge_chunk_is_corrupt() -> None:
    png = bytearray(BAKED_PNG)
    (length,) = struct.unpack(">I", png[33:37])
    png[33 + 8 + length] ^= 0xFF  # first CRC byte of the iTXt chunk
    with pytest.raises(ob.CorruptImageError, match="CRC"):
        ob.unbake(bytes(png))


def test_bad_crc_in_ihdr_is_corrupt() -> None:
    png = bytearray(BAKED_PNG)
    png[29] ^= 0x01
    with pytest.raises(ob.CorruptImageError, match="CRC"):
        ob.unbake(bytes(png))


@pytest.mark.parametrize("declared", [0xFFFFFFFF, 0x7FFFFFFF, 0x10000000])
def test_giant_declared_chunk_length_is_corrupt(declared: int) -> None:
    png = BAKED_PNG[:33] + struct.pack(">I", declared) + BAKED_PNG[37:]
    with pytest.raises(ob.CorruptImageError, match="declares"):
        ob.unbake(png)
    with pytest.raises(ob.CorruptImageError):
        ob.bake(png, OB2_URL)


def test_invalid_chunk_type_is_corrupt() -> None:
    png = make_png()
    png = png[:33] + chunk(b"\x00\x01ab", b"") + png[33:]
    with pytest.raises(ob.CorruptImageError, match="chunk type"):
        ob.unbake(png)


def test_zlib_bomb_in_compressed_itxt_stops_at_the_payload_limit() -> None:
    bomb = zlib.compress(b"{" + b" " * (32 * 1024 * 1024), 9)  # 32 MiB inflated, ~32 KiB on disk
    png = insert_before_iend(make_png(), chunk(b"iTXt", b"openbadges\x00\x01\x00\x00\x00" + bomb))
    tracemalloc.start()
    try:
        with pytest.raises(ob.PayloadTooLargeError):
            ob.unbake(png)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_zlib_bomb_in_ztxt_stops_at_the_payload_limit() -> None:
    bomb = zlib.compress(b"h" * (16 * 1024 * 1024), 9)
    png = insert_before_iend(make_png(), chunk(b"zTXt", b"openbadges\x00\x00" + bomb))
    with pytest.raises(ob.PayloadTooLargeError):
        ob.unbake(png)


@pytest.mark.parametrize("body", [b"openbadges\x00\x01\x00\x00\x00not zlib at all",
                                  b"openbadges\x00\x01\x00\x00\x00" + zlib.compress(b"https://e.org/a")[:-6],
                                  b"openbadges\x00\x02\x00\x00\x00x",
                                  b"openbadges\x00\x00\x00\x00\x00\xff\xfe bad utf-8",
                                  b"openbadges\x00\x00\x00only-a-language-tag",
                                  b"openbadges\x00\x00\x00\x00\x00not a badge payload"])
def test_broken_badge_chunk_is_corrupt(body: bytes) -> None:
    with pytest.raises(ob.CorruptImageError) as exc:
        ob.unbake(insert_before_iend(make_png(), chunk(b"iTXt", body)))
    _corrupt(exc, "corrupt_png")


def test_oversized_payload_chunk_is_too_large() -> None:
    limits = ob.BakingLimits(max_payload_bytes=100)
    png = ob.bake(make_png(), "https://example.org/" + "a" * 200)
    with pytest.raises(ob.PayloadTooLargeError):
        ob.unbake(png, limits=limits)
    with pytest.raises(ob.PayloadTooLargeError):
        ob.bake(make_png(), "https://example.org/" + "a" * 200, limits=limits)


def test_oversized_image_is_too_large(tmp_path) -> None:
    limits = ob.BakingLimits(max_image_bytes=1000)
    big = make_png(100, 100, noise=True)
    path = tmp_path / "big.png"
    path.write_bytes(big)
    for image in (big, path):
        with pytest.raises(ob.PayloadTooLargeError):
            ob.unbake(image, limits=limits)
    with pytest.raises(ob.PayloadTooLargeError):
        ob.bake(big, OB2_URL, limits=limits)


@pytest.mark.parametrize("data", [b"", b"GIF89a\x01\x00\x01\x00", b'{"type": "Assertion"}', b"\x00" * 64,
                                  b"\x89PNX\r\n\x1a\n" + b"\x00" * 30])
def test_neither_png_nor_svg_is_not_an_image(data: bytes) -> None:
    with pytest.raises(ob.NotAnImageError):
        ob.unbake(data)
    with pytest.raises(ob.NotAnImageError):
        ob.bake(data, OB2_URL)


@pytest.mark.parametrize("data", [b"<html><body>hi</body></html>", b"<?xml version='1.0'?><note/>",
                                  b'<svg xmlns="http://example.org/not-svg"/>'])
def test_xml_that_is_not_svg_is_not_an_image(data: bytes) -> None:
    with pytest.raises(ob.NotAnImageError):
        ob.unbake(data)


# ------------------------------------------------------------------------------------------- SVG

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<svg xmlns="http://www.w3.org/2000/svg"><title>&lol9;</title></svg>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">
<openbadges:assertion verify="https://example.org/a">&xxe;</openbadges:assertion></svg>"""

EXTERNAL_DTD_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/evil.dtd"> %ext;]>
<svg xmlns="http://www.w3.org/2000/svg"/>"""


@pytest.mark.parametrize("svg", [BILLION_LAUGHS, XXE, EXTERNAL_DTD_ENTITY], ids=["billion-laughs", "xxe",
                                                                                "external-dtd-entity"])
def test_entity_and_external_dtd_tricks_are_unsafe(svg: bytes) -> None:
    with pytest.raises(ob.UnsafeSvgError):
        ob.unbake(svg)
    with pytest.raises(ob.UnsafeSvgError):
        ob.bake(svg, OB2_URL)


@pytest.fixture
def dtd_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request it receives."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = b'<!ENTITY payload "https://evil.example/x">'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/svg.dtd", hits
    finally:
        server.shutdown()
        server.server_close()


def test_external_dtd_is_never_fetched(dtd_server: tuple[str, list[str]]) -> None:
    url, hits = dtd_server
    svg = (f'<?xml version="1.0"?>\n<!DOCTYPE svg SYSTEM "{url}">\n'
           '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
           '<openbadges:assertion verify="https://example.org/a"/></svg>').encode()
    assert ob.unbake(svg).payload == "https://example.org/a"
    with_entity = svg.replace(b'verify="https://example.org/a"/>', b'verify="&payload;"/>')
    with pytest.raises((ob.CorruptImageError, ob.UnsafeSvgError)):
        ob.unbake(with_entity)
    assert ob.unbake(ob.bake(svg, OB2_URL)).payload == OB2_URL
    assert hits == []


def test_deeply_nested_svg_is_unsafe() -> None:
    depth = 100_000
    svg = b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g>" * depth + b"</g>" * depth + b"</svg>"
    with pytest.raises(ob.UnsafeSvgError, match="nesting"):
        ob.unbake(svg)
    with pytest.raises(ob.UnsafeSvgError):
        ob.bake(svg, OB2_URL)
    shallow = ob.BakingLimits(max_svg_depth=1)  # svg > title is depth 2
    with pytest.raises(ob.UnsafeSvgError):
        ob.unbake(ob.bake(SVG, OB2_URL), limits=shallow)


@pytest.mark.parametrize("svg", [
    b'<svg xmlns="http://www.w3.org/2000/svg"><title>\xff\xfe caf\xe9</title></svg>',
    b'<?xml version="1.0" encoding="bogus-encoding"?><svg xmlns="http://www.w3.org/2000/svg"/>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><g></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><title>&nbsp;</title></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg">',
], ids=["non-utf8", "unknown-encoding", "mismatched-tag", "undefined-entity", "unclosed"])
def test_malformed_svg_is_corrupt(svg: bytes) -> None:
    with pytest.raises(ob.CorruptImageError) as exc:
        ob.unbake(svg)
    _corrupt(exc, "corrupt_svg")


def test_oversized_svg_payload_is_too_large() -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
           b'<openbadges:assertion><![CDATA[{"a": "' + b"x" * 5000 + b'"}]]></openbadges:assertion></svg>')
    with pytest.raises(ob.PayloadTooLargeError):
        ob.unbake(svg, limits=ob.BakingLimits(max_payload_bytes=1000))
    assert ob.unbake(svg).kind == "json"


# --------------------------------------------------------------------------------- property test

_SEEDS = [BAKED_PNG, ob.bake(make_png(), {"@context": "https://w3id.org/openbadges/v2", "id": OB2_URL}),
          ob.bake(SVG, OB2_URL), ob.bake(SVG, '{"@context": ["https://www.w3.org/ns/credentials/v2"]}')]


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "set"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[pos] = draw(st.sampled_from([0x00, 0xFF, 0x3C, 0x3E, 0x22, 0x26, 0x5D]))
        elif op == "truncate":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[pos:pos + draw(st.integers(1, 64))]
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutated_baked_images_give_a_payload_or_a_baking_error(data: bytes) -> None:
    try:
        result = ob.unbake(data)
    except ob.BakingError:
        return
    assert isinstance(result, ob.BakedPayload) and result.payload
    assert result.kind in ("json", "url", "jws")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_baking_a_mutated_image_gives_an_image_carrying_the_payload_or_a_baking_error(data: bytes) -> None:
    try:
        baked = ob.bake(data, OB3_JWT)
    except ob.BakingError:
        return
    assert ob.unbake(baked) == ob.BakedPayload(OB3_JWT, "svg" if baked[:1] != b"\x89" else "png", "3.0", "jws")
