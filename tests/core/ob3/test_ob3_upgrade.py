"""OB 2.0 -> OB 3.0 upgrade: official fixtures, field-by-field mapping, recipients, ids, errors, signing."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import openbadges_core as ob
from openbadges_core import (
    BlockedAddressError,
    FetchResponse,
    HTTPStatusError,
    ParseError,
    UpgradeError,
    ValidationError,
    VerifyOptions,
    generate_key,
    ob2,
)
from openbadges_core._ob3._multibase import ed25519_multikey
from openbadges_core._upgrade import OB2_ASSERTION_TYPE, OB2_BADGE_CLASS_TYPE
from openbadges_core.ob2 import Alignment, Evidence, Image, hash_identity
from openbadges_core.ob2 import IdentityObject as OB2Identity
from openbadges_core.ob3 import (
    credential_issues,
    sign_data_integrity,
    sign_vc_jwt,
    upgrade_assertion,
    verify_data_integrity,
    verify_vc_jwt,
)
from tests.conftest import CONFORMANCE
from tests.core.ob2._ob2_builders import ISSUED, make_assertion, make_badge, make_issuer
from tests.core.ob2.test_ob2_fixtures import VALID


def _valid_assertions() -> list[str]:
    """The Assertions among the validator's valid OB 2.0 fixtures (tests/core/ob2/test_ob2_fixtures.py says which)."""
    folder = CONFORMANCE / "examples" / "validator-ob20"
    return [name for name in VALID if "/" not in name and (folder / name).is_file()
            and json.loads((folder / name).read_text()).get("type") == "Assertion"]


