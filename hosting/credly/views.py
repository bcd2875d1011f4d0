"""A stored assertion as Credly's badge object (the keys of the seed's responses)."""

from __future__ import annotations

from typing import Any

from hosting.lib.evidence import credly_evidence
from hosting.lib.times import iso
from hosting.lib.urls import PublicUrls
from hosting.storage.models import Assertion, AssertionState, BadgeClass, Issuer

__all__ = ["badge_json", "credly_state"]

_STATES = {AssertionState.ACTIVE: "accepted", AssertionState.PENDING: "pending",
           AssertionState.REJECTED: "rejected", AssertionState.REVOKED: "revoked",
           AssertionState.REPLACED: "revoked"}  # Credly shows a replaced badge as revoked (replacement_badge_id set)


def credly_state(state: str) -> str:
    return _STATES.get(state, state)


def _organization(issuer: Issuer, api_base: str) -> dict[str, Any]:
    return {"type": "Organization", "id": issuer.public_id, "name": issuer.name,
            "url": f"{api_base}/v1/organizations/{issuer.public_id}", "vanity_url": issuer.url, "verified": True}


def _names(full: str | None) -> tuple[str | None, str | None]:
    first, _, last = (full or "").rpartition(" ")
    return (first, last) if first else (last or None, None)


def badge_json(assertion: Assertion, *, badge: BadgeClass, issuer: Issuer, urls: PublicUrls,
               accept_url: str | None, replaced_by: str | None = None,
               names: tuple[str, str] | None = None) -> dict[str, Any]:
    """``names``: the first and last names as given at issue (else split from the stored full name)."""
    first, last = names or _names(assertion.recipient_name)
    state = credly_state(assertion.state)
    image_url = urls.assertion_image(assertion.public_id)
    return {
        "id": assertion.public_id,
        "user": {},
        "printing_enabled": False,
        "issuer": _organization(issuer, urls.base),
        "badge_template": {
            "id": badge.public_id, "name": badge.name, "description": badge.description,
            "state": "archived" if badge.archived else "active", "public": True, "recipient_type": "User",
            "vanity_slug": badge.slug, "criteria_url": badge.criteria_url, "image_url": urls.badge_image(
                badge.public_id), "url": urls.badge(badge.public_id), "owner": _organization(issuer, urls.base),
            "skills": [t for t in badge.tags or () if isinstance(t, str)],
        },
        "issued_to": assertion.recipient_name, "issued_to_first_name": first, "issued_to_last_name": last,
        "issuer_earner_id": assertion.issuer_earner_id, "locale": assertion.locale or "en",
        "public": assertion.state == AssertionState.ACTIVE,
        "recipient_email": assertion.recipient_plaintext,
        "replacement_badge_id": replaced_by,
        "revocation_reason": assertion.revocation_reason,
        "state": state,
        "suppress_badge_notification_email": False,
        "created_at": iso(assertion.created_at), "updated_at": iso(assertion.updated_at),
        "expires_at": iso(assertion.expires),
        "expires_at_date": assertion.expires.date().isoformat() if assertion.expires else None,
        "issued_at": iso(assertion.issued_on), "issued_at_date": assertion.issued_on.date().isoformat(),
        "state_updated_at": iso(assertion.state_updated_at) if state != "pending" else None,
        "image": {"id": assertion.public_id, "url": image_url}, "image_url": image_url,
        "alignments": [a for a in badge.alignment or () if isinstance(a, dict)],
        "evidence": credly_evidence(assertion.evidence),
        "accept_badge_url": accept_url,
        "badge_url": urls.assertion(assertion.public_id),
        "public_url": urls.assertion(assertion.public_id),
    }
