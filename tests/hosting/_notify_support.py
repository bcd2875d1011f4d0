"""Helpers for the notification tests: an issuer with a badge class written through the store."""

from __future__ import annotations

import secrets

from hosting._demo import demo_png
from hosting._models import BadgeClass, Issuer
from hosting._store import HostingStore


async def issuer_and_badge(store: HostingStore, *, badge_name: str = "Python Basics",
                           issuer_name: str = "Demo Academy") -> tuple[Issuer, BadgeClass]:
    slug = f"n-{secrets.token_hex(4)}"
    issuer = await store.create_issuer(slug=slug, name=issuer_name, url="https://academy.example.org/",
                                       email="badges@academy.example.org", image=demo_png())
    badge = await store.create_badge_class(issuer, slug="b", name=badge_name, description="Writes small programs.",
                                           criteria_narrative="Pass the exercises.",
                                           image=demo_png())
    return issuer, badge


def unique_recipient(label: str = "earner") -> str:
    return f"{label}-{secrets.token_hex(4)}@example.org"
