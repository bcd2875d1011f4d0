"""Hostile or random input: validation never crashes, parsing only raises our typed errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openbadges_core import ParseError, ValidationError
from openbadges_core._ob2._validation import MAX_DEPTH
from openbadges_core.ob2 import document_issues, parse_document
from tests.core.ob2._ob2_builders import make_assertion, make_badge, make_issuer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30) | st.sampled_from(["Assertion", "https://example.org/x", "_:b0", "2016-12-31T23:59:59Z",
                                              "sha256$00", "hosted", "urn:uuid:6deb4a00-ebce-4b28-8cc2-afa705ef7be4"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "type", "narrative", "identity", "hashed", "name", "x"]), children, max_size=4),
    max_leaves=12,
)
BASES = [make_assertion(badge=make_badge(issuer=make_issuer())).to_dict(), make_badge().to_dict(), make_issuer().to_dict()]


def _mutate(base: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(base))
    out[key] = value
    return out


@settings(max_examples=150, deadline=None)
@given(base=st.sampled_from(BASES), data=st.data(), value=json_values)
def test_random_property_values_never_crash(base: dict[str, Any], data: st.DataObject, value: Any) -> None:
    key = data.draw(st.sampled_from(sorted(base) + ["evidence", "expires", "alignment", "tags", "verification"]))
    doc = _mutate(base, key, value)
    issues = document_issues(doc)
    try:
        parsed = parse_document(doc)
    except ValidationError as exc:  # ParseError is a ValidationError
        assert exc.issues
        assert issues, "parse_document refused a document document_issues accepted"
    else:
        assert issues == []
        assert parsed.to_dict() == doc


@pytest.mark.parametrize("payload", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000])
def test_deeply_nested_json_is_a_parse_error(payload: bytes) -> None:
    with pytest.raises(ParseError):
        parse_document(payload)
    assert [i.rule for i in document_issues(payload)] == ["json"]


def test_deep_nesting_inside_a_document_is_refused_before_schema_validation() -> None:
    doc = make_assertion().to_dict()
    node: list[Any] = []
    doc["evidence"] = node
    for _ in range(MAX_DEPTH + 10):
        node.append([])
        node = node[0]
    assert [(i.path, i.rule) for i in document_issues(doc)] == [("", "json")]


def test_cyclic_mapping_does_not_hang_or_crash() -> None:
    doc: dict[str, Any] = make_assertion().to_dict()
    doc["self"] = doc
    assert [i.rule for i in document_issues(doc)] == ["json"]


@pytest.mark.parametrize("payload", [b"", b"\xff\xfe\x00", b"null", b"\"string\"", b"1e999999", "{\"a\": NaN}"])
def test_garbage_is_a_parse_error(payload: bytes | str) -> None:
    with pytest.raises(ParseError):
        parse_document(payload)
