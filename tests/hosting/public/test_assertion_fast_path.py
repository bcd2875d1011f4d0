"""The batch's fast rendering of hosted OB 2.0 assertions (typed constructors) writes the very bytes of the
validated mapping path (``ob2.Assertion.from_dict(assertion_mapping(...))``) that public GETs re-render with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest

from hosting.lib.urls import PublicUrls
from hosting.public.documents import assertion_document, assertion_mapping
from hosting.storage.models import Assertion
from hosting.storage.store import IssuedRow
from openbadges_core import ob2

URLS = PublicUrls("https://badges.example.org/base")
BADGE = "BadgeBadgeBadgeBadge12"
ISSUED = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def _row(**changes: Any) -> Assertion:
    identity = ob2.hash_identity("earner@example.org", type="email", salt="pepper")
    values: dict[str, Any] = {
        "public_id": "AssertionAssertion1234", "recipient_type": "email", "recipient_hashed": True,
        "recipient_identity": identity.identity, "recipient_salt": identity.salt, "verification_type": "hosted",
        "issued_on": ISSUED, "expires": None, "narrative": None, "evidence": [],
    }
    values.update(changes)
    return cast(Assertion, IssuedRow(values))


def _validated(row: Assertion, key: str | None = None) -> bytes:
    return ob2.Assertion.from_dict(assertion_mapping(row, BADGE, URLS, key_public_id=key)).to_json()


CASES: dict[str, dict[str, Any]] = {
    "plain": {},
    "unhashed": {"recipient_hashed": False, "recipient_identity": "earner@example.org", "recipient_salt": None},
    "hashed without salt": {"recipient_salt": None},
    "url recipient": {"recipient_type": "url", "recipient_hashed": False,
                      "recipient_identity": "https://earner.example.org/me", "recipient_salt": None},
    "whole second": {"issued_on": ISSUED.replace(microsecond=0)},
    "naive (SQLite)": {"issued_on": ISSUED.replace(tzinfo=None), "expires": datetime(2030, 1, 1)},
    "other offset": {"issued_on": ISSUED.astimezone(timezone(timedelta(hours=-5, minutes=-30))),
                     "expires": datetime(2031, 6, 30, 23, 59, 59, tzinfo=timezone(timedelta(hours=9)))},
    "expires": {"expires": ISSUED + timedelta(days=365)},
    "narrative": {"narrative": "Built a \"bridge\" — über <b>well</b>\n\u2028 done"},
    "empty narrative": {"narrative": ""},
    "expires and narrative": {"expires": ISSUED + timedelta(days=1), "narrative": "n"},
    "evidence (parsed path)": {"evidence": [{"narrative": "x", "id": "https://e.example.org/1"}]},
    "evidence IRI (parsed path)": {"evidence": ["https://e.example.org/2"], "narrative": "n",
                                   "expires": ISSUED + timedelta(days=2)},
}


@pytest.mark.parametrize("changes", CASES.values(), ids=CASES.keys())
def test_unvalidated_hosted_document_is_byte_identical(changes: dict[str, Any]) -> None:
    row = _row(**changes)
    fast = assertion_document(row, BADGE, URLS, key_public_id=None, validate=False)
    assert fast == _validated(row)
    assert fast == assertion_document(row, BADGE, URLS, key_public_id=None)  # the validated path, as GETs do
    ob2.validate_document(ob2.Assertion.from_json(fast).to_dict(), kind="Assertion")


@pytest.mark.parametrize("changes", [c for c in CASES.values() if not c.get("evidence")])
def test_rows_without_evidence_take_the_typed_path(changes: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above is not vacuous: these rows are not parsed from a mapping."""
    expected = _validated(_row(**changes))

    def parsed(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("parsed from a mapping")

    monkeypatch.setattr(ob2.Assertion, "from_dict", parsed)
    assert assertion_document(_row(**changes), BADGE, URLS, key_public_id=None, validate=False) == expected


def test_signed_rows_keep_the_mapping_path() -> None:
    row = _row(verification_type="signed")
    assert assertion_document(row, BADGE, URLS, key_public_id="KeyKeyKeyKeyKeyKeyKey1",
                              validate=False) == _validated(row, "KeyKeyKeyKeyKeyKeyKey1")
    with pytest.raises(ValueError, match="signing key"):
        assertion_document(row, BADGE, URLS, key_public_id=None, validate=False)
