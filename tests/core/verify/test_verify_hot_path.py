"""Shortcuts on the signed-verification hot path give the answers of the plain code they replace."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import pytest

from openbadges_core._ob2._validation import _nesting_exceeds
from openbadges_core._verify._checks import find_revocation, find_revocation_indexed, index_revocations
from openbadges_core._verify._session import _MEMO_MAX_CHARS, _is_http_url, is_http_url

_IDS = ["urn:uuid:a", "urn:uuid:b", "https://example.org/a/1", "https://example.org/a/2"]


def _random_entry(rnd: random.Random) -> Any:
    choice = rnd.randrange(6)
    if choice == 0:
        return rnd.choice(_IDS)
    if choice == 1:
        return 7
    entry: dict[str, Any] = {}
    if rnd.random() < 0.8:
        entry["id"] = rnd.choice(_IDS)
    if rnd.random() < 0.3:
        entry["uid"] = rnd.choice(_IDS + [None])
    if rnd.random() < 0.7:
        entry["revocationReason"] = rnd.choice(["lost", "fraud", 3])
    return entry


def test_revocation_index_agrees_with_the_linear_scan() -> None:
    rnd = random.Random(20261123)
    revoked = 0
    for _ in range(3000):
        entries: Any = [_random_entry(rnd) for _ in range(rnd.randrange(6))]
        if rnd.random() < 0.1:
            entries = entries[0] if entries else None  # a single entry, not a list
        doc = {"revokedAssertions": entries}
        ids = set(rnd.sample(_IDS, rnd.randrange(1, 3)))
        expected = find_revocation(doc, ids)
        index = index_revocations(doc)
        assert index is not None
        assert find_revocation_indexed(index, ids) == expected, (entries, ids)
        revoked += expected[0]
    assert 300 < revoked < 2700  # both answers occur


def test_earliest_revocation_entry_gives_the_reason() -> None:
    doc = {"revokedAssertions": [{"uid": "u1", "revocationReason": "first"}, {"id": "a1", "revocationReason": "second"}]}
    index = index_revocations(doc)
    assert index is not None
    assert find_revocation_indexed(index, {"a1", "u1"}) == (True, "first")
    assert find_revocation_indexed(index, {"a1"}) == (True, "second")
    assert find_revocation_indexed(index, {"zz"}) == (False, None)


@pytest.mark.parametrize("bad_id", [5, ["x"], {"id": "x"}])
def test_revocation_entries_with_non_string_ids_are_not_indexed(bad_id: object) -> None:
    # The verifier then keeps the linear scan, whose behaviour on such lists is unchanged.
    assert index_revocations({"revokedAssertions": ["a", {"id": bad_id}]}) is None


def test_signed_verification_reports_revocation_through_the_cached_index() -> None:
    from openbadges_core._verify._ob2 import _revocation_list
    from openbadges_core._verify._report import VerificationReport
    from openbadges_core._verify._session import LinkedDocument

    class FakeSession:
        def __init__(self, doc: LinkedDocument) -> None:
            self.report = VerificationReport(input_kind="jws")
            self.doc = doc

        def linked(self, url: str, expected_type: str, check: str) -> LinkedDocument:
            return self.doc

    doc = LinkedDocument("https://example.org/rl", {"revokedAssertions": [{"id": "urn:uuid:x",
                                                                          "revocationReason": "fraud"}]}, [],
                         "RevocationList")
    issuer: Mapping[str, Any] = {"revocationList": "https://example.org/rl"}
    for assertion_id, revoked in (("urn:uuid:x", True), ("urn:uuid:y", False), ("urn:uuid:x", True)):
        session = FakeSession(doc)
        _revocation_list(session, {"id": assertion_id}, issuer)  # type: ignore[arg-type]
        assert session.report.revoked is revoked
        assert session.report.revocation_reason == ("fraud" if revoked else None)
        assert isinstance(doc.revocations, dict)  # built once, kept on the (cached) document


@pytest.mark.parametrize("value", ["https://example.org/a", "http://127.0.0.1:8000/k", "ftp://x/y", "https://",
                                   "urn:uuid:1", "", "http://[::1", "https://e.org/" + "a" * _MEMO_MAX_CHARS])
def test_memoised_http_url_check_agrees_with_the_plain_one(value: str) -> None:
    assert is_http_url(value) is _is_http_url(value)
    assert is_http_url(value) is _is_http_url(value)  # second call: from the memo when short


def test_non_strings_are_not_http_urls() -> None:
    assert not is_http_url(None) and not is_http_url(["https://example.org"])


def _nested(depth: int) -> Any:
    node: Any = "leaf"
    for i in range(depth):
        node = {"k": node} if i % 2 else [node]
    return node


@pytest.mark.parametrize("depth", [0, 1, 63, 64, 65, 66, 200])
def test_nesting_limit_counts_levels_of_lists_and_objects(depth: int) -> None:
    assert _nesting_exceeds(_nested(depth), 64) is (depth > 65)
    # wide siblings do not count as depth
    assert _nesting_exceeds({"a": [_nested(depth), [1, 2, {"b": None}]] * 3}, 64) is (depth + 2 > 65)


@pytest.mark.parametrize("value", ["https://example.org/a", "http://127.0.0.1:8000/k", "http://h:99999/", "https://",
                                   "https://exa mple.org", "urn:uuid:1", "", "http://[::1",
                                   "https://e.org/" + "a" * 3000])
def test_memoised_document_url_rule_agrees_with_the_plain_one(value: str) -> None:
    from openbadges_core._ob2._context import _is_http_url as plain
    from openbadges_core._ob2._context import is_http_url as memoised

    assert memoised(value) is plain(value)
    assert memoised(value) is plain(value)
