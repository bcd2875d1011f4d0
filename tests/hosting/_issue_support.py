"""Helpers for the issuing and assertion API tests: an issuer owned by a fresh token, badge classes made through
the store (not the badge API), staff tokens, and reads of what the database holds."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from _api_support import bearer, make_token, new_issuer, unique_email
from conftest import BASE_URL, run_store
from litestar.testing import TestClient
from sqlalchemy import func, select

from hosting import Settings, create_app
from hosting.app.demo import demo_png
from hosting.notify.outbox import OutboxMessage
from hosting.storage.models import Assertion, BadgeClass, Issuer
from hosting.storage.store import HostingStore


@dataclass
class Team:
    """An issuer (API JSON) with its owner's token; ``path`` is the issuer's API path."""

    settings: Settings
    api: Any
    owner: str
    issuer: dict[str, Any]

    @property
    def path(self) -> str:
        return f"/v1/issuers/{self.issuer['id']}"

    def badge(self, **fields: Any) -> str:
        """A new badge class of this issuer (made through the store); returns its public id."""
        issuer_id = self.issuer["id"]

        async def _make(store: HostingStore) -> str:
            issuer = await store.session.scalar(select(Issuer).where(Issuer.public_id == issuer_id))
            assert issuer is not None
            badge = await store.create_badge_class(
                issuer, slug=f"b-{secrets.token_hex(4)}", name="Gold Star", description="For shining.",
                image=demo_png(), criteria_narrative="Shine.", **fields)
            return badge.public_id

        return run_store(self.settings, _make)

    def key(self, alg: str = "RS256") -> str:
        issuer_id = self.issuer["id"]

        async def _make(store: HostingStore) -> str:
            issuer = await store.session.scalar(select(Issuer).where(Issuer.public_id == issuer_id))
            assert issuer is not None
            return (await store.create_key(issuer, alg)).public_id

        return run_store(self.settings, _make)

    def member(self, role: str) -> str:
        """A token of a new user holding ``role`` on the issuer."""
        email = unique_email(role)
        res = self.api.post(f"{self.path}/staff", json={"email": email, "role": role}, headers=bearer(self.owner))
        assert res.status_code == 201, res.text
        return make_token(self.settings, email)

    def issue_path(self, badge: str) -> str:
        return f"{self.path}/badges/{badge}/assertions"

    def issue(self, badge: str, token: str | None = None, **body: Any) -> Any:
        body.setdefault("recipient", unique_email("earner"))
        return self.api.post(self.issue_path(badge), json=body, headers=bearer(token or self.owner))


def new_team(settings: Settings, api: Any) -> Team:
    owner = make_token(settings, unique_email("owner"))
    return Team(settings, api, owner, new_issuer(api, owner))


def count_assertions(settings: Settings, badge_public_id: str) -> int:
    async def _count(store: HostingStore) -> int:
        return int(await store.session.scalar(
            select(func.count()).select_from(Assertion).join(BadgeClass, BadgeClass.id == Assertion.badge_class_id)
            .where(BadgeClass.public_id == badge_public_id)) or 0)

    return run_store(settings, _count)


def outbox_kinds(settings: Settings, assertion_public_id: str) -> list[str]:
    """The kinds of the outbox messages about an assertion (in order)."""
    async def _kinds(store: HostingStore) -> list[str]:
        rows = await store.session.scalars(
            select(OutboxMessage.kind).join(Assertion, Assertion.id == OutboxMessage.assertion_id)
            .where(Assertion.public_id == assertion_public_id).order_by(OutboxMessage.id))
        return list(rows)

    return run_store(settings, _kinds)


def stored(settings: Settings, assertion_public_id: str) -> Assertion:
    async def _get(store: HostingStore) -> Assertion:
        return await store.get_assertion(assertion_public_id)

    return run_store(settings, _get)


@pytest.fixture(scope="module", name="api")
def api_fixture(settings: Settings) -> Iterator[TestClient[Any]]:
    """``api``: the app with the issuer API (import ``api_fixture`` into a test module to use it)."""
    with TestClient(create_app(settings), base_url=BASE_URL) as c:
        yield c


@pytest.fixture(name="team")
def team_fixture(settings: Settings, api: TestClient[Any]) -> Team:
    """``team``: a new issuer and its owner's token (import ``team_fixture``)."""
    return new_team(settings, api)
