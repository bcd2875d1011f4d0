"""The jsonschema_rs pre-check in ``document_issues`` changes speed, never results.

Each document is validated twice: with the Rust ``is_valid`` pre-check (the default) and with the
pure-Python ``jsonschema`` path alone (the fallback when jsonschema_rs is missing); the issue lists must be
identical, in order. Inputs: every official OB 2.0 validator example, plus systematic breakages of the
builders' documents (each property deleted, or replaced by values of the wrong type or shape).
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from openbadges_core._errors import ValidationIssue
from openbadges_core._keys import generate_key
from openbadges_core._ob2 import _validation
from openbadges_core.ob2 import document_issues
from tests.core.ob2._ob2_builders import make_assertion, make_badge, make_issuer


class _Text(str):
    pass


# Includes values no JSON parser returns (tuples, read-only mappings, str subclasses, infinities): the
# Rust validator reads some of those differently, so they must take the Python path.
_BAD_VALUES: list[Any] = [None, True, 0, 1.5, 10**30, float("nan"), float("inf"), "", "x",
                          "sha256$" + "a" * 64 + "\n", "\ud800", [], ["x"], {}, {"type": "email"}, ("x",),
                          ("https://example.org/e",), MappingProxyType({"id": "https://example.org/e"}),
                          _Text("https://example.org/t")]


def _slow_issues(doc: Any, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> list[ValidationIssue]:
    with monkeypatch.context() as m:
        m.setattr(_validation, "_fast_validator", lambda kind: None)
        return document_issues(doc, **kw)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        yield prefix + (key,)
        yield from _paths(value, prefix + (key,))


def _set(doc: Any, path: tuple[Any, ...], value: Any, *, delete: bool = False) -> Any:
    out = copy.deepcopy(doc)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return out


def _valid_documents() -> list[dict[str, Any]]:
    key = generate_key("EdDSA")
    key_doc = {"@context": "https://w3id.org/openbadges/v2", "type": "CryptographicKey",
               "id": "https://example.org/key", "owner": "https://example.org/organization.json",
               "publicKeyPem": key.public_key.to_pem().decode()}
    revocations = {"@context": "https://w3id.org/openbadges/v2", "type": "RevocationList",
                   "id": "https://example.org/revocations", "issuer": "https://example.org/organization.json",
                   "revokedAssertions": ["urn:uuid:00000000-0000-4000-8000-000000000001",
                                         {"id": "https://example.org/a/2", "revocationReason": "oops"}]}
    embedded = make_assertion(badge=make_badge(issuer=make_issuer()))
    return [make_assertion().to_dict(), embedded.to_dict(), make_badge().to_dict(), make_issuer().to_dict(),
            key_doc, revocations]


def _mutants() -> Iterator[Any]:
    for doc in _valid_documents():
        yield doc
        for path in _paths(doc):
            yield _set(doc, path, None, delete=True)
            for bad in _BAD_VALUES:
                yield _set(doc, path, bad)


def test_fast_path_is_available_for_every_kind() -> None:
    # Guards the premise of this file: without it the comparisons below would compare the slow path to itself.
    assert all(_validation._fast_validator(kind) is not None for kind in _validation._SCHEMA_REFS)


def test_conformance_examples_give_identical_issues_on_both_paths(conformance: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    files = sorted((conformance / "examples" / "validator-ob20").rglob("*.json"))
    assert len(files) > 20
    compared = 0
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            data = path.read_bytes()  # not JSON: both paths must report the same "json" issue
        fast, slow = document_issues(data), _slow_issues(data, monkeypatch)
        assert fast == slow, path.name
        compared += 1
    assert compared == len(files)


def test_broken_documents_give_identical_issues_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    invalid = 0
    count = 0
    for doc in _mutants():
        fast, slow = document_issues(doc), _slow_issues(doc, monkeypatch)
        assert fast == slow, doc
        invalid += bool(slow)
        count += 1
    assert count > 500 and invalid > count // 2  # the set really exercises the invalid branch


@pytest.mark.parametrize("kind", ["IdentityObject", "VerificationObject", "Criteria", "Image", "Evidence",
                                  "AlignmentObject"])
def test_nested_kinds_give_identical_issues_on_both_paths(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for node in [{}, {"id": "https://example.org/x"}, {"type": "email", "identity": "a@example.org"},
                 {"type": "email", "hashed": True, "identity": "sha256$zz"}, {"narrative": 5},
                 {"type": "HostedBadge"}, {"targetName": "t", "targetUrl": "https://example.org"}]:
        assert document_issues(node, kind=kind) == _slow_issues(node, monkeypatch, kind=kind)


def test_valid_document_skips_the_python_schema_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = _validation._validator

    def spy(kind: str) -> Any:
        calls.append(kind)
        return real(kind)

    monkeypatch.setattr(_validation, "_validator", spy)
    assert document_issues(make_assertion().to_dict()) == []
    assert calls == []
    issues = document_issues(_set(make_assertion().to_dict(), ("recipient",), None, delete=True))
    assert calls == ["Assertion"]
    assert ValidationIssue("recipient", "required", "recipient is required") in issues


def test_missing_jsonschema_rs_falls_back_to_the_python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = _set(make_assertion().to_dict(), ("recipient", "identity"), "sha256$nothex")
    expected = document_issues(broken)
    _validation._fast_validator.cache_clear()
    monkeypatch.setitem(sys.modules, "jsonschema_rs", None)  # import now raises ImportError
    try:
        assert _validation._fast_validator("Assertion") is None
        assert document_issues(broken) == expected
        assert any(i.rule == "identity.hash_format" for i in expected)
        assert document_issues(make_assertion().to_dict()) == []
    finally:
        _validation._fast_validator.cache_clear()


def test_uncompilable_schema_falls_back_to_the_python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import jsonschema_rs

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("cannot compile")

    _validation._fast_validator.cache_clear()
    monkeypatch.setattr(jsonschema_rs, "Draft202012Validator", refuse)
    try:
        assert _validation._fast_validator("BadgeClass") is None
        assert document_issues(make_badge().to_dict()) == []
        assert [i.rule for i in document_issues(_set(make_badge().to_dict(), ("name",), 7))] == ["value_type"]
    finally:
        _validation._fast_validator.cache_clear()


def test_tuple_where_an_array_belongs_is_reported_although_jsonschema_rs_accepts_it() -> None:
    # jsonschema_rs converts a tuple to a JSON array; jsonschema (and so document_issues) does not.
    doc = make_assertion().to_dict()
    doc["evidence"] = ("https://example.org/evidence",)
    fast = _validation._fast_validator("Assertion")
    assert fast is not None and fast(doc) is True
    assert document_issues(doc) == [ValidationIssue("evidence", "value_type",
                                                    "expected ['string', 'object', 'array'], got tuple")]


@pytest.mark.parametrize(("value", "plain"), [({"a": [1, "x", None, True, 1.5]}, True), ({"a": (1,)}, False),
                                              ({"a": float("inf")}, False), ({"a": MappingProxyType({})}, False),
                                              ({"a": _Text("x")}, False), ({"a": [{"b": [float("nan")]}]}, False)])
def test_only_plain_json_takes_the_fast_path(value: dict[str, Any], plain: bool) -> None:
    assert _validation._shape(value, 64) == (False, plain)
