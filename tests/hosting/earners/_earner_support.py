"""Helpers of the earner tests: an app whose page rate limits stay out of the way, a team (issuer + owner),
accept links out of issue responses, CSRF tokens out of pages, and direct reads/writes of the rows."""

from __future__ import annotations

import base64
import gzip
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from _issue_support import Team, new_team
from conftest import BASE_URL, run_store
from litestar.testing import TestClient
from sqlalchemy import select, update

from hosting import Settings, create_app
from hosting.ob3.credentials import STATUS_LIST_SIZE
from hosting.storage.models import AcceptToken, Assertion, ClaimCode, utcnow
from hosting.storage.store import HostingStore

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def roomy(settings: Settings, **changes: Any) -> Settings:
    """``settings`` with page rate limits no test module reaches (all TestClient requests share one IP)."""
    return replace(settings, **{"earner_pages_per_ip_minute": 100_000, "claims_per_code_minute": 100_000, **changes})


@pytest.fixture(scope="module", name="api")
def earner_api(settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(roomy(settings)), base_url=BASE_URL) as c:
        yield c


@pytest.fixture(name="team")
def earner_team(settings: Settings, api: TestClient[Any]) -> Team:
    return new_team(settings, api)


def path_of(url: str) -> str:
    return urlsplit(url).path


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def issue_pending(team: Team, badge: str, **body: Any) -> dict[str, Any]:
    res = team.issue(badge, acceptance="earner", **body)
    assert res.status_code == 201, res.text
    assertion: dict[str, Any] = res.json()["assertion"]
    assert assertion["state"] == "pending" and assertion["acceptUrl"]
    return assertion


def answer(api: TestClient[Any], accept_url: str, decision: str, **fields: str) -> Any:
    """Open the accept page, then post its form (with the page's CSRF token and cookie)."""
    page = api.get(path_of(accept_url))
    assert page.status_code == 200, page.text
    return api.post(path_of(accept_url), data={"_csrf_token": csrf_of(page.text), "decision": decision, **fields})


def row(settings: Settings, public_id: str) -> Assertion:
    async def _get(store: HostingStore) -> Assertion:
        return await store.get_assertion(public_id)

    return run_store(settings, _get)


def expire_links(settings: Settings, public_id: str) -> None:
    async def _go(store: HostingStore) -> None:
        assertion = await store.get_assertion(public_id)
        await store.session.execute(update(AcceptToken).where(AcceptToken.assertion_id == assertion.id)
                                    .values(expires_at=utcnow() - timedelta(seconds=1)))

    run_store(settings, _go)


def code_row(settings: Settings, code: str) -> ClaimCode:
    async def _get(store: HostingStore) -> ClaimCode:
        found = await store.session.scalar(select(ClaimCode).where(ClaimCode.code == code))
        assert found is not None
        return found

    return run_store(settings, _get)


def status_bit(list_credential: dict[str, Any], index: int) -> bool:
    encoded = list_credential["credentialSubject"]["encodedList"]
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) * 8 >= STATUS_LIST_SIZE
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


__all__ = ["Team", "answer", "code_row", "csrf_of", "earner_api", "earner_team", "expire_links", "issue_pending",
           "path_of", "roomy", "row", "status_bit"]
