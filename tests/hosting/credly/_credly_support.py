"""Helpers of the Credly API tests: the app fixture, Basic credentials as Credly's clients send them, the seed's
example request bodies (ids adjusted per test), and the accept-page round trip an earner makes."""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from _issue_support import Team
from conftest import BASE_URL, run_store
from litestar.testing import TestClient
from sqlalchemy import update

from hosting import Settings, create_app
from hosting.storage.models import BadgeClass
from hosting.storage.store import HostingStore

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module", name="api")
def credly_api_fixture(settings: Settings) -> Iterator[TestClient[Any]]:
    """``api``: the app, with room for many accept-page visits (import ``credly_api_fixture``)."""
    roomy = dataclasses.replace(settings, earner_pages_per_ip_minute=100_000)
    with TestClient(create_app(roomy), base_url=BASE_URL) as c:
        yield c


def org_path(team: Team) -> str:
    """The team's issuer as a Credly organisation."""
    return f"/v1/organizations/{team.issuer['id']}"


def named_template(settings: Settings, team: Team, name: str) -> str:
    """A new template (badge class) of the team's issuer called ``name``; returns its public id."""
    public_id = team.badge()

    async def _rename(store: HostingStore) -> None:
        await store.session.execute(update(BadgeClass).where(BadgeClass.public_id == public_id).values(name=name))

    run_store(settings, _rename)
    return public_id


org = org_path  # the name the issue/batch tests use


def basic(token: str, password: str = "") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{token}:{password}".encode()).decode()}


def path_of(url: str) -> str:
    return urlsplit(url).path


def accept(api: Any, accept_url: str, decision: str = "accept") -> Any:
    """Open the accept page, then post its form (with the page's CSRF token and cookie)."""
    page = api.get(path_of(accept_url))
    assert page.status_code == 200, page.text
    match = _CSRF.search(page.text)
    assert match, "the page has no CSRF field"
    return api.post(path_of(accept_url), data={"_csrf_token": match.group(1), "decision": decision})


# The seed's request examples, as written (only the template id is replaced by the test's own).
SEED_ISSUE = {
    "recipient_email": "test@example.com",
    "user_id": "95787b46-352d-4d04-a27d-bf1d0cd9c5c6",
    "badge_template_id": "cfaf2910-ea5f-46f1-89a5-db525dad6e58",
    "issued_at": "2014-04-01 09:41:00 -0500",
    "issued_to_first_name": "Earner First Name",
    "issued_to_last_name": "Earner Last Name",
    "expires_at": None,
    "issuer_earner_id": "abc123",
    "locale": "en",
    "suppress_badge_notification_email": False,
}

SEED_EVIDENCE = {
    "recipient_email": "test@example.com",
    "badge_template_id": "63f87fa1-f7e5-4925-981d-54ec312df1ec",
    "issued_at": "2014-04-01 09:41:00 -0500",
    "issued_to": "Firstname Lastname",
    "issued_to_first_name": "Firstname",
    "issued_to_last_name": "Lastname",
    "expires_at": None,
    "evidence": [
        {"type": "KeyValueGroupEvidence", "name": "Custom Evidence", "values": [
            {"type": "KeyValuePairEvidence", "key": "Testing Center", "value": "Master Test Facility, Minneapolis, MN",
             "url": "http://www.url-in-custom-evidence-is-optional.com"}]},
        {"type": "PlainTextEvidence", "title": "Evidence", "description": "The evidence is clear."},
        {"type": "UrlEvidence", "value": "http://www.example.com/evidence",
         "description": "Description in URL evidence is optional", "name": "Evidence"},
    ],
}

SEED_REPLACE = {
    "badge_template_id": "4008b9b1-1251-40a3-ba90-1bbc9720fc37",
    "issued_at": "2014-04-01 09:41:00 -0500",
    "issued_to": "Firstname Lastname",
    "issued_to_first_name": "Firstname",
    "issued_to_last_name": "Lastname",
    "issuer_earner_id": "earner-1",
    "expires_at": None,
    "evidence": [{"type": "UrlEvidence", "value": "http://www.example.com/evidence",
                  "description": "Description in URL evidence is optional", "name": "Evidence"}],
    "notification_message": "Lorem ipsum dolor",
}

SEED_REVOKE = {"reason": "Check bounced", "suppress_revoke_notification_email": False}

# The keys of the badge object in the seed's responses ("Issue a Badge").
SEED_BADGE_KEYS = {
    "user", "printing_enabled", "issuer", "badge_template", "id", "issued_to", "issued_to_first_name",
    "issued_to_last_name", "issuer_earner_id", "locale", "public", "recipient_email", "replacement_badge_id",
    "revocation_reason", "state", "suppress_badge_notification_email", "created_at", "expires_at",
    "expires_at_date", "issued_at", "issued_at_date", "state_updated_at", "image", "image_url", "alignments",
    "evidence", "accept_badge_url",
}
