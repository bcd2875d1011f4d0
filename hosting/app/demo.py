"""Demo data for ``openbadges-server seed-demo`` and ``make run``."""

from __future__ import annotations

import io
import ipaddress
import shlex
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from hosting.lib.crypto import KeyBox
from hosting.lib.urls import PublicUrls
from hosting.storage.models import utcnow
from hosting.storage.store import HostingStore

__all__ = ["DEMO_SVG", "DemoCheck", "DemoData", "demo_png", "demo_urls", "demo_verify_commands", "seed_demo"]

DEMO_SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">'
    b'<circle cx="128" cy="128" r="120" fill="#1a7f37"/>'
    b'<text x="128" y="148" font-size="56" text-anchor="middle" fill="#fff" font-family="sans-serif">SVG</text>'
    b"</svg>\n"
)


def demo_png(color: tuple[int, int, int] = (10, 88, 202), size: int = 256) -> bytes:
    """A plain round badge drawn with Pillow (no external files)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((8, 8, size - 8, size - 8), fill=(*color, 255), outline=(255, 255, 255, 255), width=6)
    draw.polygon([(size // 2, 60), (size - 70, size // 2), (size // 2, size - 60), (70, size // 2)],
                 fill=(255, 255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class DemoData:
    issuer: str
    badge_png: str
    badge_svg: str
    key: str
    active: str
    signed: str
    svg_assertion: str
    revoked: str
    replaced: str
    replaced_middle: str
    replacement: str
    expired: str
    credential_di: str = ""
    credential_jwt: str = ""


async def seed_demo(session: AsyncSession, urls: PublicUrls, keybox: KeyBox, *, slug: str = "demo") -> DemoData:
    """Create a demo issuer, two badge classes (PNG, SVG), a key and assertions in every state."""
    store = HostingStore(session, urls, keybox)
    issuer = await store.create_issuer(
        slug=slug, name="Demo Academy", url="https://example.org/", email="badges@example.org",
        description="An issuer created by openbadges-server seed-demo.", image=demo_png((90, 50, 160)),
    )
    key = await store.create_key(issuer, "RS256")
    png = await store.create_badge_class(
        issuer, slug="python-basics", name="Python Basics", description="Writes and tests small Python programs.",
        image=demo_png(), criteria_narrative="Pass the three practical exercises.",
        criteria_url="https://example.org/criteria/python-basics", tags=["python", "programming"],
        image_alt_text="A blue round badge with a white diamond",
    )
    svg = await store.create_badge_class(
        issuer, slug="svg-champion", name="SVG Champion", description="Draws vector graphics by hand.",
        image=DEMO_SVG, criteria_narrative="Draw a badge in SVG.",
    )
    active = await store.issue(png, "ada@example.org", recipient_name="Ada Lovelace",
                               narrative="Completed every exercise.")
    signed = await store.issue(png, "grace@example.org", verification="signed")
    svg_assertion = await store.issue(svg, "alan@example.org")
    revoked = await store.issue(png, "mallory@example.org")
    await store.revoke(revoked, "Issued in error")
    first = await store.issue(png, "edsger@example.org")
    middle = await store.issue(png, "edsger@example.org", issued_on=utcnow() - timedelta(days=1))
    newest = await store.issue(png, "edsger@example.org", narrative="Re-issued with a corrected date.")
    await store.replace(first, middle)
    await store.replace(middle, newest)
    expired = await store.issue(png, "old@example.org", issued_on=utcnow() - timedelta(days=800),
                                expires=utcnow() - timedelta(days=30))
    credentials = []
    for proof, who in (("di", "marie@example.org"), ("jwt", "rosalind@example.org")):
        row = await store.issue(png, who, narrative="Open Badges 3.0 credential", proof=proof)
        credentials.append(row.public_id)
    return DemoData(
        credential_di=credentials[0], credential_jwt=credentials[1],
        issuer=issuer.public_id, badge_png=png.public_id, badge_svg=svg.public_id, key=key.public_id,
        active=active.public_id, signed=signed.public_id, svg_assertion=svg_assertion.public_id,
        revoked=revoked.public_id, replaced=first.public_id, replaced_middle=middle.public_id,
        replacement=newest.public_id, expired=expired.public_id,
    )


def demo_urls(data: DemoData, urls: PublicUrls) -> list[tuple[str, str]]:
    """(label, URL) pairs for printing."""
    return [
        ("issuer", urls.issuer(data.issuer)),
        ("badge class (PNG)", urls.badge(data.badge_png)),
        ("badge class (SVG)", urls.badge(data.badge_svg)),
        ("key", urls.key(data.key)),
        ("revocation list", urls.revocations(data.issuer)),
        ("assertion (hosted)", urls.assertion(data.active)),
        ("assertion baked image", urls.assertion_image(data.active)),
        ("assertion (signed)", urls.assertion(data.signed)),
        ("assertion (SVG badge)", urls.assertion(data.svg_assertion)),
        ("assertion (revoked, 410)", urls.assertion(data.revoked)),
        ("assertion (replaced, 301)", urls.assertion(data.replaced)),
        ("assertion (expired)", urls.assertion(data.expired)),
        ("OB 3.0 credential (Data Integrity)", urls.credential(data.credential_di)),
        ("OB 3.0 credential (VC-JWT)", urls.credential_jwt(data.credential_jwt)),
        ("OB 3.0 baked credential", urls.credential_image(data.credential_di)),
        ("issuer DID document (did:web)", urls.did_document(data.issuer)),
        ("OB 3.0 revocation status list", urls.status_list(data.issuer)),
    ]


@dataclass(frozen=True)
class DemoCheck:
    """One demo badge and the ``openbadges verify`` command line that checks it."""

    label: str
    url: str
    expect: str  # "valid", or the verdict the badge has on purpose: "revoked", "expired"
    command: str


def _local_host(base: str) -> bool:
    host = urlsplit(base).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def demo_verify_commands(data: DemoData, urls: PublicUrls) -> list[DemoCheck]:
    """A ready-to-paste ``openbadges verify`` line for each demo badge.

    On a loopback/private base URL the verifier must be allowed to fetch there (``--allow-private-network``);
    the OB 3.0 credentials name a ``did:web`` issuer, which means https, so over plain http on loopback they
    also need the verifier's development switch ``--allow-http-did-web``.
    """
    flags = ["--allow-private-network"] if _local_host(urls.base) else []
    did_flags = [*flags, "--allow-http-did-web"] if flags and urls.base.startswith("http://") else flags
    badges = [
        ("assertion (hosted)", urls.assertion(data.active), "valid", flags),
        ("assertion baked image", urls.assertion_image(data.active), "valid", flags),
        ("assertion (signed)", urls.assertion(data.signed), "valid", flags),
        ("assertion (SVG badge)", urls.assertion(data.svg_assertion), "valid", flags),
        ("assertion (replaced: follows to the newest)", urls.assertion(data.replaced), "valid", flags),
        ("assertion (revoked on purpose)", urls.assertion(data.revoked), "revoked", flags),
        ("assertion (expired on purpose)", urls.assertion(data.expired), "expired", flags),
        ("OB 3.0 credential (Data Integrity)", urls.credential(data.credential_di), "valid", did_flags),
        ("OB 3.0 credential (VC-JWT)", urls.credential_jwt(data.credential_jwt), "valid", did_flags),
        ("OB 3.0 baked credential", urls.credential_image(data.credential_di), "valid", did_flags),
    ]
    return [DemoCheck(label, url, expect, shlex.join(["openbadges", "verify", *extra, url]))
            for label, url, expect, extra in badges]
