"""Helpers for the assertion-listing tests: assertions written straight through the store or in bulk (the
benchmark's bulk insert), independent of the issuing endpoints."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from benchmarks.bench_api_list import T0, bulk_insert_assertions
from hosting.app.demo import demo_png
from hosting.storage.models import Assertion, AssertionState, BadgeClass, Issuer
from hosting.storage.store import HostingStore

PNG = demo_png(size=16)


@dataclass(frozen=True)
class Spec:
    """One assertion to write: recipient, badge (index into the badges made), issue time (days after T0)."""

    recipient: str
    badge: int = 0
    day: int = 0
    state: str = AssertionState.ACTIVE
    expires_in_days: int | None = None  # relative to now: negative = expired
    earner_id: str | None = None
    created_day: int | None = None  # overrides created_at (days after T0)


async def issuer_row(store: HostingStore, public_id: str) -> Issuer:
    issuer = await store.session.scalar(select(Issuer).where(Issuer.public_id == public_id))
    assert issuer is not None
    return issuer


async def make_badges(store: HostingStore, issuer_public_id: str, names: Sequence[str]) -> list[BadgeClass]:
    issuer = await issuer_row(store, issuer_public_id)
    return [await store.create_badge_class(issuer, slug=f"b{i}-{secrets.token_hex(3)}", name=name,
                                           description="d", image=PNG, criteria_narrative="c")
            for i, name in enumerate(names)]


async def write_assertions(store: HostingStore, badges: Sequence[BadgeClass],
                           specs: Sequence[Spec]) -> list[Assertion]:
    """Issue ``specs`` in order through the store (revoke/replace as asked); returns the rows."""
    now = datetime.now(UTC)
    out: list[Assertion] = []
    for spec in specs:
        expires = now + timedelta(days=spec.expires_in_days) if spec.expires_in_days is not None else None
        row = await store.issue(badges[spec.badge], spec.recipient, issued_on=T0 + timedelta(days=spec.day),
                                expires=expires, issuer_earner_id=spec.earner_id, recipient_name="Name")
        if spec.state == AssertionState.REVOKED:
            await store.revoke(row, "test")
        elif spec.state == AssertionState.REPLACED:
            new = await store.issue(badges[spec.badge], spec.recipient, issued_on=T0 + timedelta(days=spec.day))
            await store.replace(row, new)
            out.append(new)
        if spec.created_day is not None:
            row.created_at = T0 + timedelta(days=spec.created_day)
        out.append(row)
    await store.session.flush()
    return out


async def bulk_insert(store: HostingStore, badge: BadgeClass, count: int, *, per_second: int = 1) -> None:
    """``count`` plain assertions ``earner{n}@example.org``, ``per_second`` sharing each second from T0."""
    await bulk_insert_assertions(store.session, badge, count, per_second=per_second)
