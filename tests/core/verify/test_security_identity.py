"""Issue #13 regressions: who a document speaks for.

1. OB 2.0 issuer impersonation: an attacker-hosted profile declaring a victim's id.
2. Dot segments in URLs: ``…/alice/../mallory/…`` is not under ``…/alice``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from openbadges_core import DocumentCache, VerificationReport, VerifyOptions, generate_key, verify
from openbadges_core.ob3 import sign_vc_jwt
from tests.core.verify._badge_server import BadgeServer
from tests.core.verify._badge_world import BadgeWorld
from tests.core.verify._ob3_verify_support import LoopbackFetcher, TestIssuer, base_credential

VICTIM = "https://victim.example.edu/issuer"


def _options() -> VerifyOptions:
    return VerifyOptions(allow_private_network=True, cache=DocumentCache(), timeout=3, total_timeout=6)


def _errors(report: VerificationReport) -> dict[str, str]:
    return {c.name: c.message for c in report.errors}


# --- 1. OB 2.0 issuer impersonation ----------------------------------------------------------------
def test_hosted_attacker_profile_declaring_the_victim_id_is_an_error(server: BadgeServer) -> None:
    attacker = BadgeWorld(server)
    attacker.publish(attacker.issuer_url, attacker.issuer(
        id=VICTIM, name="Victim University", verification={"startsWith": server.base + "/"}))
    attacker.publish(attacker.badge_url, attacker.badge())
    url, _ = attacker.hosted()
    report = verify(url, options=_options())
    assert not report.valid
    assert "fetch_issuer" in _errors(report)
    assert VICTIM in _errors(report)["fetch_issuer"]
    assert report.issuer is None  # the victim is never reported as the issuer


def test_hosted_attacker_badge_class_declaring_another_id_is_an_error(server: BadgeServer) -> None:
    attacker = BadgeWorld(server).publish_defaults()
    attacker.publish(attacker.badge_url, attacker.badge(id="https://victim.example.edu/badges/phd"))
    url, _ = attacker.hosted()
    report = verify(url, options=_options())
    assert not report.valid and "fetch_badge" in _errors(report)


def test_signed_attacker_key_and_profile_naming_the_victim_fail(server: BadgeServer) -> None:
    key = generate_key("RS256")
    attacker = BadgeWorld(server, key)
    attacker.publish(attacker.issuer_url, attacker.issuer(id=VICTIM, name="Victim University"))
    attacker.publish(attacker.badge_url, attacker.badge())
    attacker.publish(attacker.key_url, attacker.key_document(owner=VICTIM))
    attacker.publish(attacker.revocations_url, attacker.revocation_list())
    report = verify(attacker.signed(), options=_options())
    assert not report.valid
    assert "fetch_issuer" in _errors(report)
    assert report.issuer is None
    assert not any(c.name == "key_ownership" and c.passed for c in report.checks)


def test_signed_key_declaring_another_id_is_an_error(server: BadgeServer) -> None:
    key = generate_key("RS256")
    world = BadgeWorld(server, key).publish_defaults()
    world.publish(world.key_url, world.key_document(id=world.url("/elsewhere-key")))
    report = verify(world.signed(), options=_options())
    assert not report.valid and "fetch_key" in _errors(report)


def test_profile_whose_declared_id_serves_it_is_used_from_there(server: BadgeServer) -> None:
    """What the IMS validator does: the copy fetched at the declared id is the one used."""
    world = BadgeWorld(server).publish_defaults()
    mirror = world.url("/mirror-issuer")
    world.publish(mirror, world.issuer(name="Stale mirror copy"))  # declares world.issuer_url
    world.publish(world.badge_url, world.badge(issuer=mirror))
    url, _ = world.hosted()
    report = verify(url, options=_options())
    assert report.valid, _errors(report)
    assert report.issuer is not None and report.issuer["name"] == "Example University"
    assert server.hits[world.path(world.issuer_url)] >= 1


def test_legitimate_redirect_of_a_profile_still_verifies(server: BadgeServer) -> None:
    world = BadgeWorld(server).publish_defaults()
    old = world.url("/old-issuer")
    server.redirect(world.path(old), world.issuer_url, status=301)
    world.publish(world.badge_url, world.badge(issuer=old))
    url, _ = world.hosted()
    report = verify(url, options=_options())
    assert report.valid, _errors(report)


# --- 2. dot segments --------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, expected", [
    ("https://h/users/alice/../mallory/jwks.json", "https://h/users/mallory/jwks.json"),
    ("https://h/users/alice/%2e%2e/mallory/jwks.json", "https://h/users/mallory/jwks.json"),
    ("https://h/users/alice/%2E./mallory", "https://h/users/mallory"),
    ("HTTPS://H:443/a/./b/../c", "https://h/a/c"),
    ("http://h:80/a", "http://h/a"),
    ("https://h/a/b/..", "https://h/a/"),
    ("https://h/../../x", "https://h/x"),
])
def test_normalize_url_removes_dot_segments(raw: str, expected: str) -> None:
    from openbadges_core._urls import normalize_url

    assert normalize_url(raw) == expected


def test_is_under_refuses_traversal_and_sibling_prefixes() -> None:
    from openbadges_core._urls import is_under

    assert is_under("https://h/users/alice/jwks.json", "https://h/users/alice")
    assert not is_under("https://h/users/alice/../mallory/jwks.json", "https://h/users/alice")
    assert not is_under("https://h/users/alice/%2e%2e/mallory/jwks.json", "https://h/users/alice")
    assert not is_under("https://h/users/alice%2f..%2fmallory/k", "https://h/users/alice")
    assert not is_under("https://h/users/alicex/k", "https://h/users/alice")


@pytest.mark.parametrize("segment", ["..", "%2e%2e", "%2E%2E"])
def test_vc_jwt_kid_of_another_user_on_the_same_host_is_not_the_issuers(
        conformance: Path, server: BadgeServer, segment: str) -> None:
    alice = "https://issuer.test/users/alice"
    mallory = TestIssuer("ES256", issuer="https://issuer.test/users/mallory")
    jwk = {**mallory.jwt_key.public_key.to_jwk(), "kid": "k1"}
    server.json("/users/mallory/jwks.json", {"keys": [jwk]}, content_type="application/json")
    # a server that decodes %2e%2e before resolving the path serves the same file there
    server.json(f"/users/alice/{segment}/mallory/jwks.json", {"keys": [jwk]}, content_type="application/json")
    credential = base_credential(conformance)
    credential["issuer"] = {**credential["issuer"], "id": alice}
    token = sign_vc_jwt(credential, mallory.jwt_key, kid=f"{alice}/{segment}/mallory/jwks.json#k1")
    report = verify(token, options=VerifyOptions(fetcher=LoopbackFetcher(server.base), use_cache=False))
    assert not report.valid
    assert not report.check("issuer_key").passed  # type: ignore[union-attr]


def test_hosted_scope_starts_with_is_compared_after_normalisation(server: BadgeServer) -> None:
    """An issuer scoping its assertions to ``/w…/assertions/`` does not vouch for ``/w…/assertions/../x``."""
    world = BadgeWorld(server)
    world.publish(world.issuer_url, world.issuer(verification={"startsWith": world.url("/assertions/")}))
    world.publish(world.badge_url, world.badge())
    sneaky = world.url("/assertions/../elsewhere/a1")
    world.publish(world.url("/elsewhere/a1"), world.assertion(id=sneaky))
    report = verify(sneaky, options=_options())
    assert not report.valid
    assert "hosted_scope" in _errors(report) or "assertion_id" in _errors(report)


@pytest.mark.parametrize("did", ["did:web:h:users:alice:%2e%2e:mallory", "did:web:h:users:%2E%2E",
                                 "did:web:h:a%2fb", "did:web:h:.:x"])
def test_did_web_paths_cannot_climb_out_of_their_folder(did: str) -> None:
    from openbadges_core import SignatureError
    from openbadges_core._ob3._didkeys import did_web_url

    with pytest.raises(SignatureError):
        did_web_url(did)
