"""One test per validation rule: a valid and an invalid case, each naming the JSON path and rule."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from openbadges_core import ParseError, ValidationError
from openbadges_core._ob2._validation import RULES
from openbadges_core.ob2 import OB2_CONTEXT, document_issues, validate_document

HASH = "sha256$ecf5409f3f4b91ab60cc5ef4c02aef7032354375e70cf4d8e43f6a1d29891942"

ISSUER: dict[str, Any] = {
    "@context": OB2_CONTEXT, "type": "Issuer", "id": "https://example.org/organization.json",
    "name": "An Example Badge Issuer", "url": "https://example.org", "email": "contact@example.org",
}
BADGE: dict[str, Any] = {
    "@context": OB2_CONTEXT, "type": "BadgeClass", "id": "https://example.org/robotics-badge.json",
    "name": "Awesome Robotics Badge", "description": "For robots.", "image": "https://example.org/robotics-badge.png",
    "criteria": {"narrative": "Build a robot."}, "issuer": "https://example.org/organization.json",
}
ASSERTION: dict[str, Any] = {
    "@context": OB2_CONTEXT, "type": "Assertion", "id": "https://example.org/beths-robotics-badge.json",
    "recipient": {"type": "email", "hashed": True, "salt": "deadsea", "identity": HASH},
    "badge": "https://example.org/robotics-badge.json", "verification": {"type": "HostedBadge"},
    "issuedOn": "2016-12-31T23:59:59Z",
}
KEY: dict[str, Any] = {
    "@context": OB2_CONTEXT, "type": "CryptographicKey", "id": "https://example.org/key1.json",
    "owner": "https://example.org/organization.json",
    "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----\n",
}
REVOCATIONS: dict[str, Any] = {
    "@context": OB2_CONTEXT, "type": "RevocationList", "id": "https://example.org/revocations.json",
    "issuer": "https://example.org/organization.json",
    "revokedAssertions": ["urn:uuid:6deb4a00-ebce-4b28-8cc2-afa705ef7be4",
                          {"id": "https://example.org/a/1", "revocationReason": "fraud"}],
}
DOCS = {"Issuer": ISSUER, "BadgeClass": BADGE, "Assertion": ASSERTION, "CryptographicKey": KEY,
        "RevocationList": REVOCATIONS}


def with_(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``doc`` with the dotted ``path`` set to ``value`` (``...`` deletes it)."""
    out = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return out


def found(doc: Any, kind: str | None = None) -> set[tuple[str, str]]:
    return {(i.path, i.rule) for i in document_issues(doc, kind=kind)}


@pytest.mark.parametrize("kind", list(DOCS))
def test_base_documents_are_valid(kind: str) -> None:
    assert document_issues(DOCS[kind]) == []


# --- required / value_type -------------------------------------------------------------------------

REQUIRED = [(k, f) for k, fields in {
    "Issuer": ["id", "type", "name", "url", "email"],
    "BadgeClass": ["id", "type", "name", "description", "image", "criteria", "issuer"],
    "Assertion": ["id", "type", "recipient", "badge", "verification", "issuedOn"],
    "CryptographicKey": ["id", "type", "owner", "publicKeyPem"],
    "RevocationList": ["id", "type"],
}.items() for f in fields]


@pytest.mark.parametrize(("kind", "field"), REQUIRED)
def test_required_property_missing_is_reported(kind: str, field: str) -> None:
    assert (field, "required") in found(with_(DOCS[kind], field, ...), kind=kind)


@pytest.mark.parametrize(("path", "value"), [("recipient.identity", ...), ("recipient.hashed", ...),
                                             ("verification.type", ...)])
def test_required_nested_property_missing_is_reported(path: str, value: Any) -> None:
    assert (path, "required") in found(with_(ASSERTION, path, value))


def test_wrong_json_type_is_value_type() -> None:
    assert found(with_(BADGE, "name", 42)) == {("name", "value_type")}
    assert found(with_(BADGE, "description", ["x"])) == {("description", "value_type")}
    assert found(with_(ISSUER, "description", 1)) == {("description", "value_type")}
    assert found(with_(ASSERTION, "revoked", "yes")) == {("revoked", "value_type")}
    assert found(with_(ASSERTION, "revoked", True)) == set()


