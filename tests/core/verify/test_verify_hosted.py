"""Hosted OB 2.0 verification against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from openbadges_core import DocumentCache, VerifyOptions, verify
from tests.core.verify._badge_server import BadgeServer
from tests.core.verify._badge_world import RECIPIENT, BadgeWorld, failed


def test_valid_hosted_assertion_from_its_url(world: BadgeWorld, options: VerifyOptions) -> None:
    url, doc = world.hosted()
    report = verify(url, options=options)
    assert report.valid, failed(report)
    assert report.version == "2.0" and report.verification_type == "HostedBadge"
    assert report.assertion == doc
    assert report.badge is not None and report.badge["id"] == world.badge_url
    assert report.issuer is not None and report.issuer["id"] == world.issuer_url
    names = {c.name for c in report.checks}
    assert {"fetch_assertion", "validate_assertion", "fetch_badge", "validate_badge", "fetch_issuer",
            "validate_issuer", "hosted_scope", "issued_on", "expiry", "badge_image"} <= names
    assert not report.revoked and not report.expired and report.recipient_match is None
    json.dumps(report.to_dict())  # serialisable


@pytest.mark.parametrize("as_type", [dict, str, bytes])
def test_hosted_assertion_given_as_json_is_fetched_from_its_id(world: BadgeWorld, options: VerifyOptions,
                                                                as_type: type) -> None:
    url, doc = world.hosted()
    given = doc if as_type is dict else json.dumps(doc) if as_type is str else json.dumps(doc).encode()
    before = world.srv.hits[world.path(url)]
    report = verify(given, options=options)
    assert report.valid, failed(report)
    assert world.srv.hits[world.path(url)] == before + 1
    assert report.check("hosted_copy") is not None and report.check("hosted_copy").passed  # type: ignore[union-attr]


def test_hosted_copy_wins_over_a_differing_local_copy(world: BadgeWorld, options: VerifyOptions) -> None:
    _url, doc = world.hosted()
    local = dict(doc, issuedOn="2020-01-01T00:00:00Z")
    report = verify(local, options=options)
    assert report.valid
    assert failed(report) == {"hosted_copy": "warning"}
    assert report.assertion is not None and report.assertion["issuedOn"] == doc["issuedOn"]


def test_410_stub_means_revoked(world: BadgeWorld, options: VerifyOptions) -> None:
    url = world.publish(world.url("/assertions/gone"), {"revoked": True}, status=410)
    report = verify(url, options=options)
    assert report.revoked and not report.valid and report.status == "revoked"
    assert failed(report) == {"revocation": "error"}


def test_410_with_a_full_body_reports_the_revocation_reason(world: BadgeWorld, options: VerifyOptions) -> None:
    doc = world.assertion("gone2", revoked=True, revocationReason="Issued in error")
    url = world.publish(doc["id"], doc, status=410)
    report = verify(url, options=options)
    assert report.revoked and report.revocation_reason == "Issued in error"
    assert "Issued in error" in report.check("revocation").message  # type: ignore[union-attr]
    assert report.assertion == doc


def test_revoked_true_with_200_means_revoked(world: BadgeWorld, options: VerifyOptions) -> None:
    url, _ = world.hosted("r200", revoked=True, revocationReason="Cheating")
    report = verify(url, options=options)
    assert report.revoked and not report.valid and report.revocation_reason == "Cheating"


def test_assertion_on_another_origin_is_out_of_scope(server: BadgeServer, options: VerifyOptions) -> None:
    world = BadgeWorld(server).publish_defaults()
    # the assertion is served from localhost:<port>, another origin than the issuer's 127.0.0.1:<port>
    url = world.url("/assertions/a1").replace("127.0.0.1", "localhost")
    world.publish(world.url("/assertions/a1"), world.assertion(id=url))
    report = verify(url, options=options)
    assert failed(report).get("hosted_scope") == "error", failed(report)


@pytest.mark.parametrize(("policy", "ok"), [
    ({"startsWith": "{base}/assertions/"}, True),
    ({"startsWith": ["https://elsewhere.example/", "{base}/assertions/"]}, True),
    ({"startsWith": "{base}/other/"}, False),
    ({"allowedOrigins": "localhost"}, True),
    ({"allowedOrigins": ["badges.example.org", "localhost"]}, True),
    ({"allowedOrigins": "badges.example.org"}, False),
    ({"allowedOrigins": "localhost", "startsWith": "{base}/nope/"}, False),
])
def test_starts_with_and_allowed_origins_scope_hosted_assertions(server: BadgeServer, options: VerifyOptions,
                                                                 policy: dict[str, object], ok: bool) -> None:
    world = BadgeWorld(server)
    # The assertion lives on another origin (localhost:<port>) than the issuer (127.0.0.1:<port>), so only
    # the declared policy can put it in scope.
    base = world.url("").replace("127.0.0.1", "localhost")
    resolved = {k: ([x.format(base=base) for x in v] if isinstance(v, list) else v.format(base=base))
                for k, v in policy.items()}
    world.publish(world.issuer_url, world.issuer(verification={"type": "HostedBadge", **resolved}))
    world.publish(world.badge_url, world.badge())
    url = base + "/assertions/a1"
    world.publish(world.url("/assertions/a1"), world.assertion(id=url))
    check = verify(url, options=options).check("hosted_scope")
    assert check is not None and check.passed is ok, check


def test_redirect_to_an_assertion_declaring_the_original_id_is_valid(world: BadgeWorld,
                                                                     options: VerifyOptions) -> None:
    doc = world.assertion("moved")
    world.publish(world.url("/storage/moved"), doc)
    world.srv.redirect(world.path(doc["id"]), world.url("/storage/moved"))
    report = verify(doc["id"], options=options)
    assert report.valid, failed(report)
    assert report.check("fetch_assertion").detail["redirects"] == [doc["id"]]  # type: ignore[union-attr,index]


def test_redirect_to_a_document_declaring_another_id_is_reported(world: BadgeWorld,
                                                                 options: VerifyOptions) -> None:
    new_url, _ = world.hosted("new")
    old_url = world.url("/assertions/old")
    world.srv.redirect(world.path(old_url), new_url, status=301)
    report = verify(old_url, options=options)
    assert report.valid
    assert failed(report) == {"assertion_id": "warning"}
    assert report.check("assertion_id").detail["declared"] == new_url  # type: ignore[union-attr,index]


def test_declared_id_out_of_scope_is_what_fails(server: BadgeServer, world: BadgeWorld,
                                                options: VerifyOptions) -> None:
    other = BadgeWorld(server)  # same origin, but the issuer restricts to its own prefix
    world.publish(world.issuer_url, world.issuer(verification={"startsWith": world.url("/assertions/")}))
    doc = world.assertion("x", id=other.url("/assertions/x"))
    other.publish(doc["id"], doc)
    world.srv.redirect(world.path(world.url("/assertions/x")), doc["id"])
    report = verify(world.url("/assertions/x"), options=options)
    assert failed(report) == {"assertion_id": "warning", "hosted_scope": "error"}


def test_document_declaring_an_id_that_serves_something_else_fails(world: BadgeWorld,
                                                                   options: VerifyOptions) -> None:
    url, _ = world.hosted("liar", id=world.url("/assertions/not-there"))
    report = verify(url, options=options)
    assert failed(report).get("assertion_id") == "error"


def test_expired_assertion_is_not_valid(world: BadgeWorld, options: VerifyOptions) -> None:
    url, _ = world.hosted("exp", expires="2024-06-01T00:00:00Z")
    report = verify(url, options=options)
    assert report.expired and not report.valid and report.status == "expired"
    assert failed(report) == {"expiry": "error"}


def test_expiry_before_issued_on_is_an_error(world: BadgeWorld, options: VerifyOptions) -> None:
    url, _ = world.hosted("exp2", expires="2023-01-01T00:00:00Z")
    assert failed(verify(url, options=options)).get("expiry") == "error"


def test_not_yet_expired_assertion_is_valid(world: BadgeWorld, options: VerifyOptions) -> None:
    url, _ = world.hosted("exp3", expires="2999-01-01T00:00:00Z")
    report = verify(url, options=options)
    assert report.valid and not report.expired


def test_future_dated_assertion_is_not_valid(world: BadgeWorld, options: VerifyOptions) -> None:
    url, _ = world.hosted("fut", issuedOn="2999-01-01T00:00:00Z")
    assert failed(verify(url, options=options)) == {"issued_on": "error"}


def test_issued_on_within_the_clock_skew_is_accepted(world: BadgeWorld) -> None:
    url, _ = world.hosted("skew", issuedOn="2024-01-15T10:04:00Z")
    now = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
    base = {"allow_private_network": True, "cache": DocumentCache(), "now": now}
    assert verify(url, options=VerifyOptions(**base, clock_skew=300)).valid  # type: ignore[arg-type]
    assert not verify(url, options=VerifyOptions(**base, clock_skew=60)).valid  # type: ignore[arg-type]


@pytest.mark.parametrize(("status", "body", "ctype"), [
    (404, b'{"error": "nope"}', "application/json"),
    (500, b"oops", "text/plain"),
    (200, b"<html><body>badge</body></html>", "text/html"),
    (200, b"[1, 2]", "application/json"),
    (200, b"{not json", "application/ld+json"),
])
def test_unusable_assertion_responses_fail_fetch_assertion(world: BadgeWorld, options: VerifyOptions,
                                                           status: int, body: bytes, ctype: str) -> None:
    url = world.srv.route(world.prefix + "/bad", status=status, body=body, content_type=ctype)
    report = verify(url, options=options)
    assert not report.valid
    assert failed(report) == {"fetch_assertion": "error"}


def test_oversized_assertion_is_cut_off(world: BadgeWorld) -> None:
    url = world.srv.route(world.prefix + "/huge", infinite=True)
    report = verify(url, options=VerifyOptions(allow_private_network=True, max_response_bytes=100_000))
    assert report.check("fetch_assertion").detail["code"] == "response_too_large"  # type: ignore[union-attr,index]


def test_slow_assertion_times_out(world: BadgeWorld) -> None:
    import time

    url = world.srv.route(world.prefix + "/slow", body=b"{}", delay=3)
    start = time.monotonic()
    report = verify(url, options=VerifyOptions(allow_private_network=True, timeout=0.4))
    assert time.monotonic() - start < 2
    assert report.check("fetch_assertion").detail["code"] == "fetch_timeout"  # type: ignore[union-attr,index]


def test_total_time_budget_holds_across_documents(world: BadgeWorld) -> None:
    import time

    world.srv.route(world.path(world.badge_url), body=json.dumps(world.badge()).encode(), delay=0.5)
    world.srv.route(world.path(world.issuer_url), body=json.dumps(world.issuer()).encode(), delay=0.5)
    url, _ = world.hosted()
    start = time.monotonic()
    report = verify(url, options=VerifyOptions(allow_private_network=True, cache=DocumentCache(),
                                               timeout=5, total_timeout=0.7))
    assert time.monotonic() - start < 1.5
    assert not report.valid
    # Each document alone is well within the 5 s timeout: only the total budget can time one out. Which one
    # (normally the issuer, the badge on a loaded machine) depends on how long the fetches before it took.
    fetches = [report.check(name) for name in ("fetch_badge", "fetch_issuer")]
    failed = [check for check in fetches if check is not None and not check.passed]
    assert failed and failed[0].detail is not None and failed[0].detail["code"] == "fetch_timeout", fetches


def test_redirect_loop_fails_cleanly(world: BadgeWorld, options: VerifyOptions) -> None:
    world.srv.redirect(world.prefix + "/loop1", world.url("/loop2"))
    world.srv.redirect(world.prefix + "/loop2", world.url("/loop1"))
    report = verify(world.url("/loop1"), options=options)
    assert report.check("fetch_assertion").detail["code"] == "too_many_redirects"  # type: ignore[union-attr,index]


@pytest.mark.parametrize("given", [RECIPIENT, "Alice@Example.ORG", "  alice@example.org "])
def test_recipient_matches_including_case_differences(world: BadgeWorld, options: VerifyOptions,
                                                       given: str) -> None:
    url, _ = world.hosted()
    report = verify(url, recipient=given, options=options)
    assert report.valid and report.recipient_match is True


def test_recipient_mismatch_is_an_error(world: BadgeWorld, options: VerifyOptions) -> None:
    url, _ = world.hosted()
    report = verify(url, recipient="mallory@example.org", options=options)
    assert report.recipient_match is False and failed(report) == {"recipient": "error"}


def test_plain_recipient_identity_matches(world: BadgeWorld, options: VerifyOptions) -> None:
    url, _ = world.hosted("plain", recipient={"type": "email", "hashed": False, "identity": RECIPIENT})
    assert verify(url, recipient="ALICE@example.org", options=options).recipient_match is True


def test_linked_documents_are_cached_across_verifications(world: BadgeWorld) -> None:
    cache = DocumentCache()
    opts = VerifyOptions(allow_private_network=True, cache=cache)
    urls = [world.hosted(f"c{i}")[0] for i in range(5)]
    issuer_hits = world.srv.hits[world.path(world.issuer_url)]
    for url in urls * 2:
        assert verify(url, options=opts).valid
    assert world.srv.hits[world.path(world.issuer_url)] == issuer_hits + 1
    assert all(world.srv.hits[world.path(u)] == 2 for u in urls)  # the assertion itself is never cached


def test_invalid_linked_badge_class_fails_validation(world: BadgeWorld, options: VerifyOptions) -> None:
    world.publish(world.badge_url, world.badge(name=None, image=None))
    url, _ = world.hosted()
    report = verify(url, options=options)
    assert failed(report).get("validate_badge") == "error"
    assert failed(report).get("badge_image") == "error"


def test_signed_verification_type_in_hosted_document_is_an_error(world: BadgeWorld,
                                                                   options: VerifyOptions) -> None:
    url, _ = world.hosted("wrongtype", verification={"type": "SignedBadge", "creator": world.url("/key")})
    assert failed(verify(url, options=options)).get("verification_type") == "error"


def test_max_documents_per_verification_holds(world: BadgeWorld) -> None:
    url, _ = world.hosted()
    report = verify(url, options=VerifyOptions(allow_private_network=True, cache=DocumentCache(),
                                               max_documents=2))
    assert report.check("fetch_issuer").detail["code"] == "too_many_documents"  # type: ignore[union-attr,index]


def test_issuer_typed_profile_is_accepted(world: BadgeWorld, options: VerifyOptions) -> None:
    world.publish(world.issuer_url, world.issuer(type="Profile"))
    url, _ = world.hosted()
    report = verify(url, options=options)
    assert report.valid, failed(report)


def test_linked_document_of_the_wrong_type_fails_validation(world: BadgeWorld, options: VerifyOptions) -> None:
    world.publish(world.issuer_url, world.badge(id=world.issuer_url))
    url, _ = world.hosted()
    assert failed(verify(url, options=options)).get("validate_issuer") == "error"
