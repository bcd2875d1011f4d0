"""PNG baking: one uncompressed iTXt after IHDR, keyword from the payload, everything else untouched."""

from __future__ import annotations

import json
import zlib

import pytest

import openbadges_core as ob
from tests.core.baking._baking_support import (
    OB2_URL,
    OB3_CREDENTIAL,
    PAYLOADS,
    chunk,
    chunks,
    insert_after_ihdr,
    insert_before_iend,
    make_png,
)


@pytest.mark.parametrize(("name", "payload", "version", "kind"), PAYLOADS, ids=[p[0] for p in PAYLOADS])
def test_png_round_trip_for_every_payload_kind(name: str, payload: str, version: str, kind: str) -> None:
    baked = ob.bake_png(make_png(), payload)
    result = ob.unbake(baked)
    assert result == ob.BakedPayload(payload, "png", version, kind)
    assert ob.unbake_png(baked) == result


@pytest.mark.parametrize(("name", "payload", "version", "kind"), PAYLOADS, ids=[p[0] for p in PAYLOADS])
def test_png_bake_writes_one_uncompressed_itxt_right_after_ihdr(name: str, payload: str, version: str,
                                                               kind: str) -> None:
    baked = ob.bake(make_png(), payload)
    found = chunks(baked)  # pypng re-reads it and checks every CRC
    assert found[0][0] == b"IHDR"
    ctype, body = found[1]
    keyword = "openbadgecredential" if version == "3.0" else "openbadges"
    assert ctype == b"iTXt"
    assert body == keyword.encode() + b"\x00\x00\x00\x00\x00" + payload.encode()


def test_png_mapping_payload_is_baked_as_compact_json() -> None:
    result = ob.unbake(ob.bake(make_png(), OB3_CREDENTIAL))
    assert json.loads(result.payload) == OB3_CREDENTIAL
    assert (result.version, result.kind) == ("3.0", "json")


def test_png_keyword_can_be_forced() -> None:
    baked = ob.bake(make_png(), OB2_URL, keyword="openbadgecredential")
    assert chunks(baked)[1][1].startswith(b"openbadgecredential\x00")
    assert ob.unbake(baked).version == "3.0"
    with pytest.raises(ob.BakingError):
        ob.bake(make_png(), OB2_URL, keyword="badge")


def test_png_other_chunks_are_kept_byte_for_byte() -> None:
    original = make_png(noise=True)
    baked = ob.bake(original, OB2_URL)
    before, after = chunks(original), chunks(baked)
    assert after[0] == before[0]
    assert after[2:] == before[1:]
    # the rest of the file is literally the original bytes
    assert baked[:33] == original[:33] and baked.endswith(original[33:])


def test_png_rebake_replaces_every_earlier_badge_chunk() -> None:
    png = make_png()
    png = insert_before_iend(png, chunk(b"tEXt", b"openbadges\x00https://old.example/a"))
    png = insert_before_iend(png, chunk(b"zTXt", b"openbadgecredential\x00\x00" + zlib.compress(b"{}")))
    png = ob.bake(png, OB2_URL)
    rebaked = ob.bake(png, OB3_CREDENTIAL)
    badge_chunks = [c for c in chunks(rebaked) if c[1].split(b"\x00")[0] in (b"openbadges",
                                                                             b"openbadgecredential")]
    assert len(badge_chunks) == 1
    assert ob.unbake(rebaked).version == "3.0"
    assert [c for c in chunks(rebaked) if c[0] == b"tEXt"] == [c for c in chunks(make_png()) if c[0] == b"tEXt"]


def test_png_itxt_anywhere_compressed_and_with_language_tag_is_read() -> None:
    body = b"openbadges\x00\x01\x00en-GB\x00Open Badge\x00" + zlib.compress(OB2_URL.encode())
    png = insert_before_iend(make_png(), chunk(b"iTXt", body))
    assert ob.unbake(png) == ob.BakedPayload(OB2_URL, "png", "2.0", "url")


def test_png_legacy_text_chunk_is_read() -> None:
    png = insert_before_iend(make_png(), chunk(b"tEXt", b"openbadges\x00" + OB2_URL.encode()))
    assert ob.unbake(png) == ob.BakedPayload(OB2_URL, "png", "2.0", "url")


def test_png_itxt_is_preferred_over_text() -> None:
    png = insert_after_ihdr(make_png(), chunk(b"tEXt", b"openbadges\x00https://legacy.example/a"))
    png = insert_before_iend(png, chunk(b"iTXt", b"openbadges\x00\x00\x00\x00\x00" + OB2_URL.encode()))
    assert ob.unbake(png).payload == OB2_URL


def test_png_two_different_payloads_of_one_version_are_ambiguous() -> None:
    png = ob.bake(make_png(), OB2_URL)
    png = insert_before_iend(png, chunk(b"iTXt", b"openbadges\x00\x00\x00\x00\x00https://other.example/b"))
    with pytest.raises(ob.AmbiguousPayloadError):
        ob.unbake(png)


def test_png_the_same_payload_twice_is_not_ambiguous() -> None:
    png = ob.bake(make_png(), OB2_URL)
    png = insert_before_iend(png, chunk(b"iTXt", b"openbadges\x00\x00\x00\x00\x00" + OB2_URL.encode()))
    assert ob.unbake(png).payload == OB2_URL


def test_png_without_badge_raises_no_badge_payload() -> None:
    with pytest.raises(ob.NoBadgePayloadError):
        ob.unbake(make_png())


def test_unbake_reads_a_file_path(tmp_path) -> None:
    path = tmp_path / "badge.png"
    path.write_bytes(ob.bake(make_png(), OB2_URL))
    assert ob.unbake(path).payload == OB2_URL
    assert ob.unbake(str(path)).payload == OB2_URL
