"""OB 2.0 documents: building, compact JSON-LD output, parsing back, typed errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openbadges_core import ParseError, ValidationError
from openbadges_core.ob2 import (
    OB2_CONTEXT,
    Alignment,
    Assertion,
    BadgeClass,
    Criteria,
    CryptographicKey,
    Evidence,
    IdentityObject,
    Image,
    Issuer,
    RevocationList,
    RevokedAssertion,
    VerificationObject,
    document_issues,
    parse_document,
    validate_document,
)
from tests.core.ob2._ob2_builders import ISSUED, make_assertion, make_badge, make_issuer


def test_assertion_serialises_to_compact_json_ld_with_ob2_context() -> None:
    out = make_assertion().to_dict()
    assert list(out)[:3] == ["@context", "type", "id"]
    assert out == {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": "https://example.org/beths-robotics-badge.json",
        "recipient": {"type": "email", "identity":
                      "sha256$ecf5409f3f4b91ab60cc5ef4c02aef7032354375e70cf4d8e43f6a1d29891942",
                      "hashed": True, "salt": "deadsea"},
        "badge": "https://example.org/robotics-badge.json",
        "verification": {"type": "HostedBadge"},
        "issuedOn": "2016-12-31T23:59:59Z",
    }


def test_unset_optionals_are_omitted() -> None:
    out = make_badge().to_dict()
    assert "alignment" not in out and "tags" not in out
    assert "description" not in make_issuer().to_dict()


def test_to_json_is_compact_bytes_of_to_dict() -> None:
    doc = make_assertion()
    raw = doc.to_json()
    assert isinstance(raw, bytes) and b"\n" not in raw and b": " not in raw
    assert json.loads(raw) == doc.to_dict()


@pytest.mark.parametrize("doc", [
    make_assertion(), make_badge(), make_issuer(),
    CryptographicKey(id="https://example.org/key1.json", owner="https://example.org/organization.json",
                     public_key_pem="-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"),
    RevocationList(id="https://example.org/revocations.json",
                   revoked_assertions=("urn:uuid:6deb4a00-ebce-4b28-8cc2-afa705ef7be4",
                                       RevokedAssertion(id="https://example.org/a/1", revocation_reason="fraud"))),
], ids=lambda d: type(d).__name__)
def test_every_document_type_round_trips_and_validates(doc: object) -> None:
    data = doc.to_dict()  # type: ignore[attr-defined]
    assert document_issues(data) == []
    parsed = parse_document(json.dumps(data))
    assert type(parsed) is type(doc)
    assert parsed == doc
    assert parsed.to_dict() == data


def test_embedded_badge_and_issuer_round_trip() -> None:
    badge = make_badge(issuer=make_issuer(), alignment=[Alignment(target_name="CASE", target_url="https://case.example/1")],
                       tags=["robots", "stem"])
    doc = make_assertion(badge=badge, evidence=[Evidence(narrative="Built it"), "https://example.org/work.html"],
                         image=Image(id="https://example.org/beth.png", caption="Beth's badge"),
                         expires=ISSUED + timedelta(days=365), narrative="Well done")
    data = doc.to_dict()
    assert "@context" not in data["badge"] and "@context" not in data["badge"]["issuer"]
    assert data["badge"]["tags"] == ["robots", "stem"]
    back = Assertion.from_dict(data)
    assert back == doc
    assert isinstance(back.badge, BadgeClass) and isinstance(back.badge.issuer, Issuer)
    assert back.badge_id == "https://example.org/robotics-badge.json"
    assert back.badge.issuer_id == "https://example.org/organization.json"


def test_lists_given_as_python_lists_are_stored_as_tuples() -> None:
    badge = make_badge(tags=["a", "b"])
    assert badge.tags == ("a", "b")
    hash(badge)  # frozen and hashable


def test_documents_are_frozen() -> None:
    doc = make_assertion(extra={"endorsement": "https://example.org/e1"})
    with pytest.raises(AttributeError):
        doc.id = "https://elsewhere.example/"  # type: ignore[misc]
    with pytest.raises(TypeError):
        doc.extra["endorsement"] = "https://elsewhere.example/"  # type: ignore[index]
    assert doc == make_assertion(extra={"endorsement": "https://example.org/e1"})


def test_unknown_extension_properties_are_preserved() -> None:
    data = make_assertion().to_dict()
    data["extensions:exampleExtension"] = {"type": ["Extension", "extensions:ExampleExtension"], "x": 1}
    data["endorsement"] = ["https://example.org/endorsement-1.json"]
    doc = Assertion.from_dict(data)
    assert doc.extra["endorsement"] == ["https://example.org/endorsement-1.json"]
    assert doc.to_dict() == data


def test_single_value_kept_single_on_round_trip() -> None:
    data = make_assertion().to_dict()
    data["evidence"] = "https://example.org/beths-robot-work.html"
    doc = Assertion.from_dict(data)
    assert doc.evidence == ("https://example.org/beths-robot-work.html",)
    assert doc.to_dict()["evidence"] == "https://example.org/beths-robot-work.html"


def test_dates_keep_their_offset_and_type() -> None:
    data = make_assertion().to_dict()
    data["issuedOn"] = "2016-12-31T23:59:59+02:00"
    doc = Assertion.from_dict(data)
    assert doc.issued_on == datetime(2016, 12, 31, 21, 59, 59, tzinfo=UTC)
    assert doc.issued_on.utcoffset() == timedelta(hours=2)
    assert doc.to_dict()["issuedOn"] == "2016-12-31T23:59:59+02:00"


def test_naive_datetime_is_refused_when_building() -> None:
    with pytest.raises(ValidationError) as err:
        make_assertion(issued_on=datetime(2020, 1, 1))
    assert err.value.issues[0].rule == "datetime.timezone"


def test_parse_document_rejects_non_json_with_parse_error() -> None:
    with pytest.raises(ParseError) as err:
        parse_document(b"{not json")
    assert err.value.code == "parse_error"
    assert err.value.issues[0].rule == "json"


def test_parse_document_rejects_json_that_is_not_an_object() -> None:
    with pytest.raises(ParseError):
        parse_document("[1, 2]")


def test_parse_document_rejects_unknown_type_with_parse_error() -> None:
    data = make_assertion().to_dict() | {"type": "OtherAssertion"}
    with pytest.raises(ParseError) as err:
        parse_document(data)
    assert err.value.issues[0].path == "type"
    assert err.value.issues[0].rule == "document_type"


def test_from_dict_raises_validation_error_naming_path_and_rule() -> None:
    data = make_assertion().to_dict()
    data["recipient"]["identity"] = "sha256$nothex"
    with pytest.raises(ValidationError) as err:
        Assertion.from_dict(data)
    assert not isinstance(err.value, ParseError)
    assert [(i.path, i.rule) for i in err.value.issues] == [("recipient.identity", "identity.hash_format")]


def test_from_dict_without_validation_still_types_values() -> None:
    data = make_assertion().to_dict() | {"@context": "https://example.org/wrong"}
    doc = Assertion.from_dict(data, validate=False)
    assert doc.extra["@context"] == "https://example.org/wrong"
    with pytest.raises(ValidationError) as err:
        Assertion.from_dict(make_assertion().to_dict() | {"issuedOn": 1359217910}, validate=False)
    assert err.value.issues[0].rule == "value_type"


def test_validate_document_accepts_document_objects() -> None:
    validate_document(make_assertion())
    with pytest.raises(ValidationError) as err:
        validate_document(make_issuer(email="not-an-email"))
    assert [(i.path, i.rule) for i in err.value.issues] == [("email", "email")]


def test_verification_object_helpers() -> None:
    signed = VerificationObject.signed("https://example.org/key1.json")
    assert signed.to_dict()["creator"] == "https://example.org/key1.json"
    assert signed.is_signed and not signed.is_hosted
    assert VerificationObject(type="hosted").is_hosted


def test_revocation_list_lookup() -> None:
    rl = RevocationList(id="https://example.org/rl.json", revoked_assertions=(
        "urn:uuid:6deb4a00-ebce-4b28-8cc2-afa705ef7be4",
        RevokedAssertion(id="https://example.org/a/1", revocation_reason="fraud")))
    assert rl.is_revoked("urn:uuid:6deb4a00-ebce-4b28-8cc2-afa705ef7be4")
    entry = rl.entry_for("https://example.org/a/1")
    assert entry is not None and entry.revocation_reason == "fraud"
    assert not rl.is_revoked("https://example.org/a/2")
    assert RevocationList(id="https://example.org/empty.json").to_dict()["revokedAssertions"] == []


def test_identity_object_is_built_with_plain_identity() -> None:
    obj = IdentityObject(identity="alice@example.org")
    assert obj.to_dict()["hashed"] is False
    assert document_issues(obj) == []


@pytest.mark.parametrize(("cls", "data"), [
    (IdentityObject, {"type": "email", "hashed": False, "identity": "a@example.org"}),
    (VerificationObject, {"type": "SignedBadge", "creator": "https://example.org/key1.json"}),
    (Image, {"id": "https://example.org/i.png", "caption": "c"}),
    (Criteria, {"narrative": "Do it."}),
    (Evidence, {"id": "https://example.org/e", "genre": "essay"}),
    (Alignment, {"targetName": "x", "targetUrl": "https://x.example"}),
    (RevokedAssertion, {"id": "https://example.org/a/1", "revocationReason": "fraud"}),
], ids=lambda v: getattr(v, "__name__", ""))
def test_nested_objects_parse_and_serialise_on_their_own(cls: type[Any], data: dict[str, Any]) -> None:
    obj = cls.from_dict(data)
    assert obj.to_node() == data


@pytest.mark.parametrize(("cls", "data", "rule"), [
    (Criteria, {}, "criteria.id_or_narrative"),
    (RevokedAssertion, {"id": "nope"}, "iri"),
    (Alignment, {"targetName": "x", "targetUrl": "ftp://x"}, "url"),
    (IdentityObject, {"type": "email", "hashed": True, "identity": "x"}, "identity.hash_format"),
])
def test_nested_objects_validate_on_their_own(cls: type[Any], data: dict[str, Any], rule: str) -> None:
    with pytest.raises(ValidationError) as err:
        cls.from_dict(data)
    assert [i.rule for i in err.value.issues] == [rule]


def test_documents_pickle_copy_and_replace() -> None:
    import copy
    import dataclasses
    import pickle

    doc = make_assertion(badge=make_badge(issuer=make_issuer()), extra={"endorsement": ["https://example.org/e1"]})
    assert pickle.loads(pickle.dumps(doc)) == doc
    assert copy.deepcopy(doc) == doc
    changed = dataclasses.replace(doc, narrative="Well done")
    assert changed.narrative == "Well done" and changed.extra == doc.extra and doc.narrative is None


def test_repr_shows_the_properties_in_declaration_order_then_extra() -> None:
    issuer = make_issuer(public_key=["https://example.org/key.json"], extra={"x": 1})
    assert repr(issuer) == (
        "Issuer(type='Issuer', id='https://example.org/organization.json', name='An Example Badge Issuer', "
        "url='https://example.org', email='contact@example.org', description=None, image=None, telephone=None, "
        "public_key=('https://example.org/key.json',), revocation_list=None, verification=None, extra={'x': 1})")
