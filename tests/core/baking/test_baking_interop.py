"""Interoperability with the reference ``openbadges-bakery`` package, both directions."""

from __future__ import annotations

import io
import json

import pytest
from openbadges_bakery import png_bakery, svg_bakery

import openbadges_core as ob
from tests.core.baking._baking_support import OB2_ASSERTION, OB2_JWS, OB2_URL, SVG, make_png

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rfc3986.*")

OB2_PAYLOADS = [("json", json.dumps(OB2_ASSERTION)), ("url", OB2_URL), ("jws", OB2_JWS)]


@pytest.mark.parametrize(("kind", "payload"), OB2_PAYLOADS, ids=[k for k, _ in OB2_PAYLOADS])
def test_png_baked_by_the_bakery_unbakes_here(kind: str, payload: str) -> None:
    baked = png_bakery.bake(io.BytesIO(make_png()), payload).read()
    assert ob.unbake(baked) == ob.BakedPayload(payload, "png", "2.0", kind)


@pytest.mark.parametrize(("kind", "payload"), OB2_PAYLOADS, ids=[k for k, _ in OB2_PAYLOADS])
def test_png_baked_here_unbakes_with_the_bakery(kind: str, payload: str) -> None:
    baked = ob.bake(make_png(), payload)
    assert png_bakery.unbake(io.BytesIO(baked)) == payload


def test_png_rebaked_here_over_a_bakery_bake_keeps_one_payload() -> None:
    first = png_bakery.bake(io.BytesIO(make_png()), "https://old.example/a").read()
    rebaked = ob.bake(first, OB2_URL)
    assert png_bakery.unbake(io.BytesIO(rebaked)) == OB2_URL
    assert rebaked.count(b"openbadges\x00") == 1


@pytest.mark.parametrize(("kind", "payload"), OB2_PAYLOADS, ids=[k for k, _ in OB2_PAYLOADS])
def test_svg_baked_by_the_bakery_unbakes_here(kind: str, payload: str) -> None:
    baked = svg_bakery.bake(io.BytesIO(SVG), payload).read()
    # the bakery writes the payload as CDATA (and the URL/JWS in verify); the CDATA is preferred
    assert ob.unbake(baked) == ob.BakedPayload(payload, "svg", "2.0", kind)


@pytest.mark.parametrize(("kind", "payload"), OB2_PAYLOADS, ids=[k for k, _ in OB2_PAYLOADS])
def test_svg_baked_here_unbakes_with_the_bakery(kind: str, payload: str) -> None:
    baked = ob.bake(SVG, payload)
    # the bakery returns the verify attribute when present: the hosted URL for a JSON assertion
    expected = OB2_ASSERTION["id"] if kind == "json" else payload
    assert svg_bakery.unbake(io.BytesIO(baked)) == expected


def test_bakery_reads_our_ob3_png_when_the_keyword_is_forced_to_ob2() -> None:
    # the bakery only knows the OB 2.0 keyword; forcing it keeps old verifiers working
    credential = '{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}'
    baked = ob.bake(make_png(), credential, keyword="openbadges")
    assert png_bakery.unbake(io.BytesIO(baked)) == credential
