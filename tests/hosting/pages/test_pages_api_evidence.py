"""An award issued through the API with evidence of every Credly/OB kind shows it on its page, in OB 2.0 and in
OB 3.0 (issuing an OB 3.0 credential with evidence used to fail: stored evidence says ``"type": "Evidence"`` and
OB 3.0 wants an array)."""

from __future__ import annotations

from typing import Any

import pytest
from _issue_support import Team, api_fixture, team_fixture  # noqa: F401 - fixtures
from _page_parse import get_page
from litestar.testing import TestClient

EVIDENCE = [
    "https://example.org/plain-url",
    {"type": "UrlEvidence", "name": "Repository", "value": "https://example.org/repo", "description": "The code"},
    {"type": "PlainTextEvidence", "title": "Reflection", "description": "What I learned."},
    {"type": "KeyValueGroupEvidence", "name": "Scores", "values": [
        {"type": "KeyValuePairEvidence", "key": "Quiz", "value": "9/10"}]},
    {"type": "Evidence", "id": "https://example.org/ob", "narrative": "OB narrative", "genre": "Essay",
     "audience": "Teachers", "name": "Essay", "description": "An essay"},
]


@pytest.mark.parametrize("fmt", [{}, {"format": "ob3", "proof": "di"}, {"format": "ob3", "proof": "jwt"}])
def test_api_award_with_every_evidence_kind_shows_it(api: TestClient[Any], team: Team, fmt: dict[str, str]) -> None:
    res = team.issue(team.badge(), evidence=EVIDENCE, **fmt)
    assert res.status_code == 201, res.text
    made = res.json()["assertion"]
    page = get_page(api, made["publicUrl"])
    for text in ("Repository", "The code", "Reflection", "What I learned.", "Scores", "Quiz: 9/10", "OB narrative",
                 "Genre: Essay", "Audience: Teachers", "An essay"):
        assert text in page.text, text
    for url in ("https://example.org/plain-url", "https://example.org/repo", "https://example.org/ob"):
        assert url in page.links(), url
    document = api.get(made["publicUrl"]).json()
    assert len(document["evidence"]) == len(EVIDENCE)
    if fmt:
        assert all(e["type"] == ["Evidence"] for e in document["evidence"])
