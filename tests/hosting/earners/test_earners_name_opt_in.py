"""The earner's name end to end over HTTP (SQLite and PostgreSQL): issued with ``"acceptance": "earner"`` and a
``recipient_name``, the award is 404 while pending; accepted without the opt-in its public page shows no name;
accepted with the opt-in it shows the name (and never the email); rejected it is 404 for good — OB 2.0 assertions
and OB 3.0 credentials alike."""

from __future__ import annotations

from typing import Any

import pytest
from _earner_support import (  # noqa: F401 - fixtures
    Team,
    answer,
    csrf_of,
    earner_api,
    earner_team,
    issue_pending,
    path_of,
)
from litestar.testing import TestClient

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
NAME = "Ada Lovelace"
FORMATS = {"ob2": {}, "ob3-di": {"format": "ob3"}, "ob3-jwt": {"format": "ob3", "proof": "jwt"}}


def _offer(team: Team, badge: str, fmt: str, who: str) -> tuple[dict[str, Any], str]:
    email = f"{who}.{fmt}@example.org"
    pending = issue_pending(team, badge, recipient=email, recipient_name=NAME, **FORMATS[fmt])
    return pending, email


def _public(api: TestClient[Any], assertion: dict[str, Any]) -> tuple[Any, Any]:
    """The public HTML page and the JSON document of an award."""
    url = path_of(assertion["publicUrl"])
    return api.get(url, headers=HTML), api.get(url)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_the_name_is_published_only_after_an_opt_in_acceptance(api: TestClient[Any], team: Team, fmt: str) -> None:
    badge = team.badge()
    hidden, hidden_email = _offer(team, badge, fmt, "hidden")
    shown, shown_email = _offer(team, badge, fmt, "shown")
    for pending in (hidden, shown):  # unpublished while pending: neither page nor document, name nowhere
        page, document = _public(api, pending)
        assert (page.status_code, document.status_code) == (404, 404)
        assert page.headers["content-type"].startswith("text/html") and NAME not in page.text + document.text

    assert answer(api, hidden["acceptUrl"], "accept").status_code == 200  # "show my name" left unticked
    page, document = _public(api, hidden)
    assert (page.status_code, document.status_code) == (200, 200)
    assert "Gold Star" in page.text and "Awarded to" not in page.text
    assert NAME not in page.text and hidden_email not in page.text
    assert NAME not in document.text and hidden_email not in document.text

    assert answer(api, shown["acceptUrl"], "accept", show_name="on").status_code == 200
    page, document = _public(api, shown)
    assert (page.status_code, document.status_code) == (200, 200)
    assert f"Awarded to <strong>{NAME}</strong>" in page.text
    assert shown_email not in page.text  # the name, never the email
    assert shown_email not in document.text
    expected = "OpenBadgeCredential" if fmt.startswith("ob3") else "Assertion"
    assert document.json()["type"] == expected or expected in document.json()["type"]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_rejected_award_stays_unpublished_for_good(api: TestClient[Any], team: Team, fmt: str) -> None:
    rejected, email = _offer(team, team.badge(), fmt, "rejected")
    assert answer(api, rejected["acceptUrl"], "reject", show_name="on").status_code == 200
    for _ in range(2):  # the answer does not change on a second look
        page, document = _public(api, rejected)
        assert (page.status_code, document.status_code) == (404, 404)
        assert NAME not in page.text and email not in page.text
    assert api.get(path_of(rejected["acceptUrl"])).status_code == 410  # the link is used up
    # not even a well-formed post (a valid CSRF token, from another offer's page) accepts it after all
    other, _ = _offer(team, team.badge(), fmt, "other")
    token = csrf_of(api.get(path_of(other["acceptUrl"])).text)
    late = api.post(path_of(rejected["acceptUrl"]), data={"_csrf_token": token, "decision": "accept",
                                                          "show_name": "on"})
    assert late.status_code == 410
    page, document = _public(api, rejected)
    assert (page.status_code, document.status_code) == (404, 404)