EXPECTED_TYPE = {"Issuer": "Issuer", "BadgeClass": "BadgeClass", "Assertion": "Assertion",
                 "CryptographicKey": "CryptographicKey", "RevocationList": "RevocationList"}


@pytest.mark.parametrize("kind", list(DOCS))
def test_each_document_type_rejects_a_foreign_type(kind: str) -> None:
    other = "Criteria"
    assert ("type", "type") in found(with_(DOCS[kind], "type", other), kind=kind)
    assert found(with_(DOCS[kind], "type", [EXPECTED_TYPE[kind], "http://example.com/Extra"])) == set()


@pytest.mark.parametrize("kind", list(DOCS))
def test_each_document_type_checks_its_id_is_an_iri(kind: str) -> None:
    assert found(with_(DOCS[kind], "id", "relative/path.json")) == {("id", "iri")}


@pytest.mark.parametrize("kind", list(DOCS))
def test_each_document_type_needs_the_ob2_context(kind: str) -> None:
    assert found(with_(DOCS[kind], "@context", "https://w3id.org/openbadges/v1")) == {("@context", "context")}


def test_mappings_that_are_not_dicts_are_accepted() -> None:
    from types import MappingProxyType

    assert found(MappingProxyType(ASSERTION)) == set()


# --- context -----------------------------------------------------------------------------------------

def test_context_missing_or_foreign_is_reported() -> None:
    assert found(with_(ASSERTION, "@context", ...)) == {("@context", "context")}
    assert found(with_(ASSERTION, "@context", "https://w3id.org/openbadges/invalid")) == {("@context", "context")}


def test_context_list_holding_ob2_with_extension_contexts_is_valid() -> None:
    doc = with_(ASSERTION, "@context", [OB2_CONTEXT, "https://example.org/extension/context.json"])
    assert found(doc) == set()


def test_inline_context_must_agree_with_ob2() -> None:
    inline = json.loads((__import__("openbadges_core._resources", fromlist=["x"])
                         .data_path("contexts", "openbadges_v2.json")).read_text())["@context"]
    assert found(with_(ISSUER, "@context", inline)) == set()
    conflicting = dict(inline, Issuer="http://example.com/NotAnIssuer")
    assert found(with_(ISSUER, "@context", conflicting)) == {("@context", "context")}


def test_embedded_documents_need_no_context() -> None:
    embedded = {k: v for k, v in BADGE.items() if k != "@context"}
    assert found(with_(ASSERTION, "badge", embedded)) == set()


# --- type --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["Assertion", ["Assertion"], ["Assertion", "http://example.com/CoolClass"],
                                   "obi:Assertion", "https://w3id.org/openbadges#Assertion"])
def test_type_accepts_term_list_compact_and_full_iri(value: Any) -> None:
    assert found(with_(ASSERTION, "type", value)) == set()


def test_type_must_contain_the_expected_class() -> None:
    assert ("type", "type") in found(with_(ASSERTION, "type", "BadgeClass"), kind="Assertion")


def test_type_entries_must_be_context_terms_or_iris() -> None:
    assert found(with_(ISSUER, "type", ["Issuer", "UNKNOWN"])) == {("type[1]", "type")}


def test_type_must_not_be_empty() -> None:
    assert ("type", "type") in found(with_(ISSUER, "type", []), kind="Issuer")


def test_issuer_type_may_be_profile() -> None:
    assert found(with_(ISSUER, "type", "Profile")) == set()


def test_verification_type_must_be_hosted_or_signed() -> None:
    for ok in ("hosted", "HostedBadge", "signed", "SignedBadge"):
        assert found(with_(ASSERTION, "verification.type", ok)) == set()
    assert found(with_(ASSERTION, "verification.type", "VerificationObject")) == {
        ("verification.type", "verification.type")}


# --- IRIs, URLs ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["https://example.org/a", "http://example.org/a?x=1#f",
                                   "urn:uuid:2d391246-6e0d-4dab-906c-b29770bd7aa6", "_:b0"])
def test_iri_accepts_http_urn_uuid_and_blank_nodes(value: str) -> None:
    assert found(with_(ASSERTION, "id", value)) == set()


