"""Typed OB 3.0 documents: build, serialise, parse (VC 2.0 and 1.1), validate, sign."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadges_core import ParseError, ValidationError
from openbadges_core._ob3._dataintegrity import sign_data_integrity, verify_data_integrity
from openbadges_core._ob3._documents import (
    Achievement,
    AchievementSubject,
    Criteria,
    Evidence,
    Image,
    OpenBadgeCredential,
    Profile,
    Result,
    hash_identity_object,
)
from openbadges_core._ob3._schema import credential_issues

OB30 = Path("examples") / "validator-ob30"


def _credential(**over: Any) -> OpenBadgeCredential:
    fields: dict[str, Any] = dict(  # noqa: C408
        id="urn:uuid:2b5f1c3e-8f1e-4c57-9a7e-6f1d2c3b4a59",
        issuer=Profile(id="https://example.edu/issuers/1", name="Example University", url="https://example.edu",
                       email="badges@example.edu", image=Image(id="https://example.edu/logo.png")),
        valid_from=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        name="Teamwork",
        credential_subject=AchievementSubject(
            identifier=(hash_identity_object("Learner@Example.org", salt="pepper"),),
            achievement=Achievement(id="https://example.edu/achievements/teamwork", name="Teamwork",
                                    description="Works well in teams.", criteria=Criteria(narrative="Peer review."),
                                    achievement_type="Badge", tag=("soft-skills",)),
            result=(Result(value="A", status="Completed"),),
        ),
        evidence=(Evidence(id="https://example.edu/evidence/1", name="Project"),),
    )
    fields.update(over)
    return OpenBadgeCredential(**fields)


def test_built_credential_has_vc2_then_ob3_context_and_validates() -> None:
    data = _credential().to_dict()
    assert data["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert data["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert data["validFrom"] == "2024-05-01T12:00:00Z"
    assert data["credentialSubject"]["achievement"]["achievementType"] == "Badge"
    assert credential_issues(data) == []


def test_identity_object_is_salted_sha256_of_normalised_email() -> None:
    identity = hash_identity_object("Learner@Example.org ", salt="pepper")
    assert identity.to_dict() == {
        "type": "IdentityObject", "identityHash": identity.identity_hash, "identityType": "emailAddress",
        "hashed": True, "salt": "pepper"}
    import hashlib
    assert identity.identity_hash == "sha256$" + hashlib.sha256(b"learner@example.orgpepper").hexdigest()
    assert identity.matches("learner@example.org")
    assert not identity.matches("someone@example.org")


def test_random_salt_by_default() -> None:
    assert hash_identity_object("a@example.org").salt != hash_identity_object("a@example.org").salt


def test_built_credential_signs_and_verifies_with_data_integrity() -> None:
    signed = sign_data_integrity(_credential().to_dict(), Ed25519PrivateKey.generate())
    assert verify_data_integrity(signed)[0].cryptosuite == "eddsa-rdfc-2022"
    parsed = OpenBadgeCredential.from_dict(signed)
    assert parsed.proof[0]["cryptosuite"] == "eddsa-rdfc-2022"


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValidationError):
        _credential(valid_from=datetime(2024, 5, 1))


def test_invalid_built_credential_fails_validate() -> None:
    bad = _credential(issuer=Profile(id="https://example.edu/i", types=("Organization",)))
    with pytest.raises(ValidationError) as info:
        bad.validate()
    assert any(i.path == "issuer" for i in info.value.issues)


@pytest.mark.parametrize("name", ["simple.json", "complete.json", "simple-context-alias.json",
                                  "simple-did-key-method.json", "simple_v1.json", "complete_v1.json",
                                  "simple-eddsa-2022.json"])
def test_fixture_round_trips_unchanged(name: str, conformance: Path) -> None:
    data = json.loads((conformance / OB30 / name).read_text())
    credential = OpenBadgeCredential.from_dict(data)
    assert credential.to_dict() == data
    assert OpenBadgeCredential.from_json(credential.to_json()).to_dict() == data


def test_vc11_dates_map_to_valid_from_and_until(conformance: Path) -> None:
    data = json.loads((conformance / OB30 / "complete_v1.json").read_text())
    credential = OpenBadgeCredential.from_dict(data)
    assert credential.vc_version == "1.1"
    assert credential.valid_from == data["issuanceDate"]
    assert credential.valid_until == data.get("expirationDate")


def test_round_tripped_signed_fixture_still_verifies(conformance: Path) -> None:
    data = json.loads((conformance / OB30 / "complete.json").read_text())
    assert verify_data_integrity(OpenBadgeCredential.from_dict(data).to_dict())


def test_parsing_a_schema_invalid_credential_lists_issues(conformance: Path) -> None:
    data = json.loads((conformance / OB30 / "simple-err-issuer-type.json").read_text())
    with pytest.raises(ValidationError) as info:
        OpenBadgeCredential.from_dict(data)
    assert info.value.issues


@pytest.mark.parametrize("text", [b"not json", b"[1, 2]", b'{"@context": "https://w3id.org/openbadges/v2"}'])
def test_non_credentials_are_parse_errors(text: bytes) -> None:
    with pytest.raises(ParseError):
        OpenBadgeCredential.from_json(text)


def test_unknown_properties_are_kept(conformance: Path) -> None:
    data = json.loads((conformance / OB30 / "simple.json").read_text())
    data["credentialSubject"]["achievement"]["version"] = "2"
    credential = OpenBadgeCredential.from_dict(data)
    assert credential.credential_subject.achievement.extra["version"] == "2"
    assert credential.to_dict() == data


def test_endorsement_credential_is_not_parsed_as_a_badge(conformance: Path) -> None:
    data = json.loads((conformance / OB30 / "endorsement-valid.json").read_text())
    with pytest.raises(ValidationError):
        OpenBadgeCredential.from_dict(data)


def test_moments_are_written_with_four_digit_years() -> None:
    """xsd:dateTime needs at least four year digits; strftime("%Y") wrote the year 999 as "999-05-01T…"."""
    credential = _credential(valid_from=datetime(999, 5, 1, 12, 0, 30, 500, tzinfo=UTC),
                             valid_until=datetime(9999, 12, 31, tzinfo=UTC), awarded_date=datetime(1, 1, 1, tzinfo=UTC))
    assert credential.valid_from == "0999-05-01T12:00:30Z"
    assert credential.valid_until == "9999-12-31T00:00:00Z"
    assert credential.awarded_date == "0001-01-01T00:00:00Z"
