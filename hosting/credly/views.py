"""A stored assertion as Credly's badge object (the keys of the seed's responses)."""

from __future__ import annotations

import uuid
from typing import Any

from hosting.lib.evidence import credly_evidence
from hosting.lib.times import iso
from hosting.lib.urls import PublicUrls
from hosting.storage.models import Acceptance, Assertion, AssertionState, BadgeClass, Issuer

__all__ = ["badge_json", "credly_state", "item_id", "minimal_json", "template_json"]

_STATES = {AssertionState.ACTIVE: "accepted", AssertionState.PENDING: "pending",
           AssertionState.REJECTED: "rejected", AssertionState.REVOKED: "revoked",
           AssertionState.REPLACED: "revoked"}  # Credly shows a replaced badge as revoked (replacement_badge_id set)


def credly_state(state: str) -> str:
    return _STATES.get(state, state)


def _organization(issuer: Issuer, api_base: str) -> dict[str, Any]:
    return {"type": "Organization", "id": issuer.public_id, "name": issuer.name,
            "url": f"{api_base}/v1/organizations/{issuer.public_id}", "vanity_url": issuer.url, "verified": True}


def item_id(owner_url: str, kind: str, index: int) -> str:
    """The ``id`` of the ``index``-th ``kind`` item (``evidence``, ``alignment``) of the thing at ``owner_url``: a
    UUID, as Credly's, derived from both (stable across reads, distinct across badges and templates)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{owner_url}#{kind}-{index}"))


def _aligned(badge: BadgeClass) -> list[dict[str, Any]]:
    """The badge class's OB 2.0 alignments (``targetName``, ``targetUrl``, ``targetDescription``)."""
    return [a for a in badge.alignment or () if isinstance(a, dict)]


def _alignments(badge: BadgeClass, urls: PublicUrls) -> list[dict[str, Any]]:
    """The alignments as a template's, each with its id."""
    return [{"id": item_id(urls.badge(badge.public_id), "alignment", i), "name": a.get("targetName"),
             "url": a.get("targetUrl"), "description": a.get("targetDescription")}
            for i, a in enumerate(_aligned(badge))]


def template_json(badge: BadgeClass, issuer: Issuer, urls: PublicUrls, *,
                  issued_count: int | None = None) -> dict[str, Any]:
    """A badge class as Credly's ``badge_template`` object (the keys of the seed's responses). The template
    routes give ``issued_count`` (``badges_count``, ``get_issue_count``) and add the template's own settings
    (``reporting_tags``, ``badges_issued_as_accepted``: the badge class's acceptance is the issuer's, an unset one
    reading as Credly's default, pending); inside a badge they are left out (no count per badge)."""
    image_url = urls.badge_image(badge.public_id)
    out: dict[str, Any] = {
        "id": badge.public_id, "description": badge.description, "global_activity_url": badge.global_activity_url,
        "name": badge.name, "state": "archived" if badge.archived else "active", "public": True,
        "recipient_type": "User", "show_badge_lmi": False, "show_lmi_jobs": False, "show_skill_tag_links": True,
        "vanity_slug": badge.slug, "criteria_url_name": None, "criteria_url": badge.criteria_url,
        "certification": False, "state_updated_at": None,
        "created_at": iso(badge.created_at), "updated_at": iso(badge.updated_at),
        "template_type": "skill", "show_template_settings": False,
        "image": {"id": badge.public_id, "url": image_url}, "image_url": image_url, "url": urls.badge(badge.public_id),
        "owner": {**_organization(issuer, urls.base), "vanity_slug": issuer.slug, "viewable": True},
        "alignments": _alignments(badge, urls), "recommendations": [], "required_badge_templates": [],
        "badge_template_activities": [],
        "skills": [t for t in badge.tags or () if isinstance(t, str)],
    }
    if issued_count is not None:
        out.update(badges_count=issued_count, get_issue_count=issued_count,
                   reporting_tags=[t for t in badge.reporting_tags or () if isinstance(t, str)],
                   badges_issued_as_accepted=badge.acceptance == Acceptance.ISSUER)
    return out


def _names(full: str | None) -> tuple[str | None, str | None]:
    first, _, last = (full or "").rpartition(" ")
    return (first, last) if first else (last or None, None)


def _core(assertion: Assertion, names: tuple[str, str] | None) -> dict[str, Any]:
    """The keys of both formats: the badge's identity, earner, state and dates."""
    stored = (assertion.recipient_first_name, assertion.recipient_last_name)
    first, last = names or (stored if stored[0] is not None else _names(assertion.recipient_name))
    state = credly_state(assertion.state)
    return {
        "id": assertion.public_id,
        "issued_to": assertion.recipient_name, "issued_to_first_name": first, "issued_to_last_name": last,
        "issuer_earner_id": assertion.issuer_earner_id, "public": assertion.state == AssertionState.ACTIVE,
        "recipient_email": assertion.recipient_plaintext, "state": state,
        "created_at": iso(assertion.created_at), "expires_at": iso(assertion.expires),
        "issued_at": iso(assertion.issued_on),
        "state_updated_at": iso(assertion.state_updated_at) if state != "pending" else None,
    }


def minimal_json(assertion: Assertion, template_id: str, template_name: str) -> dict[str, Any]:
    """The high-volume search's ``minimal`` format: the badge, its earner, state and dates, the template's id
    and name."""
    return {**_core(assertion, None), "badge_template": {"id": template_id, "name": template_name}}


def badge_json(assertion: Assertion, *, badge: BadgeClass, issuer: Issuer, urls: PublicUrls,
               accept_url: str | None, replaced_by: str | None = None,
               names: tuple[str, str] | None = None) -> dict[str, Any]:
    """``names``: the first and last names as given at issue (else the stored ones; for a badge issued through
    another API, split from the stored full name)."""
    image_url = urls.assertion_image(assertion.public_id)
    return {
        **_core(assertion, names),
        "user": {"id": assertion.external_user_id} if assertion.external_user_id else {},
        "printing_enabled": False,
        "issuer": _organization(issuer, urls.base),
        "badge_template": template_json(badge, issuer, urls),
        "locale": assertion.locale or "en",
        "replacement_badge_id": replaced_by,
        "revocation_reason": assertion.revocation_reason,
        "suppress_badge_notification_email": bool(assertion.notification_suppressed),
        "updated_at": iso(assertion.updated_at),
        "expires_at_date": (assertion.expires_date or assertion.expires.date()).isoformat() if assertion.expires
        else None,
        "issued_at_date": (assertion.issued_date or assertion.issued_on.date()).isoformat(),
        "image": {"id": assertion.public_id, "url": image_url}, "image_url": image_url,
        "alignments": [{"name": a.get("targetName"), "description": a.get("targetDescription")}
                       for a in _aligned(badge)],  # a badge's, as the seed shows them: no id
        "evidence": [{"id": item_id(urls.assertion(assertion.public_id), "evidence", i), **item}
                     for i, item in enumerate(credly_evidence(assertion.evidence))],
        "accept_badge_url": accept_url,
        "badge_url": urls.assertion(assertion.public_id),
        "public_url": urls.assertion(assertion.public_id),
    }