@pytest.mark.parametrize("value", ["ftp://example.org/a", "example.org/a", "urn:isbn:0451450523",
                                   "urn:uuid:not-a-uuid", "https://exa mple.org/", "obi:thing", "_:", "mailto:a@b.org"])
def test_iri_rejects_other_schemes_and_malformed_values(value: str) -> None:
    assert found(with_(ASSERTION, "id", value)) == {("id", "iri")}


@pytest.mark.parametrize(("doc", "path"), [(ASSERTION, "badge"), (BADGE, "issuer"), (BADGE, "criteria"),
                                           (ISSUER, "revocationList"), (KEY, "owner"), (ISSUER, "publicKey"),
                                           (ASSERTION, "verification.creator"), (REVOCATIONS, "revokedAssertions.0")])
def test_every_id_valued_property_is_checked_as_iri(doc: dict[str, Any], path: str) -> None:
    expected = path.replace(".0", "[0]")
    assert found(with_(doc, path, "not an iri")) == {(expected, "iri")}


def test_image_accepts_data_image_uri_and_image_objects() -> None:
    data = "data:image/png;base64,iVBORw0KGgo="
    assert found(with_(BADGE, "image", data)) == set()
    assert found(with_(BADGE, "image", {"id": "https://example.org/i.png", "caption": "c"})) == set()
    assert found(with_(BADGE, "image", "data:text/html,<script>")) == {("image", "iri")}
    assert found(with_(BADGE, "image", {"caption": "no id"})) == {("image.id", "required")}


def test_evidence_items_are_iris_or_objects() -> None:
    doc = with_(ASSERTION, "evidence", ["https://example.org/w.html", {"narrative": "did it"}, "nope"])
    assert found(doc) == {("evidence[2]", "iri")}


@pytest.mark.parametrize(("doc", "path"), [(ISSUER, "url"), (ISSUER, "verification")])
def test_url_properties_must_be_http_urls(doc: dict[str, Any], path: str) -> None:
    if path == "verification":
        bad = with_(doc, path, {"startsWith": "ftp://example.org/"})
        assert found(bad) == {("verification.startsWith", "url")}
    else:
        assert found(with_(doc, path, "mailto:contact@example.org")) == {("url", "url")}
        assert found(with_(doc, path, "http://example.org")) == set()


def test_alignment_target_url_must_be_a_url() -> None:
    good = {"targetName": "CASE item", "targetUrl": "https://case.example/1"}
    assert found(with_(BADGE, "alignment", [good])) == set()
    assert found(with_(BADGE, "alignment", [dict(good, targetUrl="case item 1")])) == {
        ("alignment[0].targetUrl", "url")}
    assert found(with_(BADGE, "alignment", [{"targetName": "x"}])) == {("alignment[0].targetUrl", "required")}


def test_allowed_origins_are_host_names() -> None:
    for ok in ("example.org", ["example.com", "example.org"], "badges.example.org:8443"):
        assert found(with_(ISSUER, "verification", {"allowedOrigins": ok})) == set()
    bad = with_(ISSUER, "verification", {"allowedOrigins": ["example.org", "https://example.org/"]})
    assert found(bad) == {("verification.allowedOrigins[1]", "url_authority")}
    arabic_port = with_(ISSUER, "verification", {"allowedOrigins": "example.org:\u0668\u0660"})  # ":٨٠"
    assert found(arabic_port) == {("verification.allowedOrigins", "url_authority")}


def test_starts_with_may_be_a_string_or_list_of_urls() -> None:
    assert found(with_(ISSUER, "verification", {"startsWith": ["https://example.org/", "http://example.com/a"]})) == set()


def test_verification_property_is_a_compact_iri() -> None:
    for ok in ("id", "obi:issuer", "https://w3id.org/openbadges#issuer", "url"):
        assert found(with_(ISSUER, "verification", {"verificationProperty": ok})) == set()
    assert found(with_(ISSUER, "verification", {"verificationProperty": "nonsense"})) == {
        ("verification.verificationProperty", "compact_iri")}


# --- emails, telephones --------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["contact", "contact@", "@example.org", "a b@example.org", "a@example", "a@@b.org"])
def test_email_must_look_like_an_email(value: str) -> None:
    assert found(with_(ISSUER, "email", value)) == {("email", "email")}


