"""Signed (JWS) OB 2.0 verification against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from openbadges_core import DocumentCache, PrivateKey, VerifyOptions, generate_key, verify
from tests.core.verify._badge_server import BadgeServer
from tests.core.verify._badge_world import RECIPIENT, BadgeWorld, failed


@pytest.fixture(scope="module")
def other_key() -> PrivateKey:
    return generate_key("RS256")


SIGNED = True  # the default world also publishes a key document and a revocation list


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    h, p = b64(json.dumps(header).encode()), b64(json.dumps(payload).encode())
    return f"{h}.{p}.{b64(signature) if signature else ''}"


def test_valid_signed_assertion(world: BadgeWorld, options: VerifyOptions) -> None:
    token = world.signed()
    report = verify(token, recipient=RECIPIENT, options=options)
    assert report.valid, failed(report)
    assert report.verification_type == "SignedBadge" and report.version == "2.0"
    assert report.recipient_match is True
    names = [c.name for c in report.checks]
    for name in ("jws_decode", "validate_assertion", "fetch_key", "validate_key", "jws_signature",
                 "key_ownership", "revocation_list", "issued_on", "expiry", "recipient"):
        assert name in names
    assert report.check("jws_signature").detail["alg"] == "RS256"  # type: ignore[union-attr,index]


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_signed_assertion_with_other_key_types(server: BadgeServer, options: VerifyOptions, alg: str) -> None:
    world = BadgeWorld(server, generate_key(alg)).publish_defaults()
    report = verify(world.signed(), options=options)
    assert report.valid, failed(report)
    assert report.check("jws_signature").detail["alg"] == alg  # type: ignore[union-attr,index]


def test_tampered_payload_fails_the_signature(world: BadgeWorld, options: VerifyOptions) -> None:
    header, payload, signature = world.signed().split(".")
    doc = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    doc["issuedOn"] = "2020-01-01T00:00:00Z"
    report = verify(f"{header}.{b64(json.dumps(doc).encode())}.{signature}", options=options)
    assert failed(report) == {"jws_signature": "error"}


def test_tampered_signature_fails(world: BadgeWorld, options: VerifyOptions) -> None:
    header, payload, signature = world.signed().split(".")
    flipped = ("A" if signature[10] != "A" else "B")
    report = verify(f"{header}.{payload}.{signature[:10]}{flipped}{signature[11:]}", options=options)
    assert failed(report) == {"jws_signature": "error"}


def test_signed_with_the_wrong_key_fails(world: BadgeWorld, options: VerifyOptions,
                                         other_key: PrivateKey) -> None:
    report = verify(world.signed(signer=other_key), options=options)
    assert failed(report) == {"jws_signature": "error"}


def test_key_without_owner_fails_key_ownership(world: BadgeWorld, options: VerifyOptions) -> None:
    world.publish(world.key_url, world.key_document(owner=None))
    report = verify(world.signed(), options=options)
    assert failed(report).get("key_ownership") == "error"
    assert "no owner" in report.check("key_ownership").message  # type: ignore[union-attr]


def test_key_owned_by_another_issuer_fails(world: BadgeWorld, options: VerifyOptions) -> None:
    world.publish(world.key_url, world.key_document(owner="https://mallory.example/issuer"))
    report = verify(world.signed(), options=options)
    assert failed(report) == {"key_ownership": "error"}


def test_issuer_not_listing_the_key_fails(world: BadgeWorld, options: VerifyOptions) -> None:
    world.publish(world.issuer_url, world.issuer(publicKey="https://elsewhere.example/key"))
    report = verify(world.signed(), options=options)
    assert failed(report) == {"key_ownership": "error"}


def test_issuer_listing_the_key_as_an_embedded_object(world: BadgeWorld, options: VerifyOptions) -> None:
    world.publish(world.issuer_url, world.issuer(publicKey=world.key_document()))
    report = verify(world.signed(), options=options)
    assert report.valid, failed(report)


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(world: BadgeWorld, options: VerifyOptions, alg: str) -> None:
    unsigned = forge({"alg": alg}, world.assertion(signed=True))
    assert unsigned.endswith(".")
    assert not verify(unsigned, options=options).valid
    report = verify(forge({"alg": alg}, world.assertion(signed=True), b"junk"), options=options)
    assert failed(report) == {"jws_signature": "error"}


def test_hs256_confusion_with_the_public_key_is_refused(world: BadgeWorld, options: VerifyOptions,
                                                        key: PrivateKey) -> None:
    header = b64(json.dumps({"alg": "HS256"}).encode())
    payload = b64(json.dumps(world.assertion(signed=True)).encode())
    secret = key.public_key.to_pem()
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    report = verify(f"{header}.{payload}.{b64(mac)}", options=options)
    assert failed(report) == {"jws_signature": "error"}
    assert "HMAC" in report.check("jws_signature").message  # type: ignore[union-attr]


def test_on_a_one_entry_revocation_list(world: BadgeWorld, options: VerifyOptions) -> None:
    from openbadges_core import sign_assertion

    doc = world.assertion(signed=True)
    world.publish(world.revocations_url,
                  world.revocation_list([{"id": doc["id"], "revocationReason": "Misconduct"}]))
    report = verify(sign_assertion(doc, world.key), options=options)
    assert report.revoked and report.revocation_reason == "Misconduct" and not report.valid
    assert failed(report) == {"revocation_list": "error"}


def test_a_single_revoked_entry_not_wrapped_in_a_list_still_revokes(world: BadgeWorld,
                                                                    options: VerifyOptions) -> None:
    from openbadges_core import sign_assertion

    doc = world.assertion(signed=True)
    world.publish(world.revocations_url, world.revocation_list({"id": doc["id"]}))
    report = verify(sign_assertion(doc, world.key), options=options)
    assert report.revoked and failed(report).get("revocation_list") == "error"


def test_on_a_many_entry_revocation_list(world: BadgeWorld, options: VerifyOptions) -> None:
    from openbadges_core import sign_assertion

    doc = world.assertion(signed=True)
    world.publish(world.revocations_url, world.revocation_list([
        "urn:uuid:11111111-1111-4111-8111-111111111111",
        {"id": "urn:uuid:22222222-2222-4222-8222-222222222222", "revocationReason": "Other"},
        doc["id"],
    ]))
    report = verify(sign_assertion(doc, world.key), options=options)
    assert report.revoked and report.revocation_reason is None
    assert verify(world.signed(), options=VerifyOptions(allow_private_network=True)).revoked is False


def test_unreadable_revocation_list_fails_closed(world: BadgeWorld, options: VerifyOptions) -> None:
    world.srv.remove(world.path(world.revocations_url))
    report = verify(world.signed(), options=options)
    assert failed(report) == {"fetch_revocation_list": "error", "revocation_list": "error"}


def test_issuer_without_revocation_list_is_fine(world: BadgeWorld, options: VerifyOptions) -> None:
    world.publish(world.issuer_url, world.issuer(revocationList=None))
    assert verify(world.signed(), options=options).valid


def test_expired_signed_assertion(world: BadgeWorld, options: VerifyOptions) -> None:
    report = verify(world.signed(expires="2024-02-01T00:00:00Z"), options=options)
    assert report.expired and failed(report) == {"expiry": "error"}


def test_missing_key_fails_the_signature(world: BadgeWorld, options: VerifyOptions) -> None:
    world.srv.remove(world.path(world.key_url))
    report = verify(world.signed(), options=options)
    assert failed(report) == {"fetch_key": "error", "jws_signature": "error"}


def test_garbage_public_key_fails_cleanly(world: BadgeWorld, options: VerifyOptions) -> None:
    world.publish(world.key_url, world.key_document(publicKeyPem="-----BEGIN PUBLIC KEY-----\nAAAA\n"))
    report = verify(world.signed(), options=options)
    assert failed(report).get("jws_signature") == "error"


def test_preloaded_documents_verify_offline(world: BadgeWorld) -> None:
    token = world.signed()
    docs = {world.key_url: world.key_document(), world.issuer_url: world.issuer(),
            world.badge_url: world.badge(), world.revocations_url: world.revocation_list()}
    report = verify(token, options=VerifyOptions(documents=docs))  # default: no private network at all
    assert report.valid, failed(report)


def test_signed_assertion_given_as_plain_json_cannot_be_verified(world: BadgeWorld,
                                                                 options: VerifyOptions) -> None:
    report = verify(world.assertion(signed=True), options=options)
    assert failed(report) == {"jws_signature": "error"}


def test_jws_of_a_hosted_assertion_is_rejected(world: BadgeWorld, options: VerifyOptions) -> None:
    from openbadges_core import sign_jws

    token = sign_jws(world.assertion("h"), world.key)
    assert failed(verify(token, options=options)).get("verification_type") == "error"


def test_jws_payload_that_is_not_json_fails_decode(world: BadgeWorld, options: VerifyOptions) -> None:
    from openbadges_core import sign_jws

    report = verify(sign_jws(b"not json", world.key), options=options)
    assert failed(report) == {"jws_decode": "error"}


def test_cached_key_is_fetched_once(world: BadgeWorld) -> None:
    opts = VerifyOptions(allow_private_network=True, cache=DocumentCache())
    before = world.srv.hits[world.path(world.key_url)]
    for _ in range(4):
        assert verify(world.signed(), options=opts).valid
    assert world.srv.hits[world.path(world.key_url)] == before + 1


def test_validly_signed_hostile_payloads_never_crash(server: BadgeServer, key: PrivateKey) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from openbadges_core import sign_jws

    world = BadgeWorld(server, key).publish_defaults()
    options = VerifyOptions(allow_private_network=True, cache=DocumentCache(), timeout=2, total_timeout=4)
    values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=12)
                          | st.sampled_from([world.key_url, world.badge_url, world.issuer_url, "signed",
                                             "SignedBadge", "2024-01-01T00:00:00Z"]),
                          lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.sampled_from(["type", "creator", "id", "identity"]), inner,
                                            max_size=3), max_leaves=8)
    keys = st.sampled_from(["type", "id", "recipient", "badge", "issuedOn", "expires", "verification"])

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(keys, values, max_size=7))
    def run(doc: dict[str, Any]) -> None:
        doc["@context"] = "https://w3id.org/openbadges/v2"
        report = verify(sign_jws(doc, key), options=options)
        assert report.check("internal") is None, report.check("internal")

    run()