VALID_ASSERTIONS = _valid_assertions()
_ED25519 = generate_key("EdDSA")
_ES256 = generate_key("ES256")
_MULTIKEY = ed25519_multikey(_ED25519.cryptography_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
_DID_KEY = f"did:key:{_MULTIKEY}#{_MULTIKEY}"


class AssetFetcher:
    """Serves ``http(s)://example.org/<name>`` from the fixtures' ``assets/`` folder; records the URLs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.urls: list[str] = []

    def fetch(self, url: str, *, accept: str = "", timeout: float | None = None) -> FetchResponse:
        self.urls.append(url)
        path = self.folder / "assets" / url.split("example.org/", 1)[-1]
        if path.is_file():
            return FetchResponse(url, 200, "application/ld+json", path.read_bytes())
        return FetchResponse(url, 404, "text/plain", b"not found")


class StaticFetcher:
    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body

    def fetch(self, url: str, *, accept: str = "", timeout: float | None = None) -> FetchResponse:
        return FetchResponse(url, self.status, "application/json", self.body)


@pytest.fixture
def ob20(conformance: Path) -> Path:
    return conformance / "examples" / "validator-ob20"


def _embedded(**assertion_changes: Any) -> dict[str, Any]:
    """An assertion with its badge class and issuer embedded (no fetching)."""
    badge = make_badge(issuer=make_issuer())
    return make_assertion(badge=badge, **assertion_changes).to_dict()


# --- the official fixtures --------------------------------------------------------------------------------

def _served(ob20: Path, value: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    result: dict[str, Any] = json.loads((ob20 / "assets" / value.split("example.org/", 1)[1]).read_text())
    return result


@pytest.mark.parametrize("name", VALID_ASSERTIONS)
def test_every_valid_official_assertion_upgrades_to_a_schema_valid_credential(ob20: Path, name: str) -> None:
    assertion = json.loads((ob20 / name).read_text())
    fetcher = AssetFetcher(ob20)
    credential = upgrade_assertion(assertion, options=VerifyOptions(fetcher=fetcher))
    data = credential.to_dict()
    assert credential_issues(data) == []
    if isinstance(assertion["badge"], str):  # linked: it came over the fetcher
        assert fetcher.urls[0] == assertion["badge"]
    badge = _served(ob20, assertion["badge"])
    issuer_id = _served(ob20, badge["issuer"])["id"]  # the document's own id (may differ from its URL)
    achievement = data["credentialSubject"]["achievement"]
    assert achievement["name"] == badge["name"] == data["name"]
    assert achievement["description"] == badge["description"]
    assert achievement["related"][0]["id"] == badge["id"]
    assert data["issuer"]["id"] == issuer_id
    assert data["issuer"]["otherIdentifier"][0]["identifier"] == issuer_id
    assert data["validFrom"] == data["awardedDate"]
    assert data["credentialSubject"]["identifier"][0]["identityHash"] == assertion["recipient"]["identity"]
    assert "extensions:" not in json.dumps(data)  # extension nodes are not carried (undefined in OB 3.0)
    signed = sign_data_integrity(data, _ED25519.cryptography_key, verification_method=_DID_KEY)
    assert verify_data_integrity(signed)  # signing canonicalizes strictly: every term is defined
    token = sign_vc_jwt(data, _ES256)
    assert verify_vc_jwt(token, trusted_keys=[_ES256.public_key]).credential == data


def test_official_assertion_upgrades_offline_from_preloaded_documents(ob20: Path) -> None:
    documents = {url: json.loads((ob20 / "assets" / name).read_text()) for url, name in (
        ("https://example.org/robotics-badge.json", "robotics-badge.json"),
        ("https://example.org/organization.json", "organization.json"))}

    class NoNetwork:
        def fetch(self, url: str, **_: Any) -> FetchResponse:
            raise AssertionError(f"fetched {url}")

    credential = upgrade_assertion(json.loads((ob20 / "basic-assertion.json").read_text()),
                                   options=VerifyOptions(fetcher=NoNetwork(), documents=documents))
    assert credential.issuer_id == "https://example.org/organization.json"
    # the official recipient (nobody@example.org, salt deadsea) still matches after the upgrade
    assert credential.credential_subject.identifier[0].matches("nobody@example.org")
    assert not credential.credential_subject.identifier[0].matches("somebody@example.org")


def test_assertion_given_as_url_is_fetched_too(ob20: Path) -> None:
    assertion = (ob20 / "basic-assertion.json").read_bytes()
    assets = AssetFetcher(ob20)

    class WithAssertion:
        def fetch(self, url: str, **kw: Any) -> FetchResponse:
            if url == "https://example.org/beths-robotics-badge.json":
                return FetchResponse(url, 200, "application/ld+json", assertion)
            return assets.fetch(url, **kw)

    credential = upgrade_assertion("https://example.org/beths-robotics-badge.json",
                                   options=VerifyOptions(fetcher=WithAssertion()))
    assert [e.id for e in credential.evidence][-1] == "https://example.org/beths-robotics-badge.json"


# --- field-by-field ----------------------------------------------------------------------------------------

def test_assertion_fields_map_to_the_credential() -> None:
    expires = ISSUED.replace(year=2030)
    data = upgrade_assertion(_embedded(
        expires=expires, narrative="Built a line follower.", image=Image(id="https://example.org/baked.png"),
        evidence=("https://example.org/work.html",
                  Evidence(id="https://example.org/video", name="Video", description="The robot running",
                           narrative="It ran 2 m.", genre="video", audience="teachers")),
    )).to_dict()
    assert data["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert data["validFrom"] == data["awardedDate"] == "2016-12-31T23:59:59Z"
    assert data["validUntil"] == "2030-12-31T23:59:59Z"
    assert data["image"] == {"id": "https://example.org/baked.png", "type": "Image"}
    assert data["credentialSubject"]["narrative"] == "Built a line follower."
    assert data["evidence"][0] == {"id": "https://example.org/work.html", "type": ["Evidence"]}
    assert data["evidence"][1] == {"id": "https://example.org/video", "type": ["Evidence"], "name": "Video",
                                   "description": "The robot running", "narrative": "It ran 2 m.",
                                   "genre": "video", "audience": "teachers"}
    original = data["evidence"][2]  # the guide's link back to the OB 2.0 assertion
    assert original["id"] == "https://example.org/beths-robotics-badge.json"
    assert original["type"] == ["Evidence", OB2_ASSERTION_TYPE]
    assert "verification" not in data and "proof" not in data
    assert credential_issues(data) == []


def test_badge_class_fields_map_to_the_achievement() -> None:
    badge = make_badge(
        issuer=make_issuer(), criteria=ob2.Criteria(id="https://example.org/criteria", narrative="Build a robot."),
        image=ob2.Image(id="https://example.org/badge.png", caption="A robot"), tags=("robots", "stem"),
        alignment=(Alignment(target_name="Robotics", target_url="https://example.org/frameworks/robotics",
                             target_description="Builds robots", target_framework="STEM", target_code="R1"),),
        extra={"@language": "en-GB"})
    data = upgrade_assertion(make_assertion(badge=badge).to_dict()).to_dict()
    achievement = data["credentialSubject"]["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["id"].startswith("urn:uuid:")
    assert (achievement["name"], achievement["description"]) == (badge.name, badge.description)
    assert achievement["criteria"] == {"id": "https://example.org/criteria", "narrative": "Build a robot."}
    assert achievement["image"] == {"id": "https://example.org/badge.png", "type": "Image", "caption": "A robot"}
    assert achievement["tag"] == ["robots", "stem"]
    assert achievement["alignment"] == [{
        "type": ["Alignment"], "targetName": "Robotics", "targetUrl": "https://example.org/frameworks/robotics",
        "targetCode": "R1", "targetDescription": "Builds robots", "targetFramework": "STEM"}]
    assert achievement["inLanguage"] == "en-GB"
    assert achievement["related"] == [{"type": ["Related", OB2_BADGE_CLASS_TYPE], "id": badge.id,
                                       "version": "Open Badges v2p0"}]
    assert achievement["creator"] == {"id": "https://example.org/organization.json", "type": ["Profile"],
                                      "name": "An Example Badge Issuer"}
    assert credential_issues(data) == []


def test_criteria_given_as_a_url_becomes_criteria_id() -> None:
    badge = make_badge(issuer=make_issuer(), criteria="https://example.org/criteria.html")
    data = upgrade_assertion(make_assertion(badge=badge)).to_dict()
    assert data["credentialSubject"]["achievement"]["criteria"] == {"id": "https://example.org/criteria.html"}


def test_issuer_fields_map_to_the_profile_and_keep_the_ob2_id() -> None:
    issuer = make_issuer(telephone="+441234567890", description="Robots for all",
                         image="https://example.org/logo.png")
    data = upgrade_assertion(make_assertion(badge=make_badge(issuer=issuer)),
                             issuer_id="did:web:example.org").to_dict()
    profile = data["issuer"]
    assert profile["id"] == "did:web:example.org"
    assert (profile["name"], profile["url"], profile["email"]) == (issuer.name, issuer.url, issuer.email)
    assert profile["phone"] == "+441234567890"
    assert profile["description"] == "Robots for all"
    assert profile["image"] == {"id": "https://example.org/logo.png", "type": "Image"}
    assert profile["otherIdentifier"] == [{"type": "IdentifierEntry", "identifierType": "identifier",
                                           "identifier": "https://example.org/organization.json"}]
    assert data["credentialSubject"]["achievement"]["creator"]["id"] == "did:web:example.org"
    assert credential_issues(data) == []


def test_ids_are_stable_and_can_be_chosen() -> None:
    first = upgrade_assertion(_embedded())
    again = upgrade_assertion(_embedded())
    assert first.id == again.id and first.id.startswith("urn:uuid:")
    assert first.credential_subject.achievement.id == again.credential_subject.achievement.id
    other = upgrade_assertion(_embedded(id="https://example.org/assertions/2"))
    assert other.id != first.id
    chosen = upgrade_assertion(_embedded(), credential_id="urn:uuid:00000000-0000-4000-8000-000000000001",
                               achievement_id="https://example.org/badge.json")
    assert chosen.id == "urn:uuid:00000000-0000-4000-8000-000000000001"
    assert chosen.credential_subject.achievement.id == "https://example.org/badge.json"


@pytest.mark.parametrize(("name", "value"), [("credential_id", "not a uri"), ("achievement_id", "badge.json"),
                                             ("issuer_id", ""), ("issuer_id", "https://example.org/a b")])
def test_chosen_ids_must_be_absolute_uris(name: str, value: str) -> None:
    with pytest.raises(UpgradeError, match=name):
        upgrade_assertion(_embedded(), **{name: value})


def test_keeping_the_badge_class_id_drops_the_self_related_entry() -> None:
    kept = upgrade_assertion(_embedded(), achievement_id="https://example.org/robotics-badge.json")
    assert "related" not in kept.credential_subject.achievement.to_dict()


def test_urn_uuid_assertion_gets_no_evidence_link() -> None:
    data = upgrade_assertion(_embedded(id="urn:uuid:6b6f1a2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b")).to_dict()
    assert "evidence" not in data


def test_json_text_and_bytes_are_read_as_documents() -> None:
    expected = upgrade_assertion(_embedded())
    assert upgrade_assertion(json.dumps(_embedded())) == expected
    assert upgrade_assertion(json.dumps(_embedded()).encode()) == expected
    assert upgrade_assertion(make_assertion().to_json(), make_badge().to_json(), make_issuer().to_json()) == \
        upgrade_assertion(make_assertion(), make_badge(), make_issuer())
    with pytest.raises(ParseError):
        upgrade_assertion('{"not": json')


def test_typed_documents_and_separate_badge_and_issuer() -> None:
    credential = upgrade_assertion(make_assertion(), make_badge(), make_issuer())
    assert credential.issuer_id == "https://example.org/organization.json"
    from_dicts = upgrade_assertion(make_assertion().to_dict(), make_badge().to_dict(), make_issuer().to_dict())
    assert from_dicts == credential


# --- recipients ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("recipient", "identity_type", "plaintext"), [
    (hash_identity("Ada@Example.org", salt="pepper"), "emailAddress", "ada@example.org"),
    (OB2Identity(type="email", identity="ada@example.org", hashed=False), "emailAddress", "ada@example.org"),
    (hash_identity("https://ada.example.org/", type="url"), "ext:url", "https://ada.example.org/"),
    (OB2Identity(type="url", identity="https://ada.example.org/", hashed=False), "ext:url",
     "https://ada.example.org/"),
    (hash_identity("+441234567890", type="telephone", salt="s"), "ext:telephone", "+441234567890"),
    (OB2Identity(type="telephone", identity="+441234567890", hashed=False), "ext:telephone", "+441234567890"),
])
def test_recipient_becomes_an_identity_object(recipient: OB2Identity, identity_type: str, plaintext: str) -> None:
    credential = upgrade_assertion(_embedded(recipient=recipient))
    (identity,) = credential.credential_subject.identifier
    assert identity.identity_type == identity_type
    assert identity.hashed is recipient.hashed
    assert identity.identity_hash == recipient.identity
    assert identity.salt == recipient.salt
    assert identity.matches(plaintext)
    assert not identity.matches(plaintext + "x")
    assert credential_issues(credential.to_dict()) == []


# --- signing the result -------------------------------------------------------------------------------------

@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_upgraded_credential_signs_and_verifies_as_vc_jwt(alg: str) -> None:
    key = generate_key(alg)
    credential = upgrade_assertion(_embedded(expires=ISSUED.replace(year=2099)))
    result = verify_vc_jwt(sign_vc_jwt(credential, key), trusted_keys=[key.public_key])
    assert result.credential == credential.to_dict()
    assert result.issuer_trusted


def test_upgraded_credential_signs_and_verifies_with_data_integrity() -> None:
    key = generate_key("EdDSA")
    data = upgrade_assertion(_embedded(evidence=("https://example.org/work.html",))).to_dict()
    signed = sign_data_integrity(data, key.cryptography_key)
    (proof,) = verify_data_integrity(signed)
    assert proof.verification_method.startswith("https://example.org/organization.json#z6Mk")
    assert proof.issuer_bound
    tampered = json.loads(json.dumps(signed))
    tampered["issuer"]["otherIdentifier"][0]["identifier"] = "https://evil.example/"
    with pytest.raises(ob.SignatureError):
        verify_data_integrity(tampered)


# --- errors -------------------------------------------------------------------------------------------------

def test_revoked_assertion_is_refused() -> None:
    with pytest.raises(UpgradeError, match="revoked.*cheating"):
        upgrade_assertion(_embedded(revoked=True, revocation_reason="cheating"))


def test_hosted_assertion_gone_is_refused_as_revoked() -> None:
    with pytest.raises(UpgradeError, match="410.*revoked"):
        upgrade_assertion("https://example.org/assertions/1",
                          options=VerifyOptions(fetcher=StaticFetcher(410, b'{"revoked": true}')))


def test_invalid_ob2_assertion_is_a_validation_error() -> None:
    data = _embedded()
    del data["recipient"]
    with pytest.raises(ValidationError) as info:
        upgrade_assertion(data)
    assert ("recipient", "required") in {(i.path, i.rule) for i in info.value.issues}


def test_invalid_embedded_badge_class_is_a_validation_error() -> None:
    data = _embedded()
    del data["badge"]["criteria"]
    with pytest.raises(ValidationError):
        upgrade_assertion(data)


def test_badge_not_found_is_an_http_status_error() -> None:
    with pytest.raises(HTTPStatusError) as info:
        upgrade_assertion(make_assertion(), options=VerifyOptions(fetcher=StaticFetcher(404, b"gone")))
    assert info.value.status_code == 404


def test_badge_that_is_not_json_is_an_upgrade_error() -> None:
    with pytest.raises(UpgradeError, match="JSON object"):
        upgrade_assertion(make_assertion(), options=VerifyOptions(fetcher=StaticFetcher(200, b"<html>")))


def test_default_fetcher_refuses_loopback_addresses() -> None:
    with pytest.raises(BlockedAddressError):
        upgrade_assertion(make_assertion(badge="http://127.0.0.1:9/badge.json"))


def test_badge_that_is_neither_embedded_nor_a_url_is_an_upgrade_error() -> None:
    with pytest.raises(UpgradeError, match="neither embedded nor an http"):
        upgrade_assertion(make_assertion(badge="urn:uuid:6b6f1a2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"))


def test_mismatched_badge_class_or_issuer_is_an_upgrade_error() -> None:
    with pytest.raises(UpgradeError, match="badge class given"):
        upgrade_assertion(make_assertion(), make_badge(id="https://example.org/other.json"), make_issuer())
    with pytest.raises(UpgradeError, match="issuer given"):
        upgrade_assertion(make_assertion(), make_badge(), make_issuer(id="https://example.org/other.json"))


@pytest.mark.parametrize("value", [42, ["a list"], None])
def test_unusable_assertion_value_is_an_upgrade_error(value: Any) -> None:
    with pytest.raises(UpgradeError):
        upgrade_assertion(value)  # type: ignore[arg-type]


def test_wrong_typed_document_is_an_upgrade_error() -> None:
    with pytest.raises(UpgradeError, match="expected an OB 2.0 Assertion"):
        upgrade_assertion(make_badge())  # type: ignore[arg-type]


def test_unknown_recipient_type_that_cannot_be_an_extension_is_an_upgrade_error() -> None:
    recipient = dataclasses.replace(hash_identity("x@example.org"), type="http://schema.org/email")
    data = _embedded()
    data["recipient"] = recipient.to_node()
    with pytest.raises((UpgradeError, ValidationError)):
        upgrade_assertion(data)


def test_errors_are_library_errors_with_stable_codes() -> None:
    with pytest.raises(ob.OpenBadgesError) as info:
        upgrade_assertion(_embedded(revoked=True))
    assert info.value.code == "upgrade_error"