def test_unhashed_email_identity_must_look_like_an_email() -> None:
    plain = {"type": "email", "hashed": False, "identity": "nobody@example.org"}
    assert found(with_(ASSERTION, "recipient", plain)) == set()
    assert found(with_(ASSERTION, "recipient", dict(plain, identity="nobody"))) == {("recipient.identity", "email")}


def test_unhashed_url_and_telephone_identities_are_checked() -> None:
    assert found(with_(ASSERTION, "recipient", {"type": "url", "hashed": False, "identity": "alice"})) == {
        ("recipient.identity", "url")}
    assert found(with_(ASSERTION, "recipient", {"type": "telephone", "hashed": False, "identity": "+16175551212"})) \
        == set()
    assert found(with_(ASSERTION, "recipient", {"type": "telephone", "hashed": False, "identity": "555-1212"})) == {
        ("recipient.identity", "telephone")}


def test_telephone_must_be_e164() -> None:
    assert found(with_(ISSUER, "telephone", "+16175551212")) == set()
    assert found(with_(ISSUER, "telephone", "+1 617 555 1212")) == {("telephone", "telephone")}
    for digits in ("+\u0661\u0666\u0661\u0667\u0665\u0665\u0665\u0661\u0662\u0661\u0662",  # Arabic-Indic
                   "+16175551212;ext=\u0663", "+1617555121\u00b2"):  # \d matched the first two
        assert found(with_(ISSUER, "telephone", digits)) == {("telephone", "telephone")}, digits


# --- dates -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["2016-12-31T23:59:59Z", "2016-12-31T23:59:59.123+02:00",
                                   "2016-12-31T23:59:59-0500", "2016-12-31T23:59Z"])
def test_datetime_with_timezone_is_valid(value: str) -> None:
    assert found(with_(ASSERTION, "issuedOn", value)) == set()


@pytest.mark.parametrize("value", ["2016-12-31T23:59:59", "2016-12-31T23:59:59.5"])
def test_datetime_without_timezone_is_reported(value: str) -> None:
    assert found(with_(ASSERTION, "issuedOn", value)) == {("issuedOn", "datetime.timezone")}


@pytest.mark.parametrize("value", ["2016-13-31T23:59:59Z", "2016-12-31", "yesterday", "2016-12-31 23:59:59Z", ""])
def test_malformed_datetime_is_reported(value: str) -> None:
    rules = found(with_(ASSERTION, "expires", value))
    assert rules and all(path == "expires" for path, _ in rules)
    assert rules & {("expires", "datetime"), ("expires", "schema.minLength")}


def test_unix_timestamps_of_ob1_are_not_ob2_dates() -> None:
    assert found(with_(ASSERTION, "issuedOn", 1359217910)) == {("issuedOn", "value_type")}


def test_expires_must_be_after_issued_on() -> None:
    assert found(with_(ASSERTION, "expires", "2017-06-30T23:59:59Z")) == set()
    assert found(with_(ASSERTION, "expires", "2016-11-15T23:59:59Z")) == {("expires", "expires_after_issued_on")}
    assert found(with_(ASSERTION, "expires", "2016-12-31T23:59:59Z")) == {("expires", "expires_after_issued_on")}
    # compared as instants, not strings: 01:00+02:00 is before 23:59:59Z of the previous day
    assert found(with_(ASSERTION, "expires", "2017-01-01T01:00:00+02:00")) == {("expires", "expires_after_issued_on")}


# --- identity --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [HASH, HASH.upper().replace("SHA256", "sha256"),
                                   "md5$" + "a" * 32])
def test_hashed_identity_format_valid(value: str) -> None:
    assert found(with_(ASSERTION, "recipient.identity", value)) == set()


@pytest.mark.parametrize("value", ["sha256$abc", "sha1$" + "a" * 40, "md5$" + "a" * 64, "nobody@example.org",
                                   HASH + "0", "sha256$" + "g" * 64])
def test_hashed_identity_format_invalid(value: str) -> None:
    assert found(with_(ASSERTION, "recipient.identity", value)) == {("recipient.identity", "identity.hash_format")}


def test_identity_type_must_be_known() -> None:
    assert found(with_(ASSERTION, "recipient.type", "phone")) == {("recipient.type", "identity.type")}
    assert found(with_(ASSERTION, "recipient.type", "url")) == set()


