"""Password guessing: at most OPENBADGES_OAUTH_LOGIN_ATTEMPTS password attempts per account per window, on
/o/token and the consent page together; over it 429 with Retry-After even for the right password."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from _badgr_support import (
    PASSWORD,
    approve,
    authorize_page,
    in_session,
    make_client,
    make_user,
    password_token,
    pkce_pair,
)
from litestar.testing import TestClient
from sqlalchemy.ext.asyncio import async_sessionmaker

from hosting import Settings, create_app
from hosting.lib.db import create_engine
from hosting.lib.errors import TooManyRequests
from hosting.oauth.accounts import LOGIN_WINDOW_SECONDS, LoginGuard

LIMIT = 3


@pytest.fixture
def strict(badgr_settings: Settings) -> Iterator[TestClient[Any]]:
    """An app allowing LIMIT password attempts per account (its own counters)."""
    settings = dataclasses.replace(badgr_settings, oauth_login_attempts=LIMIT)
    with TestClient(create_app(settings), base_url="http://testserver.local") as client:
        yield client


def _wrong(api: TestClient[Any], client_id: str, email: str) -> None:
    res = password_token(api, client_id, email, password=PASSWORD + "-wrong")
    assert res.status_code == 400 and res.json()["error"] == "invalid_grant", res.text


def test_guessing_locks_the_accounts_password_logins(strict: TestClient[Any], badgr_settings: Settings) -> None:
    victim, bystander = make_user(badgr_settings, "victim"), make_user(badgr_settings, "bystander")
    client_id, _ = make_client(badgr_settings)
    for spelling in (victim, victim.upper(), f"  {victim}  "):  # one account however the email is written
        _wrong(strict, client_id, spelling)
    res = password_token(strict, client_id, victim)  # the right password, now refused
    assert res.status_code == 429 and "access_token" not in res.json()
    assert res.json()["error"] == "invalid_grant" and "too many" in res.json()["error_description"]
    assert 0 < int(res.headers["retry-after"]) <= LOGIN_WINDOW_SECONDS
    assert res.headers["cache-control"] == "no-store"
    assert password_token(strict, client_id, bystander).status_code == 200  # other accounts are untouched


def test_unknown_emails_are_limited_alike(strict: TestClient[Any], badgr_settings: Settings) -> None:
    client_id, _ = make_client(badgr_settings)
    for _ in range(LIMIT):
        _wrong(strict, client_id, "nobody-here@example.org")
    assert password_token(strict, client_id, "nobody-here@example.org").status_code == 429


def test_a_successful_login_resets_the_count(strict: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings)
    for _ in range(2):
        for _ in range(LIMIT - 1):
            _wrong(strict, client_id, email)
        assert password_token(strict, client_id, email).status_code == 200


def test_the_consent_page_shares_the_accounts_budget(strict: TestClient[Any], badgr_settings: Settings) -> None:
    email = make_user(badgr_settings)
    client_id, _ = make_client(badgr_settings, grants=("authorization_code", "password"))
    _, challenge = pkce_pair()
    for _ in range(LIMIT - 1):
        _wrong(strict, client_id, email)
    res = approve(strict, authorize_page(strict, client_id, challenge), email, password="wrong password")
    assert res.status_code == 401  # the page's own attempt counts: the budget is now spent
    res = approve(strict, authorize_page(strict, client_id, challenge), email)  # the right password
    assert res.status_code == 429 and "location" not in res.headers
    assert "too many password attempts" in res.text and int(res.headers["retry-after"]) > 0
    assert password_token(strict, client_id, email).status_code == 429


def test_concurrent_guesses_cannot_pass_the_limit(badgr_settings: Settings) -> None:
    """Each attempt is counted before its (slow) password check: of a burst, only LIMIT are checked."""
    email = make_user(badgr_settings)
    guard = LoginGuard(LIMIT)

    async def _burst() -> list[Any]:
        engine = create_engine(badgr_settings.database_url)
        try:
            sessions = async_sessionmaker(engine, expire_on_commit=False)

            async def _guess() -> int | None:
                async with sessions() as session:
                    return await guard.verify(session, email, "wrong password")

            return await asyncio.gather(*(_guess() for _ in range(LIMIT + 4)), return_exceptions=True)
        finally:
            await engine.dispose()

    results = asyncio.run(_burst())
    assert results.count(None) == LIMIT
    assert sum(isinstance(r, TooManyRequests) for r in results) == 4


def test_the_window_ends_the_lock(badgr_settings: Settings) -> None:
    now = [1000.0]
    guard = LoginGuard(1, window=60, clock=lambda: now[0])
    email = make_user(badgr_settings)

    def attempt(password: str) -> int | None:
        return in_session(badgr_settings, lambda session: guard.verify(session, email, password))

    assert attempt("wrong password") is None
    with pytest.raises(TooManyRequests) as caught:
        attempt(PASSWORD)
    assert caught.value.retry_after == 60
    now[0] += 59
    with pytest.raises(TooManyRequests):
        attempt(PASSWORD)
    now[0] += 1  # a new window
    assert attempt(PASSWORD) is not None
