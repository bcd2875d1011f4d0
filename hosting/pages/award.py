"""The badge page of one award: an OB 2.0 assertion or an OB 3.0 credential (one template, two formats).

What the page shows and never shows: the earner's name only when the issuer recorded one and the earner chose to
show it (:func:`shown_earner_name`); never the recipient's email or other identity, hashed or not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from hosting.lib.http import RawResponse, RequestInfo, redirect_response
from hosting.lib.times import aware, iso
from hosting.lib.urls import PublicUrls
from hosting.pages.env import date_text, render, safe_url
from hosting.pages.og import OG_HEIGHT, OG_WIDTH
from hosting.pages.reads import AwardRows
from hosting.pages.respond import page_response
from hosting.public.service import Redirect
from hosting.storage.models import Assertion, AssertionState, BadgeClass

__all__ = ["Check", "award_page_response", "linkedin_add_url", "render_award_page", "shown_earner_name"]

LINKEDIN_ADD = "https://www.linkedin.com/profile/add"
_EVIDENCE_TEXTS = ("name", "description", "narrative", "genre", "audience")
_PROOFS = {"di": "a Data Integrity proof (eddsa-rdfc-2022)", "jwt": "a VC-JWT (a JSON Web Token signed by the issuer)"}


def shown_earner_name(assertion: Assertion) -> str | None:
    """The earner's name for the public page: only when the issuer recorded one (``recipient_name``) **and** the
    earner opted in on acceptance (``recipient_name_shown``, set on the accept page; never the email)."""
    if not assertion.recipient_name_shown:
        return None
    return assertion.recipient_name or None


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the verification panel: what was checked, in plain words."""

    title: str
    text: str
    level: str = "ok"  # ok | warn | fail
    links: list[tuple[str, str]] = field(default_factory=list)


def linkedin_add_url(*, name: str, organization: str, issued: datetime, expires: datetime | None, cert_url: str,
                     cert_id: str) -> str:
    """LinkedIn's documented add-to-profile link for a certification, its fields filled."""
    params: dict[str, str] = {"startTask": "CERTIFICATION_NAME", "name": name, "organizationName": organization,
                              "issueYear": str(issued.year), "issueMonth": str(issued.month)}
    if expires is not None:
        params |= {"expirationYear": str(expires.year), "expirationMonth": str(expires.month)}
    params |= {"certUrl": cert_url, "certId": cert_id}
    return f"{LINKEDIN_ADD}?{urlencode(params)}"


