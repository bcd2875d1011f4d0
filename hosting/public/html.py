"""Server-rendered HTML badge page (Jinja; no external assets, no JavaScript)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from hosting.lib.urls import PublicUrls
from hosting.public.documents import iso8601
from hosting.public.service import AssertionPage

__all__ = ["render_assertion_page"]

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%d %B %Y")


def render_assertion_page(page: AssertionPage, urls: PublicUrls, *, now: datetime | None = None) -> bytes:
    a, badge = page.assertion, page.badge
    now = now or datetime.now(UTC)
    expires = a.expires
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    html = _env.get_template("assertion.html").render(
        assertion=a,
        badge=badge,
        issuer=page.issuer,
        revoked=page.revoked,
        signed=a.verification_type == "signed",
        expired=expires is not None and expires <= now,
        assertion_url=urls.assertion(a.public_id),
        badge_image_url=urls.badge_image(badge.public_id),
        baked_image_url=urls.assertion_image(a.public_id),
        image_alt=badge.image_alt_text or f"Badge image: {badge.name}",
        hash_algorithm=(a.recipient_identity.split("$", 1)[0] if "$" in a.recipient_identity else "hash"),
        issued_iso=iso8601(a.issued_on),
        issued_text=_text(a.issued_on),
        expires_iso=iso8601(expires) if expires else "",
        expires_text=_text(expires) if expires else "",
    )
    return html.encode()
