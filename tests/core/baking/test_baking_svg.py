"""SVG baking: a namespaced badge element after the root start tag; the rest of the SVG is kept."""

from __future__ import annotations

import json
import xml.dom.minidom

import pytest

import openbadges_core as ob
from tests.core.baking._baking_support import (
    OB2_ASSERTION,
    OB2_JWS,
    OB2_URL,
    OB3_CREDENTIAL,
    OB3_JWT,
    PAYLOADS,
    SVG,
)

OB2_NS = "http://openbadges.org"
OB3_NS = "https://purl.imsglobal.org/ob/v3p0"


def _badge_elements(svg: bytes) -> list[xml.dom.minidom.Element]:
    doc = xml.dom.minidom.parseString(svg)
    return (doc.getElementsByTagNameNS(OB2_NS, "assertion") + doc.getElementsByTagNameNS(OB3_NS, "credential"))


@pytest.mark.parametrize(("name", "payload", "version", "kind"), PAYLOADS, ids=[p[0] for p in PAYLOADS])
def test_svg_round_trip_for_every_payload_kind(name: str, payload: str, version: str, kind: str) -> None:
    baked = ob.bake_svg(SVG, payload)
    assert ob.unbake(baked) == ob.BakedPayload(payload, "svg", version, kind)
    assert ob.unbake_svg(baked) == ob.unbake(baked)


def test_svg_hosted_ob2_assertion_has_url_in_verify_and_json_in_cdata() -> None:
    baked = ob.bake(SVG, json.dumps(OB2_ASSERTION))
    (element,) = _badge_elements(baked)
    assert element.tagName == "openbadges:assertion"
    assert element.parentNode.tagName == "svg"
    assert element.getAttribute("verify") == OB2_ASSERTION["id"]
    assert element.firstChild.nodeType == element.CDATA_SECTION_NODE
    assert json.loads(element.firstChild.data) == OB2_ASSERTION
    assert b'xmlns:openbadges="http://openbadges.org"' in baked.split(b">", 2)[1]


@pytest.mark.parametrize(("payload", "namespace", "local"), [(OB2_JWS, OB2_NS, "assertion"),
                                                              (OB3_JWT, OB3_NS, "credential")])
def test_svg_signed_badge_is_a_self_closing_element_with_verify(payload: str, namespace: str, local: str) -> None:
    baked = ob.bake(SVG, payload)
    (element,) = _badge_elements(baked)
    assert (element.namespaceURI, element.localName) == (namespace, local)
    assert element.getAttribute("verify") == payload
    assert not element.childNodes
    assert f'<openbadges:{local} verify="{payload}"/>'.encode() in baked


def test_svg_ob3_json_goes_in_cdata_of_a_credential_element() -> None:
    baked = ob.bake(SVG, OB3_CREDENTIAL)
    (element,) = _badge_elements(baked)
    assert element.namespaceURI == OB3_NS and not element.hasAttribute("verify")
    assert json.loads("".join(n.data for n in element.childNodes)) == OB3_CREDENTIAL


def test_svg_payload_containing_cdata_end_round_trips() -> None:
    assert "]]>" in json.dumps(OB3_CREDENTIAL)
    baked = ob.bake(SVG, OB3_CREDENTIAL)
    assert json.loads(ob.unbake(baked).payload) == OB3_CREDENTIAL


def test_svg_content_is_preserved() -> None:
    original = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- keep me -->\n'
                b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
                b'<svg xmlns="http://www.w3.org/2000/svg"   width="10"\n  height="10"><g id="a"><rect/></g></svg>\n')
    baked = ob.bake(original, OB2_URL)
    head = original.partition(b"<svg")[0]
    assert baked.startswith(head + b"<svg")
    assert baked.endswith(b'<g id="a"><rect/></g></svg>\n')
    assert b'width="10"\n  height="10"' in baked


def test_svg_rebake_replaces_the_badge_element() -> None:
    once = ob.bake(SVG, OB2_URL)
    twice = ob.bake(ob.bake(once, OB3_CREDENTIAL), OB3_JWT)
    elements = _badge_elements(twice)
    assert len(elements) == 1 and elements[0].getAttribute("verify") == OB3_JWT
    assert ob.unbake(twice).payload == OB3_JWT
    assert ob.bake(ob.bake(SVG, OB3_JWT), OB3_JWT) == ob.bake(SVG, OB3_JWT)


def test_svg_badge_is_found_by_namespace_under_any_prefix() -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="http://openbadges.org">'
           b'<ob:assertion verify="https://example.org/a/1"/></svg>')
    assert ob.unbake(svg) == ob.BakedPayload("https://example.org/a/1", "svg", "2.0", "url")


