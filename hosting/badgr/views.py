"""Badgr's v2 entities built from our rows: ``entityType``, ``entityId`` (our public id), ``openBadgeId`` (the
public URL here), camelCase fields, ISO 8601 UTC times."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.lib.times import iso
from hosting.lib.urls import PublicUrls
from hosting.storage.models import Assertion, AssertionState, BadgeClass, Issuer, StaffRole, User

__all__ = ["Creators", "assertion_entity", "badgeclass_entity", "creators", "issuer_entity", "staff_entity",
           "user_entity"]

Creators = Mapping[str, str]
"""The creators' emails (``created_by``) with an account, to their Badgr ``entityId``."""


async def creators(session: AsyncSession, emails: Iterable[str | None]) -> Creators:
    """Badgr's ``createdBy`` for rows made by these emails, in one query: the entityId of the user with that
    email. A creator without an account (an admin or service ``/v1`` token) is absent: ``createdBy`` null."""
    wanted = sorted({email for email in emails if email})
    if not wanted:
        return {}
    rows = await session.execute(select(User.email, User.public_id).where(User.email.in_(wanted)))
    return {email: public_id for email, public_id in rows}


def _created_by(email: str | None, by: Creators) -> str | None:
    return by.get(email) if email else None


def staff_entity(row: StaffRole, user: User | None) -> dict[str, Any]:
    """Badgr's staff item: ``user`` is the member's entityId (null while no account has that email), and
    ``userProfile`` names them (their email in ``emails``, as on ``/v2/users/self``)."""
    return {"role": row.role, "user": user.public_id if user else None,
            "userProfile": {"firstName": user.first_name if user else "", "lastName": user.last_name if user else "",
                            "emails": [{"email": row.email, "verified": user is not None, "primary": True}],
                            "url": [], "telephone": []}}


def issuer_entity(issuer: Issuer, urls: PublicUrls, by: Creators, *,
                  staff: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "entityType": "Issuer",
        "entityId": issuer.public_id,
        "openBadgeId": urls.issuer(issuer.public_id),
        "createdAt": iso(issuer.created_at),
        "createdBy": _created_by(issuer.created_by, by),
        "name": issuer.name,
        "image": urls.issuer_image(issuer.public_id) if issuer.image_id is not None else None,
        "email": issuer.email,
        "description": issuer.description or "",
        "url": issuer.url,
        "extensions": {},
    }
    if staff is not None:
        body["staff"] = list(staff)
    return body


def badgeclass_entity(badge: BadgeClass, issuer_public_id: str, urls: PublicUrls, by: Creators) -> dict[str, Any]:
    return {
        "entityType": "BadgeClass",
        "entityId": badge.public_id,
        "openBadgeId": urls.badge(badge.public_id),
        "createdAt": iso(badge.created_at),
        "createdBy": _created_by(badge.created_by, by),
        "issuer": issuer_public_id,
        "issuerOpenBadgeId": urls.issuer(issuer_public_id),
        "name": badge.name,
        "image": urls.badge_image(badge.public_id),
        "imageAltText": badge.image_alt_text,
        "achievementType": badge.achievement_type,
        "description": badge.description,
        "criteriaUrl": badge.criteria_url,
        "criteriaNarrative": badge.criteria_narrative,
        "alignments": [{"targetName": a.get("targetName"), "targetUrl": a.get("targetUrl"),
                        "targetDescription": a.get("targetDescription"), "targetFramework": a.get("targetFramework"),
                        "targetCode": a.get("targetCode")} for a in (badge.alignment or ())],
        "tags": list(badge.tags or ()),
        "archived": badge.archived,
        "expires": ({"amount": badge.expires_amount, "duration": badge.expires_duration}
                    if badge.expires_amount and badge.expires_duration else None),
        "extensions": {},
    }


_NOT_REVOKED = (AssertionState.ACTIVE, AssertionState.PENDING)
# Badgr's acceptance: a pending assertion waits for its earner ("Unaccepted"), a rejected one was turned down.
_ACCEPTANCE = {AssertionState.PENDING: "Unaccepted", AssertionState.REJECTED: "Rejected"}


def _evidence(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"url": item.get("id"), "narrative": item.get("narrative")} for item in items]


def assertion_entity(assertion: Assertion, badge_public_id: str, issuer_public_id: str,
                     urls: PublicUrls, by: Creators) -> dict[str, Any]:
    hashed = bool(assertion.recipient_hashed)
    return {
        "entityType": "Assertion",
        "entityId": assertion.public_id,
        "openBadgeId": urls.assertion(assertion.public_id),
        "createdAt": iso(assertion.created_at),
        "createdBy": _created_by(assertion.created_by, by),
        "badgeclass": badge_public_id,
        "badgeclassOpenBadgeId": urls.badge(badge_public_id),
        "issuer": issuer_public_id,
        "issuerOpenBadgeId": urls.issuer(issuer_public_id),
        "image": urls.assertion_image(assertion.public_id),
        "recipient": {"identity": assertion.recipient_identity, "hashed": hashed, "type": assertion.recipient_type,
                      "plaintextIdentity": assertion.recipient_plaintext, "salt": assertion.recipient_salt},
        "issuedOn": iso(assertion.issued_on),
        "narrative": assertion.narrative,
        "evidence": _evidence(assertion.evidence or ()),
        "revoked": assertion.state not in _NOT_REVOKED,
        "revocationReason": assertion.revocation_reason,
        "acceptance": _ACCEPTANCE.get(assertion.state, "Accepted"),
        "expires": iso(assertion.expires),
        "extensions": {},
    }


def user_entity(user: User) -> dict[str, Any]:
    return {
        "entityType": "BadgeUser",
        "entityId": user.public_id,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "emails": [{"email": user.email, "verified": True, "primary": True}],
        "url": [],
        "telephone": [],
        "recipient": {"identity": user.email, "type": "email"},
        "hasPasswordSet": True,
        "createdAt": iso(user.created_at),
    }
