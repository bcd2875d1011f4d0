"""Our JSON Schemas (schemas/ob2/) are valid draft 2020-12 and our output validates against them directly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from openbadges_core._resources import data_dir
from openbadges_core.ob2 import CryptographicKey, Evidence, Image, RevocationList, RevokedAssertion
from tests.core.ob2._ob2_builders import make_assertion, make_badge, make_issuer

SCHEMA_DIR = data_dir() / "ob2"


def load(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    return schema


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in (load(p.name.split(".")[0]) for p in SCHEMA_DIR.glob("*.json")))


@pytest.mark.parametrize("name", sorted(p.name.split(".")[0] for p in SCHEMA_DIR.glob("*.schema.json")))
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = load(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def outputs() -> list[tuple[str, Any]]:
    key = CryptographicKey(id="https://example.org/key1.json", owner="https://example.org/organization.json",
                           public_key_pem="-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n")
    badge = make_badge(issuer=make_issuer(public_key=key), image=Image(id="https://example.org/b.png"), tags=["x"])
    return [
        ("assertion", make_assertion(badge=badge, evidence=[Evidence(narrative="n"), "https://example.org/e"])),
        ("badgeclass", badge), ("issuer", make_issuer()), ("cryptographickey", key),
        ("revocationlist", RevocationList(id="https://example.org/rl", revoked_assertions=(
            RevokedAssertion(id="https://example.org/a/1", revocation_reason="r"), "https://example.org/a/2"))),
    ]


@pytest.mark.parametrize(("name", "doc"), outputs(), ids=[n for n, _ in outputs()])
def test_our_output_validates_against_our_schema(registry: Registry, name: str, doc: Any) -> None:
    validator = Draft202012Validator(load(name), registry=registry)
    assert list(validator.iter_errors(doc.to_dict())) == []


def test_schema_rejects_what_it_should(registry: Registry) -> None:
    validator = Draft202012Validator(load("assertion"), registry=registry)
    data = make_assertion().to_dict()
    del data["recipient"]
    assert [e.validator for e in validator.iter_errors(data)] == ["required"]


def _mutations(doc: dict[str, Any]) -> list[Any]:
    """The document, and variants breaking one schema keyword each."""
    out: list[Any] = [doc]
    for key in list(doc):
        out.append({k: v for k, v in doc.items() if k != key})
        out.append(doc | {key: 12345})
        out.append(doc | {key: {"unexpected": True}})
    return out


@pytest.mark.parametrize(("name", "doc"), outputs(), ids=[n for n, _ in outputs()])
def test_inlined_validator_reports_what_the_schema_files_report(registry: Registry, name: str, doc: Any) -> None:
    """The library inlines $refs for speed; it must report exactly what the $ref'd files do."""
    from openbadges_core._ob2._validation import _validator

    by_files = Draft202012Validator(load(name), registry=registry)
    inlined = _validator(doc.KIND)
    for variant in _mutations(doc.to_dict()):
        expected = sorted((list(e.absolute_path), e.validator, e.message) for e in by_files.iter_errors(variant))
        actual = sorted((list(e.absolute_path), e.validator, e.message) for e in inlined.iter_errors(variant))
        assert actual == expected, variant
