"""The memo of linked-document checks (``_verify/_chain``) and the other hot-path caches answer exactly as
the checks they stand for, and never for a document that changed."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest

from openbadges_core import DocumentCache, PrivateKey, SignatureError, VerifyOptions, verify, verify_jws
from openbadges_core._jws import decode_jws_unverified, is_well_formed_jws
from openbadges_core._verify import _chain, _ob2
from openbadges_core._verify._session import Session, cached_document_issues
from tests.core.verify._badge_world import BadgeWorld, failed

SIGNED = True
POLICY = "private"  # the cache policy of allow_private_network=True


@pytest.fixture
def options() -> VerifyOptions:
    return VerifyOptions(allow_private_network=True, cache=DocumentCache(ttl=3600), timeout=3, total_timeout=6)


def _primed(world: BadgeWorld, options: VerifyOptions) -> None:
    """First verification fetches the documents, the second takes them from the cache and remembers."""
    for _ in range(2):
        report = verify(world.signed(), options=options)
        assert report.valid, failed(report)
    assert (POLICY, world.key_url, world.badge_url) in _chain._CHAINS


def _comparable(report: Any) -> dict[str, Any]:
    data = report.to_dict()
    data.pop("assertion")
    return data


def test_a_replayed_report_equals_the_one_checked_in_full(world: BadgeWorld, options: VerifyOptions) -> None:
    token = world.signed()
    verify(token, options=options)
    checked = verify(token, options=options)  # from the cache, checked in full (then remembered)
    replayed = verify(token, options=options)
    _chain._CHAINS.clear()
    again = verify(token, options=options)
    assert _comparable(replayed) == _comparable(checked) == _comparable(again)
    assert [c.name for c in replayed.checks] == [
        "jws_decode", "ob_version", "validate_assertion", "verification_type", "fetch_key", "validate_key",
        "jws_signature", "fetch_badge", "validate_badge", "badge_image", "fetch_issuer", "validate_issuer",
        "key_ownership", "fetch_revocation_list", "validate_revocation_list", "revocation_list", "issued_on",
        "expiry"]
    assert replayed.badge == world.badge() and replayed.issuer == world.issuer()


def test_documents_fetched_from_the_network_are_not_remembered(world: BadgeWorld, options: VerifyOptions) -> None:
    verify(world.signed(), options=options)
    assert (POLICY, world.key_url, world.badge_url) not in _chain._CHAINS
    report = verify(world.signed(), options=options)
    assert report.check("fetch_badge").detail["source"] == "cache"  # type: ignore[union-attr,index]


def test_the_memo_is_used_and_the_signature_still_checked(world: BadgeWorld, options: VerifyOptions,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          other_key: PrivateKey) -> None:
    _primed(world, options)
    monkeypatch.setattr(_ob2, "_badge_and_issuer", lambda *a: pytest.fail("checked again"))
    assert verify(world.signed(), options=options).valid
    forged = verify(world.signed(signer=other_key), options=options)
    assert failed(forged) == {"jws_signature": "error"}


@pytest.fixture(scope="module")
def other_key() -> PrivateKey:
    from openbadges_core import generate_key
    return generate_key("RS256")


def _replace_in_cache(options: VerifyOptions, url: str, data: dict[str, Any], kind: str) -> None:
    assert options.cache is not None
    options.cache.put(POLICY, url, Session._build(url, data, kind, "application/ld+json", "fetched"))


def test_a_changed_issuer_in_the_cache_is_checked_again(world: BadgeWorld, options: VerifyOptions) -> None:
    _primed(world, options)
    _replace_in_cache(options, world.issuer_url, world.issuer(publicKey=world.url("/other-key")), "Issuer")
    report = verify(world.signed(), options=options)
    assert failed(report) == {"key_ownership": "error"}
    assert verify(world.signed(), options=options).check("key_ownership").passed is False  # type: ignore[union-attr]


def test_a_changed_key_badge_or_revocation_list_is_checked_again(world: BadgeWorld,
                                                                  options: VerifyOptions) -> None:
    _primed(world, options)
    _replace_in_cache(options, world.key_url, world.key_document(owner="https://elsewhere.example/i"),
                      "CryptographicKey")
    assert failed(verify(world.signed(), options=options)) == {"key_ownership": "error"}
    _replace_in_cache(options, world.key_url, world.key_document(), "CryptographicKey")
    _replace_in_cache(options, world.badge_url, world.badge(image=None), "BadgeClass")
    assert failed(verify(world.signed(), options=options)) == {"badge_image": "error",
                                                                "validate_badge": "error"}
    _replace_in_cache(options, world.badge_url, world.badge(), "BadgeClass")
    token = world.signed()
    assertion_id = json.loads(decode_jws_unverified(token)[1])["id"]
    _replace_in_cache(options, world.revocations_url,
                      world.revocation_list([{"id": assertion_id, "revocationReason": "fraud"}]), "RevocationList")
    report = verify(token, options=options)
    assert report.revoked and report.status == "revoked" and report.revocation_reason == "fraud"


def test_an_expired_cache_entry_is_fetched_and_checked_again(world: BadgeWorld) -> None:
    now = [0.0]
    options = VerifyOptions(allow_private_network=True, cache=DocumentCache(ttl=10, clock=lambda: now[0]))
    _primed(world, options)
    world.publish(world.issuer_url, world.issuer(publicKey=world.url("/other-key")))
    assert verify(world.signed(), options=options).valid  # still cached
    now[0] = 11.0
    report = verify(world.signed(), options=options)
    assert failed(report) == {"key_ownership": "error"}
    assert report.check("fetch_issuer").detail["source"] == "network"  # type: ignore[union-attr,index]


def test_revocation_is_looked_up_on_every_verification(world: BadgeWorld, options: VerifyOptions,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    revoked_id = "urn:uuid:2f1d6c3e-0000-4000-8000-999999999999"
    world.publish(world.revocations_url, world.revocation_list([{"id": revoked_id, "revocationReason": "lost"}]))
    _primed(world, options)
    monkeypatch.setattr(_ob2, "_badge_and_issuer", lambda *a: pytest.fail("checked again"))
    report = verify(world.signed(id=revoked_id), options=options)
    assert report.revoked and report.revocation_reason == "lost"
    assert failed(report) == {"revocation_list": "error"}
    assert verify(world.signed(), options=options).valid


def test_an_issuer_without_revocation_list_is_remembered_too(world: BadgeWorld, options: VerifyOptions) -> None:
    world.publish(world.issuer_url, world.issuer(revocationList=None))
    _primed(world, options)
    report = verify(world.signed(), options=options)
    assert report.valid and report.check("revocation_list").message == "the issuer publishes no revocation list"  # type: ignore[union-attr]


def test_replayed_details_belong_to_their_report(world: BadgeWorld, options: VerifyOptions) -> None:
    _primed(world, options)
    first = verify(world.signed(), options=options)
    first.check("fetch_badge").detail["url"] = "https://changed.example/"  # type: ignore[union-attr,index]
    second = verify(world.signed(), options=options)
    assert second.check("fetch_badge").detail == {"url": world.badge_url, "source": "cache"}  # type: ignore[union-attr]


def test_failed_checks_are_not_remembered(world: BadgeWorld, options: VerifyOptions) -> None:
    world.publish(world.badge_url, world.badge(image=None))
    for _ in range(3):
        report = verify(world.signed(), options=options)
        assert "badge_image" in failed(report)
    assert (POLICY, world.key_url, world.badge_url) not in _chain._CHAINS


def test_preloaded_documents_are_not_remembered(world: BadgeWorld) -> None:
    documents = {world.key_url: world.key_document(), world.badge_url: world.badge(),
                 world.issuer_url: world.issuer(), world.revocations_url: world.revocation_list()}
    options = VerifyOptions(allow_private_network=True, cache=DocumentCache(), documents=documents)
    for _ in range(3):
        assert verify(world.signed(), options=options).valid
    assert (POLICY, world.key_url, world.badge_url) not in _chain._CHAINS


def test_an_embedded_badge_class_is_not_remembered(world: BadgeWorld, options: VerifyOptions) -> None:
    for _ in range(3):
        report = verify(world.signed(badge=world.badge()), options=options)
        assert report.valid, failed(report)
    assert not any(key[1] == world.key_url for key in _chain._CHAINS)


def test_a_document_the_cache_dropped_frees_its_entry(world: BadgeWorld, options: VerifyOptions) -> None:
    _primed(world, options)
    chain = _chain._CHAINS[(POLICY, world.key_url, world.badge_url)]
    assert options.cache is not None
    options.cache.clear()
    gc.collect()
    assert chain.key() is None and chain.badge() is None
    report = verify(world.signed(), options=options)
    assert report.valid and report.check("fetch_key").detail["source"] == "network"  # type: ignore[union-attr,index]


# --- the JWS parse and the validation memo ----------------------------------------------------------
@pytest.mark.parametrize("mangle", [
    lambda t: t.replace(".", "+", 1) + ".x",           # standard-alphabet characters
    lambda t: t[:40] + "/" + t[41:],
    lambda t: t[:40] + "=" + t[41:],                   # padding inside a segment
    lambda t: t + "==",                                 # padding at the end
    lambda t: t[:40] + " " + t[41:],                   # whitespace inside
    lambda t: t[:40] + "\n" + t[41:],
    lambda t: t[:40] + "é" + t[41:],                   # not ASCII
    lambda t: t + ".",                                  # four segments
    lambda t: t.rsplit(".", 1)[0],                      # two segments
    lambda t: "." + t.split(".", 1)[1],                 # empty header
    lambda t: t[:40] + "!" + t[41:],
])
def test_malformed_tokens_are_refused(world: BadgeWorld, mangle: Any) -> None:
    token = mangle(world.signed())
    assert not is_well_formed_jws(token)
    with pytest.raises(SignatureError, match="malformed JWS"):
        decode_jws_unverified(token)
    with pytest.raises(SignatureError):
        verify_jws(token, world.key.public_key)


def test_validation_memo_answers_for_the_exact_bytes_only() -> None:
    good = {"@context": "https://w3id.org/openbadges/v2", "type": "RevocationList", "id": "https://e.org/r"}
    bad = dict(good, id="not a url")
    good_raw, bad_raw = json.dumps(good).encode(), json.dumps(bad).encode()
    assert cached_document_issues(good, "RevocationList", good_raw) == []
    assert cached_document_issues(bad, "RevocationList", bad_raw) != []
    assert cached_document_issues(good, "RevocationList", good_raw) == []
    big = dict(good, revokedAssertions=[f"urn:uuid:00000000-0000-4000-8000-{i:012d}" for i in range(200)])  # > 4 KiB: keyed by SHA-256
    big_bad = dict(big, id="not a url")
    assert cached_document_issues(big, "RevocationList", json.dumps(big).encode()) == []
    assert cached_document_issues(big_bad, "RevocationList", json.dumps(big_bad).encode()) != []
    assert cached_document_issues(bad, "Assertion", bad_raw) != cached_document_issues(bad, "RevocationList", bad_raw)


def test_the_cache_serves_only_the_very_objects_it_holds_and_not_past_their_time() -> None:
    now = [0.0]
    cache = DocumentCache(ttl=10, clock=lambda: now[0])
    first, second = object(), object()
    cache.put("p", "https://e.org/a", first)
    cache.put("p", "https://e.org/b", second)
    assert cache._serves_all("p", [("https://e.org/a", first), ("https://e.org/b", second)])
    assert not cache._serves_all("p", [("https://e.org/a", second)])
    assert not cache._serves_all("q", [("https://e.org/a", first)])  # another fetch policy
    cache.put("p", "https://e.org/a", object())  # replaced: an equal URL is not the same document
    assert not cache._serves_all("p", [("https://e.org/a", first)])
    now[0] = 11.0
    assert not cache._serves_all("p", [("https://e.org/b", second)])
    assert cache.get("p", "https://e.org/b") is None and len(cache) == 1  # the expired entry is removed


def test_segment_decoding_agrees_with_strict_binascii() -> None:
    import binascii
    import random

    from openbadges_core._jws import _PADDING, _b64decode_ascii

    to_standard = bytes.maketrans(b"-_", b"+/")
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    noise = alphabet + b" \n\t.!\x00\x7f*~"
    rnd = random.Random(20261203)
    accepted = 0
    for _ in range(3000):
        pool = alphabet if rnd.random() < 0.6 else noise
        segment = bytes(rnd.choice(pool) for _ in range(rnd.randrange(0, 40)))
        try:
            expected: bytes | None = (None if len(segment) % 4 == 1 else binascii.a2b_base64(
                segment.translate(to_standard) + _PADDING[len(segment) % 4], strict_mode=True))
        except binascii.Error:
            expected = None
        try:
            got: bytes | None = _b64decode_ascii(segment, "payload")
        except SignatureError:
            got = None
        assert got == expected, segment
        accepted += got is not None
    assert 1000 < accepted < 2900  # both outcomes occur
