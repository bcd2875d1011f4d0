"""The official validator fixtures (examples/validator-ob20/) parse or fail as their names say.

How we read the names (the fixtures come from 1EdTech's validator, whose tests exercise a whole verification,
not just one document):

* ``-expired``, ``-in-future``, ``-no-public-key``, ``-with-allowed-origins-*``, ``warning-*``: the documents are
  well-formed; what the name describes is checked by the verifier at verification time (clock, fetched issuer,
  hosted URL origin). As documents they are **valid**.
* ``-expired-before-issued``, ``-invalid-context``, ``-invalid-type``: document rules; they **fail**.
* ``assertion-with-extension-node-invalid``: the extension node breaks the *extension's* own JSON Schema, which
  lives at w3id.org and is not bundled (we never download at run time). The Assertion itself is valid and we
  preserve the extension node verbatim; extension-schema checks are out of scope for document validation.
* ``rdf-validation/*``: unit cases for the RDF ``type`` rule. We check exactly that rule on them; several also
  lack ``image``, which the OB 2.0 spec requires of a BadgeClass, so they are not complete documents.
* ``redirected-validation-subject.json`` contains ``//`` comments (it annotates a test), so it is not JSON.
* ``assets/openbadges_context.json`` starts with a URL line before the JSON: not JSON either.
* ``Endorsement`` documents are OB 2.0 but not one of the five documents this library models: ParseError.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openbadges_core import ParseError, ValidationError
from openbadges_core._ob2._validation import is_type_iri
from openbadges_core.ob2 import Alignment, Criteria, document_issues, parse_document

ROOT = "examples/validator-ob20"

VALID = [
    "assertion-with-data-image.json", "assertion-with-endorsements.json", "assertion-with-extension-node-basic.json",
    "assertion-with-extension-node-invalid.json", "assertion-with-multiple-extensions.json",
    "basic-assertion-expired.json", "basic-assertion-in-future.json", "basic-assertion-no-public-key.json",
    "basic-assertion-with-allowed-origins.json", "basic-assertion-with-allowed-origins-valid-starts-with.json",
    "basic-assertion-with-allowed-origins-invalid-starts-with.json",
    "basic-assertion-with-allowed-origins-valid-multiple-starts-with.json",
    "basic-assertion-with-allowed-origins-invalid-multiple-starts-with.json",
    "basic-assertion-with-language.json", "basic-assertion.json", "issuer-compact-iri-validation.json",
    "warning-issuer-non-http.json", "warning-with-redirection.json",
    "assets/altbadgeurl.json", "assets/bad-issuer.json", "assets/badge-from-organization-with-empty-revocation-list.json",
    "assets/badge-from-organization-with-revocation-list.json", "assets/badge-with-bad-issuer.json",
    "assets/badge-with-data-image.json", "assets/badgeclass-with-complex-image.json",
    "assets/badgeclass-with-endorsements.json", "assets/badgeclass-with-language.json",
    "assets/badgeclass-with-verification.json", "assets/badgeclass-with-verification-valid-starts-with.json",
    "assets/badgeclass-with-verification-invalid-starts-with.json",
    "assets/badgeclass-with-verification-valid-multiple-starts-with.json",
    "assets/badgeclass-with-verification-invalid-multiple-starts-with.json", "assets/badgeclass1.json",
    "assets/basic-badge-no-public-key.json", "assets/empty-revocation-list.json",
    "assets/issuer-with-allowed-origins.json", "assets/issuer-with-allowed-origins-valid-starts-with.json",
    "assets/issuer-with-allowed-origins-invalid-starts-with.json",
    "assets/issuer-with-allowed-origins-valid-multiple-starts-with.json",
    "assets/issuer-with-allowed-origins-invalid-multiple-starts-with.json", "assets/issuer1.json",
    "assets/key1.json", "assets/key2.json", "assets/key3.json", "assets/organization-no-public-key.json",
    "assets/organization-with-empty-revocation-list.json", "assets/organization-with-revocation-list.json",
    "assets/organization.json", "assets/revocation-list.json", "assets/robotics-badge.json",
    "rdf-validation/valid-issuer-extension.json",
]
INVALID = {  # file -> the (path, rule) issues it must produce, exactly
    "basic-assertion-expired-before-issued.json": {("expires", "expires_after_issued_on")},
    "basic-assertion-invalid-context.json": {("@context", "context")},
}
NOT_JSON = ["redirected-validation-subject.json", "assets/openbadges_context.json"]
UNKNOWN_TYPE = ["basic-assertion-invalid-type.json", "assets/issuer-invalid-type.json",
                "assets/endorsement-1.json", "assets/endorsement-2.json", "assets/endorsement-3.json",
                "assets/endorsement-4.json", "rdf-validation/invalid-class.json", "rdf-validation/invalid-empty-type.json",
                "rdf-validation/valid-cool-class.json", "rdf-validation/valid-alignment-object.json",
                "assets/criteria-no-type.json", "assets/badgecriteria.json"]
TYPE_RULE = {  # rdf-validation unit cases: file -> (kind to check as, expected type-rule issues)
    "rdf-validation/valid-badge-class.json": ("BadgeClass", set()),
    "rdf-validation/valid-badge-class-empty-criteria-type.json": ("BadgeClass", set()),
    "rdf-validation/badge-class-invalid-issuer-type.json": ("BadgeClass", set()),
    "badge-class-with-language.json": ("BadgeClass", set()),
    "rdf-validation/invalid-class.json": ("Issuer", {("type", "type")}),
    "rdf-validation/invalid-empty-type.json": ("Issuer", {("type", "type")}),
    "rdf-validation/invalid-one-invalid-class.json": ("Issuer", {("type[1]", "type")}),
    "rdf-validation/valid-issuer-extension.json": ("Issuer", set()),
    "rdf-validation/valid-alignment-object.json": ("AlignmentObject", set()),
    "basic-assertion-invalid-type.json": ("Assertion", {("type", "type")}),
    "assets/issuer-invalid-type.json": ("Issuer", {("type", "type")}),
}


def fixture_path(conformance: Path, name: str) -> Path:
    """The one way tests reach a validator fixture (used straight from the shared conformance folder)."""
    path = conformance / ROOT / name
    assert path.is_file(), f"missing conformance fixture {path}"
    return path


def load_fixture(conformance: Path, name: str) -> Any:
    return json.loads(fixture_path(conformance, name).read_text(encoding="utf-8"))


def test_every_json_fixture_has_an_expectation(conformance: Path) -> None:
    folder = conformance / ROOT
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*.json")}
    covered = set(VALID) | set(INVALID) | set(NOT_JSON) | set(UNKNOWN_TYPE) | set(TYPE_RULE)
    assert on_disk - covered == set()
    assert covered - on_disk == set()


@pytest.mark.parametrize("name", VALID)
def test_valid_fixture_parses_validates_and_round_trips(conformance: Path, name: str) -> None:
    data = load_fixture(conformance, name)
    assert document_issues(data) == []
    doc = parse_document(fixture_path(conformance, name).read_bytes())
    assert doc.to_dict() == data


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_fixture_fails_its_rule(conformance: Path, name: str) -> None:
    data = load_fixture(conformance, name)
    assert {(i.path, i.rule) for i in document_issues(data)} == INVALID[name]
    with pytest.raises(ValidationError) as err:
        parse_document(data)
    assert not isinstance(err.value, ParseError)


@pytest.mark.parametrize("name", NOT_JSON)
def test_non_json_fixture_is_a_parse_error(conformance: Path, name: str) -> None:
    with pytest.raises(ParseError) as err:
        parse_document(fixture_path(conformance, name).read_bytes())
    assert err.value.issues[0].rule == "json"


@pytest.mark.parametrize("name", UNKNOWN_TYPE)
def test_fixture_that_is_not_one_of_our_documents_is_a_parse_error(conformance: Path, name: str) -> None:
    with pytest.raises(ParseError) as err:
        parse_document(load_fixture(conformance, name))
    assert [(i.path, i.rule) for i in err.value.issues] == [("type", "document_type")]


@pytest.mark.parametrize("name", sorted(TYPE_RULE))
def test_rdf_type_rule_on_fixture(conformance: Path, name: str) -> None:
    kind, expected = TYPE_RULE[name]
    issues = {(i.path, i.rule) for i in document_issues(load_fixture(conformance, name), kind=kind)}
    assert {i for i in issues if i[1] == "type"} == expected


@pytest.mark.parametrize("name", ["badge-class-with-language.json", "rdf-validation/valid-badge-class.json",
                                  "rdf-validation/valid-badge-class-empty-criteria-type.json",
                                  "rdf-validation/badge-class-invalid-issuer-type.json"])
def test_badge_classes_without_image_fail_only_the_image_requirement(conformance: Path, name: str) -> None:
    """The spec requires BadgeClass.image; these unit fixtures omit it and are otherwise valid (@language too)."""
    assert [(i.path, i.rule) for i in document_issues(load_fixture(conformance, name))] == [("image", "required")]


def test_external_rdf_class_is_a_well_formed_type(conformance: Path) -> None:
    data = load_fixture(conformance, "rdf-validation/valid-cool-class.json")
    assert is_type_iri(data["type"])
    assert not is_type_iri(load_fixture(conformance, "rdf-validation/invalid-class.json")["type"])


def test_criteria_and_alignment_fixtures_parse_as_nested_objects(conformance: Path) -> None:
    for name in ("assets/criteria-no-type.json", "assets/badgecriteria.json"):
        data = load_fixture(conformance, name)
        assert document_issues(data, kind="Criteria") == []
        assert Criteria.from_node(data).narrative == "Do the important things."
    alignment = Alignment.from_node(load_fixture(conformance, "rdf-validation/valid-alignment-object.json"))
    assert alignment.target_url == "http://example.com"


def test_extension_node_is_preserved_verbatim(conformance: Path) -> None:
    data = load_fixture(conformance, "assertion-with-extension-node-invalid.json")
    doc = parse_document(data)
    assert doc.extra["extensions:exampleExtension"] == data["extensions:exampleExtension"]
    assert doc.extra["@context"] == data["@context"]


def test_revocation_list_fixture_entries(conformance: Path) -> None:
    rl = parse_document(load_fixture(conformance, "assets/revocation-list.json"))
    assert rl.is_revoked("urn:uuid:6deb4a00-ebce-4b28-8cc2-afa705ef7be4")  # type: ignore[union-attr]
    entry = rl.entry_for("https://example.org/beths-robotics-badge-revoked.json")  # type: ignore[union-attr]
    assert entry is not None and entry.revocation_reason == "A good reason, for sure"