def _share_links(url: str, title: str) -> list[tuple[str, str]]:
    return [
        ("Share on LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})),
        ("Share on X", "https://x.com/intent/post?" + urlencode({"url": url, "text": title})),
        ("Share on Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
        ("Share by email", "mailto:?" + urlencode({"subject": title, "body": url}).replace("+", "%20")),
    ]


def _evidence(items: Any) -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = []
    for item in items or ():
        if not isinstance(item, dict):
            continue
        entry: dict[str, str | None] = {k: str(item[k]) for k in _EVIDENCE_TEXTS if item.get(k)}
        entry["url"] = safe_url(item.get("id"))
        if any(entry.values()):
            out.append(entry)
    return out


def alignments(badge: BadgeClass) -> list[dict[str, str | None]]:
    """The badge class's alignments for a page (names, safe links, framework, code)."""
    out: list[dict[str, str | None]] = []
    for a in badge.alignment or ():
        if isinstance(a, dict) and a.get("targetName"):
            out.append({"name": str(a["targetName"]), "url": safe_url(a.get("targetUrl")),
                        "framework": a.get("targetFramework"), "code": a.get("targetCode"),
                        "description": a.get("targetDescription")})
    return out


def _checks(rows: AwardRows, urls: PublicUrls, *, expired: bool, expires: datetime | None) -> list[Check]:
    a, issuer = rows.assertion, rows.issuer
    host = urlsplit(urls.base).netloc or urls.base
    checks: list[Check] = []
    if a.format == "ob3":
        proof = _PROOFS.get(a.proof_type or "", "a cryptographic proof")
        links = [("The credential (JSON)", urls.credential(a.public_id) + "?format=json")]
        if a.proof_type == "jwt":
            links.append(("The VC-JWT", urls.credential_jwt(a.public_id)))
        links.append(("The issuer's keys (DID document)", urls.did_document(issuer.public_id)))
        checks.append(Check("Signed credential (Open Badges 3.0)",
                            f"This credential is signed by its issuer with {proof}; a verifier checks the "
                            "signature against the issuer's published keys.", links=links))
    elif a.verification_type == "signed":
        links = [("The signed assertion (JWS)", urls.assertion(a.public_id) + "?format=jws")]
        if rows.key_public_id:
            links.append(("The issuer's public key", urls.key(rows.key_public_id)))
        checks.append(Check("Signed assertion (Open Badges 2.0)",
                            "This badge is signed by its issuer (a JSON Web Signature); a verifier checks the "
                            "signature with the issuer's public key.", links=links))
    else:
        checks.append(Check("Hosted assertion (Open Badges 2.0)",
                            f"This badge's record is hosted by its issuer on {host}; a verifier fetches it "
                            "from this address and compares it with what it was given.",
                            links=[("The assertion (JSON)", urls.assertion(a.public_id) + "?format=json")]))
    status_link = ("The issuer's status list", urls.status_list(issuer.public_id)) if a.format == "ob3" else \
        ("The issuer's revocation list", urls.revocations(issuer.public_id))
    if a.state == AssertionState.REVOKED:
        given = (a.revocation_reason or "").strip().rstrip(".")
        reason = f" Reason given: {given}." if given else ""
        checks.append(Check("Revoked", f"The issuer has revoked this badge.{reason}", "fail", [status_link]))
    else:
        where = "its entry in the issuer's status list is not set" if a.format == "ob3" else \
            "it is not in the issuer's revocation list"
        checks.append(Check("Not revoked", f"The issuer's records show this badge as valid: {where}.",
                            links=[status_link]))
    if expires is None:
        checks.append(Check("No expiry", "This badge does not expire."))
    elif expired:
        checks.append(Check("Expired", f"This badge expired on {date_text(expires)}.", "warn"))
    else:
        checks.append(Check("Not expired", f"This badge is valid until {date_text(expires)}."))
    return checks


def render_award_page(rows: AwardRows, urls: PublicUrls, *, now: datetime | None = None) -> bytes:
    """The HTML page of an award (active, expired or revoked; the caller answers 410 for a revoked one)."""
    a, badge, issuer = rows.assertion, rows.badge, rows.issuer
    now = now or datetime.now(UTC)
    ob3 = a.format == "ob3"
    page_url = urls.credential(a.public_id) if ob3 else urls.assertion(a.public_id)
    issued = aware(a.issued_on)
    expires = aware(a.expires) if a.expires is not None else None
    expired = expires is not None and expires <= now
    revoked = None
    if a.state == AssertionState.REVOKED:
        revoked = {"reason": (a.revocation_reason or "").strip().rstrip("."),
                   "date_iso": iso(aware(a.revoked_at)) if a.revoked_at else "",
                   "date_text": date_text(a.revoked_at) if a.revoked_at else ""}
    title = f"{badge.name} — {issuer.name}"
    image_alt = badge.image_alt_text or f"Badge image: {badge.name}"
    social = {"title": title, "description": (badge.description or "")[:300], "url": page_url,
              "image": urls.badge(badge.public_id) + "/og.png", "image_alt": image_alt,
              "image_width": OG_WIDTH, "image_height": OG_HEIGHT, "site_name": issuer.name}
    signed = ob3 or a.verification_type == "signed"
    rtype = a.recipient_type or "identity"
    return render(
        "award.html",
        social=social, badge=badge, issuer=issuer, revoked=revoked, expired=expired, signed=signed,
        kind_label="Open Badges 3.0 credential" if ob3 else "Open Badges 2.0 badge",
        json_url=page_url, json_type="application/vc+ld+json" if ob3 else "application/ld+json",
        verify_url=page_url,
        badge_image_url=urls.badge_image(badge.public_id), image_alt=image_alt,
        issuer_image_url=urls.issuer_image(issuer.public_id) if issuer.image_id else None,
        issuer_page_url=urls.issuer(issuer.public_id), badge_page_url=urls.badge(badge.public_id),
        earner_name=shown_earner_name(a),
        recipient_hashed=a.recipient_hashed, recipient_type=rtype,
        recipient_type_article="an" if rtype[:1] in "aeiou" else "a",
        hash_algorithm=a.recipient_identity.split("$", 1)[0] if "$" in a.recipient_identity else "hash",
        issued_iso=iso(issued), issued_text=date_text(issued),
        expires_iso=iso(expires) if expires else "", expires_text=date_text(expires) if expires else "",
        criteria_narrative=badge.criteria_narrative, criteria_url=safe_url(badge.criteria_url),
        narrative=a.narrative, tags=[str(t) for t in badge.tags or ()], alignments=alignments(badge),
        evidence=_evidence(a.evidence),
        checks=_checks(rows, urls, expired=expired, expires=expires),
        linkedin_add_url=None if revoked else linkedin_add_url(
            name=badge.name, organization=issuer.name, issued=issued, expires=expires, cert_url=page_url,
            cert_id=a.public_id),
        share_links=_share_links(page_url, f"{badge.name}, issued by {issuer.name}"),
        baked_image_url=None if revoked else (urls.credential_image(a.public_id) if ob3
                                              else urls.assertion_image(a.public_id)),
    )


def award_page_response(info: RequestInfo, rows: AwardRows | Redirect, urls: PublicUrls, *, max_age: int,
                        moved_to: Callable[[str], str]) -> RawResponse:
    """The award's page (410 when revoked, ``Last-Modified`` its revocation or last change), or a 301 to
    ``moved_to(public id)`` of its newest replacement."""
    if isinstance(rows, Redirect):
        return redirect_response(info, moved_to(rows.public_id), max_age)
    revoked = rows.assertion.state == AssertionState.REVOKED
    return page_response(info, render_award_page(rows, urls), base_url=urls.base, max_age=max_age,
                         status_code=410 if revoked else 200,
                         last_modified=rows.assertion.revoked_at if revoked else rows.assertion.updated_at)
