"""The issuer API's view of an assertion (shared by the assertion endpoints and the listing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hosting.lib.times import aware, iso
from hosting.lib.urls import PublicUrls
from hosting.storage.models import Assertion, AssertionState, BadgeClass, Issuer, utcnow

__all__ = ["assertion_json"]


def assertion_json(assertion: Assertion, *, badge: BadgeClass, issuer: Issuer, urls: PublicUrls,
                   replaced_by: str | None, now: datetime | None = None,
                   accept_token: str | None = None) -> dict[str, Any]:
    """The private (issuer API) view of one assertion; pure: the caller loads ``badge``, ``issuer`` and the
    public id of the assertion that replaced it. ``expired`` is derived (active and ``expires`` < ``now``).
    ``acceptUrl``: the earner's accept link of a pending assertion, when the caller gives its token."""
    now = now or utcnow()
    expired = (assertion.state == AssertionState.ACTIVE and assertion.expires is not None
               and aware(assertion.expires) < now)
    body: dict[str, Any] = {
        "id": assertion.public_id,
        "slug": assertion.slug,
        "badge": {"id": badge.public_id, "slug": badge.slug, "name": badge.name},
        "issuer": {"id": issuer.public_id, "slug": issuer.slug},
        "format": assertion.format,
        "publicUrl": (urls.credential(assertion.public_id) if assertion.format == "ob3"
                      else urls.assertion(assertion.public_id)),
        "imageUrl": (urls.credential_image(assertion.public_id) if assertion.format == "ob3"
                     else urls.assertion_image(assertion.public_id)),
        "state": assertion.state,
        "stateUpdatedAt": iso(assertion.state_updated_at),
        "acceptUrl": urls.accept(accept_token) if accept_token and assertion.state == AssertionState.PENDING
        else None,
        "recipientNameShown": bool(assertion.recipient_name_shown),
        "expired": expired,
        "recipient": {"identity": assertion.recipient_plaintext, "type": assertion.recipient_type,
                      "hashed": assertion.recipient_hashed},
        "recipientName": assertion.recipient_name,
        "issuerEarnerId": assertion.issuer_earner_id,
        "issuedOn": iso(assertion.issued_on),
        "expires": iso(assertion.expires),
        "narrative": assertion.narrative,
        "evidence": assertion.evidence or [],
        "verification": assertion.verification_type,
        "locale": assertion.locale,
        "revocationReason": assertion.revocation_reason,
        "revokedAt": iso(assertion.revoked_at),
        "replacedBy": replaced_by,
        "createdAt": iso(assertion.created_at),
    }
    if assertion.jws is not None:
        body["jwt" if assertion.format == "ob3" else "jws"] = assertion.jws
    return body