def test_svg_right_prefix_on_wrong_namespace_is_not_a_badge() -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://example.org/not-badges">'
           b'<openbadges:assertion verify="https://example.org/a/1"/></svg>')
    with pytest.raises(ob.NoBadgePayloadError):
        ob.unbake(svg)


def test_svg_prefixed_root_is_handled() -> None:
    svg = b'<svg:svg xmlns:svg="http://www.w3.org/2000/svg"><svg:rect width="1" height="1"/></svg:svg>'
    baked = ob.bake(svg, OB2_JWS)
    assert ob.unbake(baked).payload == OB2_JWS
    assert baked.endswith(b'<svg:rect width="1" height="1"/></svg:svg>')


def test_svg_self_closing_root_gets_a_body() -> None:
    baked = ob.bake(b'<svg xmlns="http://www.w3.org/2000/svg"/>', OB2_URL)
    assert ob.unbake(baked).payload == OB2_URL
    assert baked.endswith(b"</svg>")


def test_svg_cdata_json_is_preferred_over_the_verify_url() -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
           f'<openbadges:assertion verify="{OB2_URL}"><![CDATA[ {json.dumps(OB2_ASSERTION)} ]]>'
           '</openbadges:assertion></svg>').encode()
    assert json.loads(ob.unbake(svg).payload) == OB2_ASSERTION


def test_svg_two_different_payloads_of_one_version_are_ambiguous() -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
           b'<openbadges:assertion verify="https://example.org/a/1"/>'
           b'<openbadges:assertion verify="https://example.org/a/2"/></svg>')
    with pytest.raises(ob.AmbiguousPayloadError):
        ob.unbake(svg)


def test_svg_without_badge_raises_no_badge_payload() -> None:
    with pytest.raises(ob.NoBadgePayloadError):
        ob.unbake(SVG)


def test_svg_baking_strips_scripts_event_handlers_and_javascript_urls() -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           b'onload="alert(1)"><script type="text/javascript"><![CDATA[alert(2)]]></script>'
           b'<a xlink:href=" jav&#x09;ascript:alert(3)" href="https://example.org/ok">'
           b'<circle r="1" onclick="alert(4)" ONMOUSEOVER="x()"/></a>'
           b'<foreignObject><html:script xmlns:html="http://www.w3.org/1999/xhtml">x()</html:script>'
           b'</foreignObject></svg>')
    baked = ob.bake(svg, OB2_URL)
    lowered = baked.lower()
    for needle in (b"script", b"onload", b"onclick", b"onmouseover", b"alert", b"javascript"):
        assert needle not in lowered, needle
    assert b'href="https://example.org/ok"' in baked and b'<circle r="1"/>' in baked
    assert ob.unbake(baked).payload == OB2_URL


def test_svg_in_another_encoding_is_rebaked_as_utf8() -> None:
    svg = '<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"><title>Ça</title></svg>'
    baked = ob.bake(svg.encode("latin-1"), OB3_CREDENTIAL)
    assert baked.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert "<title>Ça</title>".encode() in baked
    assert json.loads(ob.unbake(baked).payload) == OB3_CREDENTIAL
    utf16 = ob.bake(svg.replace("ISO-8859-1", "UTF-16").encode("utf-16"), OB2_URL)
    assert ob.unbake(utf16).payload == OB2_URL


def test_svg_prefix_bound_elsewhere_on_the_root_is_not_rebound() -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://example.org/other">'
           b'<openbadges:credential>not a badge</openbadges:credential></svg>')
    baked = ob.bake(svg, OB3_JWT)
    assert b'xmlns:openbadges="http://example.org/other"' in baked
    assert b"<openbadges:credential>not a badge</openbadges:credential>" in baked
    (element,) = _badge_elements(baked)
    assert element.getAttribute("verify") == OB3_JWT
    assert ob.unbake(baked) == ob.BakedPayload(OB3_JWT, "svg", "3.0", "jws")


def test_svg_baking_catches_disguised_script_urls() -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
           f'<a href="{" " * 100}java&#x0A;script:alert(1)"><text>x</text></a>'
           '<a href="VBScript:msgbox(1)"/><a href="data: text/html,&lt;script&gt;"/>'
           '<animate attributeName="href" values="https://ok.example/;javascript:alert(2)"/>'
           '<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/></svg>').encode()
    baked = ob.bake(svg, OB2_URL)
    lowered = baked.lower()
    for needle in (b"script:", b"text/html", b"values="):
        assert needle not in lowered, needle
    assert b'<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>' in baked
    assert b'attributeName="href"' in baked