# --- criteria, revocation entries, keys -----------------------------------------------------------------

@pytest.mark.parametrize("value", ["https://example.org/criteria", {"id": "https://example.org/criteria"},
                                   {"narrative": "Do it."}, {"id": "_:b0", "narrative": "Do it."}])
def test_criteria_with_id_or_narrative_is_valid(value: Any) -> None:
    assert found(with_(BADGE, "criteria", value)) == set()


@pytest.mark.parametrize("value", [{}, {"type": "Criteria"}])
def test_criteria_without_id_or_narrative_is_reported(value: Any) -> None:
    assert found(with_(BADGE, "criteria", value)) == {("criteria", "criteria.id_or_narrative")}


def test_revoked_assertion_entry_needs_an_id() -> None:
    doc = with_(REVOCATIONS, "revokedAssertions", [{"revocationReason": "why"}])
    assert found(doc) == {("revokedAssertions[0]", "revoked_assertion.id")}
    assert found(with_(REVOCATIONS, "revokedAssertions", [])) == set()


def test_public_key_pem_must_hold_a_pem_public_key() -> None:
    assert found(with_(KEY, "publicKeyPem", "MIIBIjANBgkq")) == {("publicKeyPem", "public_key_pem")}


def test_nested_documents_are_validated_with_their_paths() -> None:
    embedded_issuer = {k: v for k, v in ISSUER.items() if k != "@context"} | {"email": "nope"}
    badge = {k: v for k, v in BADGE.items() if k != "@context"} | {"issuer": embedded_issuer}
    assert found(with_(ASSERTION, "badge", badge)) == {("badge.issuer.email", "email")}


def test_non_json_input_is_rule_json() -> None:
    assert found("{not json") == {("", "json")}
    assert found(json.dumps(ASSERTION)) == set()


def test_unknown_document_type_is_rule_document_type() -> None:
    assert found(with_(ASSERTION, "type", "OtherAssertion")) == {("type", "document_type")}
    assert found(with_(ASSERTION, "type", ...)) == {("type", "document_type")}


# --- API behaviour -------------------------------------------------------------------------------------

def test_document_issues_never_raises_on_bad_content() -> None:
    for bad in (b"\xff\xfe", "not json", "[]", 42, None, {"type": 7}, {"type": ["Assertion", {}]},
                {"type": "Assertion", "recipient": [], "badge": 3, "evidence": {"id": 5}, "verification": "x"}):
        issues = document_issues(bad)
        assert issues, bad
        assert all(i.rule in RULES or i.rule.startswith("schema.") for i in issues)


def test_validate_document_raises_with_every_issue() -> None:
    bad = with_(with_(ASSERTION, "expires", "2000-01-01T00:00:00Z"), "recipient.identity", "sha256$0")
    with pytest.raises(ValidationError) as err:
        validate_document(bad)
    assert {(i.path, i.rule) for i in err.value.issues} == {
        ("expires", "expires_after_issued_on"), ("recipient.identity", "identity.hash_format")}
    assert "expires" in str(err.value) and err.value.code == "validation_error"


def test_validate_document_raises_parse_error_for_non_documents() -> None:
    with pytest.raises(ParseError):
        validate_document("{")
    with pytest.raises(ParseError):
        validate_document({"type": "Nope"})


def test_kind_forces_the_document_type_and_accepts_nested_kinds() -> None:
    assert found({"narrative": "Do the important things."}, kind="Criteria") == set()
    assert found({"targetName": "x", "targetUrl": "https://x.example"}, kind="AlignmentObject") == set()
    assert found({"type": "email", "hashed": True, "identity": "x"}, kind="IdentityObject") == {
        ("identity", "identity.hash_format")}
    with pytest.raises(ValueError):
        document_issues(ISSUER, kind="Nope")


def test_every_rule_is_documented_and_exercised() -> None:
    """Guard: each named rule has an entry in RULES (the docs list) and a test mentioning it here."""
    source = Path(__file__).read_text(encoding="utf-8")
    untested = [rule for rule in RULES if f'"{rule}"' not in source.split("def test_every_rule")[0]]
    assert untested == []
