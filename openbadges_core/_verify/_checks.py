"""Rules every OB 2.0 verification applies: dates, scope, recipient, images, revocation entries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from openbadges_core._identity import identity_matches
from openbadges_core._urls import origin_of, starts_with
from openbadges_core._verify._report import VerificationReport

__all__ = [
    "as_list",
    "check_badge_image",
    "check_dates",
    "check_hosted_scope",
    "check_recipient",
    "find_revocation",
    "find_revocation_indexed",
    "index_revocations",
    "parse_datetime",
]


def as_list(value: object) -> list[Any]:
    """A JSON-LD value that may be one item or a list, as a list (``None`` → [])."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def parse_datetime(value: object) -> datetime | None:
    """An ISO 8601 date or date-time as an aware datetime (UTC when no offset), or ``None``."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    return _parse_datetime(value)


@lru_cache(maxsize=1024)  # badges issued together share their dates; datetimes are immutable
def _parse_datetime(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@lru_cache(maxsize=32)
def _seconds(skew: float) -> timedelta:
    """``timedelta(seconds=skew)``, built once per skew value (building one costs as much as a date check)."""
    return timedelta(seconds=skew)


def check_dates(report: VerificationReport, assertion: Mapping[str, Any], now: datetime, skew: float) -> None:
    """``issued_on`` not in the future (beyond ``skew`` s); ``expiry``: not expired, after ``issuedOn``."""
    issued = parse_datetime(assertion.get("issuedOn"))
    if issued is None:
        report.fail("issued_on", f"issuedOn {assertion.get('issuedOn')!r} is not an ISO 8601 date-time")
    elif issued > now + _seconds(skew):
        report.fail("issued_on", f"issuedOn {issued.isoformat()} is in the future (now {now.isoformat()})",
                    issued_on=issued.isoformat())
    else:
        report.ok("issued_on", lambda: f"issued on {issued.isoformat()}")
    raw = assertion.get("expires")
    if raw is None:
        report.ok("expiry", "the assertion does not expire")
        return
    expires = parse_datetime(raw)
    if expires is None:
        report.fail("expiry", f"expires {raw!r} is not an ISO 8601 date-time")
    elif issued is not None and expires <= issued:
        report.fail("expiry", f"expires {expires.isoformat()} is not after issuedOn {issued.isoformat()}")
    elif expires <= now:
        report.expired = True
        report.fail("expiry", f"the assertion expired on {expires.isoformat()}", expires=expires.isoformat())
    else:
        report.ok("expiry", lambda: f"valid until {expires.isoformat()}")


def check_hosted_scope(report: VerificationReport, assertion_id: str, issuer: Mapping[str, Any]) -> None:
    """``hosted_scope``: the assertion URL lies where the issuer says its assertions live.

    With ``verification.startsWith`` and/or ``verification.allowedOrigins`` on the issuer, every given
    constraint must hold; without them the assertion must share the issuer ``id``'s origin.
    """
    policy = issuer.get("verification")
    policy = policy if (type(policy) is dict or isinstance(policy, Mapping)) else {}
    starts = [s for s in as_list(policy.get("startsWith")) if isinstance(s, str) and s]
    origins = [o.lower() for o in as_list(policy.get("allowedOrigins")) if isinstance(o, str) and o]
    target = origin_of(assertion_id)
    if target is None:
        report.fail("hosted_scope", f"assertion id {assertion_id!r} is not an absolute http(s) URL")
        return
    if not starts and not origins:
        issuer_id = issuer.get("id")
        home = origin_of(issuer_id) if isinstance(issuer_id, str) else None
        if home is not None and home == target:
            report.ok("hosted_scope", f"assertion is hosted on the issuer's origin {home[0]}://{home[1]}")
        else:
            report.fail("hosted_scope", f"assertion {assertion_id} is not on the origin of issuer {issuer_id!r} "
                        "and the issuer declares no startsWith/allowedOrigins")
        return
    problems = []
    if starts and not any(starts_with(assertion_id, s) for s in starts):
        problems.append(f"does not start with any of {starts}")
    if origins:
        netloc = urlsplit(assertion_id).netloc.lower()
        if target[1] not in origins and netloc not in origins:
            problems.append(f"its host is not one of the allowedOrigins {origins}")
    if problems:
        report.fail("hosted_scope", f"assertion {assertion_id} " + " and ".join(problems))
    else:
        report.ok("hosted_scope", f"assertion {assertion_id} is within the issuer's verification policy")


def check_recipient(report: VerificationReport, assertion: Mapping[str, Any], recipient: str | None) -> None:
    """``recipient``: the plaintext identity matches the (hashed or plain) recipient of the assertion."""
    if recipient is None:
        return
    identity = assertion.get("recipient")
    if not (type(identity) is dict or isinstance(identity, Mapping)):
        report.recipient_match = False
        report.fail("recipient", "the assertion has no recipient identity object")
        return
    try:
        matched = bool(identity_matches(identity, recipient))
    except Exception as exc:  # noqa: BLE001 - unknown hash algorithm, bad identity ...
        report.recipient_match = False
        report.fail("recipient", f"cannot compare the recipient: {getattr(exc, 'message', exc)}")
        return
    report.recipient_match = matched
    kind = identity.get("type", "email")
    if matched:
        report.ok("recipient", f"the badge was awarded to this {kind}")
    else:
        report.fail("recipient", f"the badge was not awarded to this {kind}")


def check_badge_image(report: VerificationReport, badge: Mapping[str, Any]) -> None:
    """``badge_image``: the BadgeClass has an image (a URL, data URI or an Image object with an id)."""
    image = badge.get("image")
    if type(image) is not str and (type(image) is dict or isinstance(image, Mapping)):
        image = image.get("id")
    if isinstance(image, str) and image.strip():
        report.ok("badge_image", "the badge class has an image")
    else:
        report.fail("badge_image", "the badge class has no image")


def find_revocation(revocation_list: Mapping[str, Any], ids: set[str]) -> tuple[bool, str | None]:
    """Whether one of ``ids`` is in ``revokedAssertions`` (one entry or many), with its reason."""
    for entry in as_list(revocation_list.get("revokedAssertions")):
        if isinstance(entry, str):
            if entry in ids:
                return True, None
        elif (type(entry) is dict or isinstance(entry, Mapping)) and (entry.get("id") in ids or entry.get("uid") in ids):
            reason = entry.get("revocationReason")
            return True, reason if isinstance(reason, str) else None
    return False, None


#: ``revokedAssertions`` indexed by id/uid: (position of the first entry naming it, its reason).
RevocationIndex = dict[str, tuple[int, str | None]]


def index_revocations(revocation_list: Mapping[str, Any]) -> RevocationIndex | None:
    """An index that makes :func:`find_revocation` one lookup per id instead of a scan of the list.

    ``None`` when an entry's id/uid is neither a string nor absent (hostile or broken lists): those keep
    the linear scan, so the answer (and any error it raises) is exactly :func:`find_revocation`'s.
    """
    index: RevocationIndex = {}
    for position, entry in enumerate(as_list(revocation_list.get("revokedAssertions"))):
        if isinstance(entry, str):
            index.setdefault(entry, (position, None))
        elif type(entry) is dict or isinstance(entry, Mapping):
            reason = entry.get("revocationReason")
            for name in (entry.get("id"), entry.get("uid")):
                if isinstance(name, str):
                    index.setdefault(name, (position, reason if isinstance(reason, str) else None))
                elif name is not None:
                    return None
    return index


def find_revocation_indexed(index: RevocationIndex, ids: set[str]) -> tuple[bool, str | None]:
    """:func:`find_revocation` through an :func:`index_revocations` index (the earliest entry wins)."""
    earliest = None
    for assertion_id in ids:
        hit = index.get(assertion_id)
        if hit is not None and (earliest is None or hit[0] < earliest[0]):
            earliest = hit
    return (False, None) if earliest is None else (True, earliest[1])


def utc_now() -> datetime:
    return datetime.now(UTC)
