"""The issuer page (its profile and badge classes) and the badge class page."""

from __future__ import annotations

from typing import Any

from hosting.lib.urls import PublicUrls
from hosting.pages.award import alignments
from hosting.pages.env import render, safe_url
from hosting.pages.og import OG_HEIGHT, OG_WIDTH
from hosting.pages.reads import BadgeRows, IssuerRows

__all__ = ["render_badge_page", "render_issuer_page"]

_SUMMARY = 140


def _summary(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= _SUMMARY else text[: _SUMMARY - 1].rstrip() + "…"


def render_issuer_page(rows: IssuerRows, urls: PublicUrls) -> bytes:
    issuer = rows.issuer
    page_url = urls.issuer(issuer.public_id)
    image = urls.issuer(issuer.public_id) + "/og.png" if issuer.image_id else \
        (urls.badge(rows.badges[0].public_id) + "/og.png" if rows.badges else "")
    social = {"title": issuer.name, "description": _summary(issuer.description) or f"Badges issued by {issuer.name}",
              "url": page_url, "image": image, "image_alt": f"{issuer.name} logo" if issuer.image_id else "",
              "image_width": OG_WIDTH, "image_height": OG_HEIGHT, "site_name": issuer.name}
    badges = [{"name": b.name, "url": urls.badge(b.public_id), "image_url": urls.badge_image(b.public_id),
               "summary": _summary(b.strapline or b.description)} for b in rows.badges]
    return render(
        "issuer.html", social=social, issuer=issuer, badges=badges, json_url=page_url,
        issuer_image_url=urls.issuer_image(issuer.public_id) if issuer.image_id else None,
        website_url=safe_url(issuer.url), profile_url=urls.profile(issuer.public_id),
        did_url=urls.did_document(issuer.public_id), revocations_url=urls.revocations(issuer.public_id),
        status_list_url=urls.status_list(issuer.public_id),
    )


def _facts(badge: Any) -> list[tuple[str, str]]:
    facts: list[tuple[str, str]] = []
    if badge.achievement_type:
        facts.append(("Type", badge.achievement_type))
    if badge.badge_type:
        facts.append(("Kind", badge.badge_type))
    if badge.time_value and badge.time_units:
        facts.append(("Time to earn", f"{badge.time_value} {badge.time_units}"))
    if badge.earner_description:
        facts.append(("For earners", badge.earner_description))
    if badge.consumer_description:
        facts.append(("For employers", badge.consumer_description))
    return facts


def render_badge_page(rows: BadgeRows, urls: PublicUrls) -> bytes:
    badge, issuer = rows.badge, rows.issuer
    page_url = urls.badge(badge.public_id)
    image_alt = badge.image_alt_text or f"Badge image: {badge.name}"
    social = {"title": f"{badge.name} — {issuer.name}", "description": _summary(badge.description), "url": page_url,
              "image": page_url + "/og.png", "image_alt": image_alt, "image_width": OG_WIDTH,
              "image_height": OG_HEIGHT, "site_name": issuer.name}
    items = [i for i in badge.criteria_items or () if isinstance(i, dict) and i.get("description")]
    return render(
        "badge.html", social=social, badge=badge, issuer=issuer, json_url=page_url,
        badge_image_url=urls.badge_image(badge.public_id), image_alt=image_alt,
        issuer_image_url=urls.issuer_image(issuer.public_id) if issuer.image_id else None,
        issuer_page_url=urls.issuer(issuer.public_id), criteria_narrative=badge.criteria_narrative,
        criteria_items=items, criteria_url=safe_url(badge.criteria_url), facts=_facts(badge),
        tags=[str(t) for t in badge.tags or ()], alignments=alignments(badge),
        achievement_url=urls.achievement(badge.public_id),
    )
