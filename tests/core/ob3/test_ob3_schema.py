"""Our OB 3.0 JSON Schemas give the same verdicts as the official 1EdTech ones on every fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft201909Validator, FormatChecker

from openbadges_core import ValidationError
from openbadges_core._ob3._schema import credential_issues, expand_single_values, validate_credential

OFFICIAL = {
    "achievementcredential": "ob_v3p0_achievementcredential_schema.json",
    "endorsementcredential": "ob_v3p0_endorsementcredential_schema.json",
    "profile": "ob_v3p0_profile_schema.json",
}


def _kind(doc: dict[str, Any]) -> str | None:
    types = doc.get("type")
    types = types if isinstance(types, list) else [types]
    if "EndorsementCredential" in types:
        return "endorsementcredential"
    if "AchievementCredential" in types or "OpenBadgeCredential" in types:
        return "achievementcredential"
    if "Profile" in types:
        return "profile"
    return None


def _fixtures(conformance: Path) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for root in (conformance / "examples" / "validator-ob30", conformance / "examples" / "spec"):
        for path in sorted(root.rglob("*.json")):
            doc = json.loads(path.read_text())
            if isinstance(doc, dict) and (kind := _kind(doc)):
                out.append((f"{root.name}/{path.relative_to(root)}", kind, doc))
    return out


def _official_valid(conformance: Path, kind: str, doc: dict[str, Any]) -> bool:
    schema = json.loads((conformance / "schemas" / "ob_v3p0" / OFFICIAL[kind]).read_text())
    validator = Draft201909Validator(schema, format_checker=FormatChecker())
    return validator.is_valid(expand_single_values(doc))


def test_same_verdicts_as_official_schemas_on_every_fixture(conformance: Path) -> None:
    fixtures = _fixtures(conformance)
    assert len(fixtures) >= 50
    verdicts = {"valid": 0, "invalid": 0}
    for name, kind, doc in fixtures:
        official = _official_valid(conformance, kind, doc)
        ours = not credential_issues(doc, kind=kind)
        assert ours == official, (name, credential_issues(doc, kind=kind))
        verdicts["valid" if ours else "invalid"] += 1
    assert verdicts["valid"] > 20 and verdicts["invalid"] > 5  # both verdicts are exercised


def test_same_verdicts_on_embedded_profiles_and_endorsements(conformance: Path) -> None:
    checked = 0
    for _, _, doc in _fixtures(conformance):
        issuer = doc.get("issuer")
        if isinstance(issuer, dict):
            assert (not credential_issues(issuer, kind="profile")) == _official_valid(conformance, "profile", issuer)
            checked += 1
        for endorsement in doc.get("endorsement", []) if isinstance(doc.get("endorsement"), list) else []:
            official = _official_valid(conformance, "endorsementcredential", endorsement)
            assert (not credential_issues(endorsement, kind="endorsementcredential")) == official
            checked += 1
    assert checked > 20


def test_single_value_type_and_proof_are_accepted(conformance: Path) -> None:
    doc = json.loads((conformance / "examples" / "validator-ob30" / "simple.json").read_text())
    doc["proof"] = doc["proof"][0]
    doc["termsOfUse"] = {"type": "RefreshPolicy"}
    assert credential_issues(doc) == []
    doc["type"] = "OpenBadgeCredential"  # expanded to an array, which then lacks VerifiableCredential
    assert [i.path for i in credential_issues(doc)] == ["type"]


@pytest.mark.parametrize("mutate, path", [
    (lambda d: d.pop("validFrom"), ""),
    (lambda d: d["credentialSubject"]["achievement"].pop("criteria"), "credentialSubject.achievement"),
    (lambda d: d["issuer"].update(type=["Organization"]), "issuer"),
    (lambda d: d["credentialSubject"].update(identifier=[{"type": "IdentityObject", "hashed": True,
                                                            "identityHash": "x", "identityType": "shoeSize"}]),
     "credentialSubject.identifier.0.identityType"),
])
def test_broken_rule_is_reported_with_its_path(conformance: Path, mutate: Any, path: str) -> None:
    doc = json.loads((conformance / "examples" / "validator-ob30" / "simple.json").read_text())
    mutate(doc)
    issues = credential_issues(doc)
    assert issues and any(i.path == path or i.path.startswith(path) for i in issues), issues
    with pytest.raises(ValidationError) as info:
        validate_credential(doc)
    assert info.value.issues == issues


def test_non_object_is_an_issue_not_a_crash() -> None:
    assert credential_issues(["x"])[0].rule == "type"
