"""Builders of valid OB 2.0 documents for tests (one place, so every test starts from the same badge)."""

from __future__ import annotations

from datetime import UTC, datetime

from openbadges_core.ob2 import Assertion, BadgeClass, Criteria, Issuer, VerificationObject, hash_identity

ISSUED = datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)


def make_issuer(**changes: object) -> Issuer:
    fields: dict[str, object] = {"id": "https://example.org/organization.json", "name": "An Example Badge Issuer",
                                     "url": "https://example.org", "email": "contact@example.org"}
    fields.update(changes)
    return Issuer(**fields)  # type: ignore[arg-type]


def make_badge(**changes: object) -> BadgeClass:
    fields: dict[str, object] = {
        "id": "https://example.org/robotics-badge.json", "name": "Awesome Robotics Badge",
        "description": "For doing awesome things with robots.", "image": "https://example.org/robotics-badge.png",
        "criteria": Criteria(narrative="Build a robot."), "issuer": "https://example.org/organization.json"}
    fields.update(changes)
    return BadgeClass(**fields)  # type: ignore[arg-type]


def make_assertion(**changes: object) -> Assertion:
    fields: dict[str, object] = {
        "id": "https://example.org/beths-robotics-badge.json",
        "recipient": hash_identity("nobody@example.org", salt="deadsea"),
        "badge": "https://example.org/robotics-badge.json",
        "verification": VerificationObject.hosted(), "issued_on": ISSUED}
    fields.update(changes)
    return Assertion(**fields)  # type: ignore[arg-type]
