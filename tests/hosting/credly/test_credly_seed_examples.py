"""Every example of the Credly seed (``../shared/seeds/003_*.txt``, read as it is — never copied), sent as written:
each request body (the badge template, organisation and badge ids adjusted to the test's own, nothing else) must
get the seed's status and a response with the same keys as the seed's example, at every level (the badge, its
``issuer``, ``badge_template`` and its ``owner``, ``image``, each alignment and evidence item, ``metadata``).

The only keys allowed to differ are the documented differences (``docs/compat-credly.md``, *Differences from
Credly*), listed below with their reason; a key the seed has and the answer lacks, or an undocumented extra key,
fails. On SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _credly_support import accept, basic, credly_api_fixture, org_path  # noqa: F401 - the fixtures
from _issue_support import Team, team_fixture  # noqa: F401 - fixture

# The seeds, used straight from ../shared next to the repository (as the conformance data is)
_SEEDS = Path(os.environ.get("OPENBADGES_SEEDS_DIR", Path(__file__).resolve().parents[4] / "shared" / "seeds"))
_METHOD = re.compile(r"^(GET|POST|PUT|DELETE) (/organizations/\S+)$")
_STATUS = re.compile(r"^(\d{3}) [A-Z][A-Za-z ]+?(?: Location: <badge_url>)?$")

# Keys of the seed's examples this server leaves out, by where they are (documented differences).
_MISSING_OK = {
    # no Credly user accounts: ``user`` is ``{"id": user_id}`` only
    "user": {"email", "first_name", "last_name", "current_position_name", "current_organization_name", "confirmed",
             "photo", "photo_url", "url"},
    # inside a badge, no per-row issue counts
    "badge_template": {"badges_count", "get_issue_count"},
}
# Keys this server adds to the seed's objects (documented: the badge's own URLs and its last change).
_EXTRA_OK = {
    "": {"updated_at", "badge_url", "public_url", "accept_badge_url"},
    "metadata": {"per"},
    # a key-value pair keeps its ``type`` (``KeyValuePairEvidence``), as given on input
    "evidence[].values[]": {"type"},
}
# Lists the seed shows with items and this server always answers empty (documented: no recommendations,
# prerequisites or activities on templates).
_EMPTY_OK = {"badge_template.recommendations", "badge_template.badge_template_activities"}
# The seed's template fixture, so its alignments and skills are there to compare.
_TEMPLATE = {"alignment": [{"targetName": "Alignment 2", "targetUrl": "http://www.example.com/alignment",
                            "targetDescription": "Self-enabling cohesive task-force"}], "tags": ["Skill 2"]}


@dataclass
class Example:
    """One example of the seed: the request (method, path, body as written) and the answer it shows."""

    line: int
    method: str
    path: str
    body: Any
    status: int
    response: Any

    @property
    def name(self) -> str:
        return f"{self.method} {self.path} (line {self.line})"


def _seed_text() -> str:
    found = sorted(_SEEDS.glob("003_*.txt"))
    if not found:
        pytest.fail(f"the Credly seed 003_*.txt is not in {_SEEDS}")
    return found[0].read_text(encoding="utf-8")


def _json_at(lines: list[str], start: int) -> tuple[Any, int] | None:
    """The JSON value whose first line is the next line from ``start`` opening with ``{``, and the line after it
    (``None``: there is none before the next heading, or it is not JSON as printed)."""
    for i in range(start, len(lines)):
        text = lines[i].strip()
        if text.startswith("{"):
            rest = "\n".join(lines[i:])
            try:
                value, end = json.JSONDecoder().raw_decode(rest)
            except json.JSONDecodeError:
                return None
            return value, i + rest[:end].count("\n") + 1
        if text and not _STATUS.match(text) and text not in ("Response", "Success Response", "Request Body"):
            return None
    return None


def seed_examples() -> tuple[list[Example], list[tuple[int, int, Any]]]:
    """(the request examples with their answers, the answers without a request body of their own: (line, status,
    body)). A request body's answer is the first status line after it and the JSON under that line."""
    lines = _seed_text().splitlines()
    examples: list[Example] = []
    orphans: list[tuple[int, int, Any]] = []
    method = path = None
    body: Any = None
    body_line = 0
    i = 0
    while i < len(lines):
        text = lines[i].strip()
        if match := _METHOD.match(text):
            method, path, body = match.group(1), match.group(2), None
            body_line = i + 1
        elif text == "Request Body":
            found = _json_at(lines, i + 1)
            assert found is not None, f"line {i + 1}: a request body that is not JSON"
            body, i = found
            body_line = i
            continue
        elif (status := _STATUS.match(text)) and method is not None and path is not None:
            found = _json_at(lines, i + 1)
            if found is not None:
                response, after = found
                if body is not None or method == "GET":
                    examples.append(Example(body_line, method, path, body, int(status.group(1)), response))
                else:
                    orphans.append((i + 1, int(status.group(1)), response))
                body = None
                i = after
                continue
        i += 1
    return examples, orphans


def _key_problems(seed: Any, ours: Any, where: str = "") -> list[str]:
    """Where ``ours`` has other keys than ``seed`` (beyond the documented differences), at every level."""
    problems: list[str] = []
    place = where.removeprefix("[]").removeprefix(".")  # a badge of a list (batch, Get Issued Badges) is a badge
    if isinstance(seed, dict):
        if not isinstance(ours, dict):
            return [f"{where or 'data'}: an object in the seed, {type(ours).__name__} here"]
        missing = set(seed) - set(ours) - _MISSING_OK.get(place, set())
        extra = set(ours) - set(seed) - _EXTRA_OK.get(place, set())
        problems += [f"{where or 'data'}: missing {sorted(missing)}"] * bool(missing)
        problems += [f"{where or 'data'}: unexpected {sorted(extra)}"] * bool(extra)
        for key in set(seed) & set(ours):
            problems += _key_problems(seed[key], ours[key], f"{where}.{key}" if where else key)
    elif isinstance(seed, list) and seed:
        if not isinstance(ours, list):
            return [f"{where}: a list in the seed, {type(ours).__name__} here"]
        if not ours:
            return [] if place in _EMPTY_OK else [f"{where}: the seed shows items, the answer has none"]
        for seed_item, our_item in zip(seed, ours, strict=False):
            problems += _key_problems(seed_item, our_item, f"{where}[]")
    return problems


def _adjusted(value: Any, template: str) -> Any:
    """The seed's body with its badge template ids replaced by the test's template (nothing else changed)."""
    out = copy.deepcopy(value)
    for item in out.get("badges", [out]) if isinstance(out, dict) else ():
        if "badge_template_id" in item:
            item["badge_template_id"] = template
    return out


def _prepare(team: Team, example: Example, template: str) -> dict[str, str]:
    """The path's ids: the team's organisation, and for a route on one badge a badge in the state the seed's
    answer starts from (accepted before a replacement, so the replacement is accepted as in the seed)."""
    ids = {"organization_id": team.issuer["id"]}
    if "<badge_id>" in example.path:
        res = team.api.post(f"{org_path(team)}/badges", json={
            "recipient_email": "user2@example.com", "badge_template_id": template, "issued_at": "2013-01-01",
            "issued_to_first_name": "Alfred", "issued_to_last_name": "Skiles",
            "user_id": "f5284c88-6666-4c39-b9d0-8f2bbead379e", "evidence": [
                {"type": "UrlEvidence", "name": "Acclaim", "description": "Description in URL evidence is optional",
                 "value": "http://www.example.com/path-to-earner-specific-evidence"}]}, headers=basic(team.owner))
        assert res.status_code == 201, res.text
        badge = res.json()["data"]
        if example.response["data"]["state"] == "accepted":
            assert accept(team.api, badge["accept_badge_url"]).status_code == 200
        ids["badge_id"] = badge["id"]
    return ids


_EXAMPLES, _ORPHANS = seed_examples()


def test_the_seed_is_read_whole() -> None:
    """Every request body of the seed is one example here (the parser misses none): issue, issue with evidence,
    batch, replace and revoke; and Get Issued Badges' answer; and the batch's error example."""
    text = _seed_text()
    assert sum(1 for e in _EXAMPLES if e.body is not None) == text.count("Request Body") == 5
    assert [(e.method, e.status) for e in _EXAMPLES] == [("POST", 201), ("POST", 201), ("POST", 201), ("GET", 200),
                                                        ("POST", 201), ("PUT", 200)]
    assert [status for _, status, _ in _ORPHANS] == [422]


@pytest.mark.parametrize("example", _EXAMPLES, ids=lambda e: e.name)
def test_each_seed_example_answers_the_seeds_status_and_keys(team: Team, example: Example) -> None:
    template = team.badge(**_TEMPLATE)
    ids = _prepare(team, example, template)
    path = "/v1" + re.sub(r"<(\w+)>", lambda m: ids[m.group(1)], example.path)
    if example.method == "GET":  # the seed's list shows one badge: have one
        issued = team.api.post(f"{org_path(team)}/badges", json={
            "recipient_email": "user10001@example.com", "badge_template_id": template, "issued_at": "2014-04-01",
            "expires_at": "2016-04-01", "issued_to_first_name": "Alfred", "issued_to_last_name": "Skiles",
            "user_id": "46cd20e3-f1e8-4c0e-9a96-60152ced3000", "evidence": [{"type": "UrlEvidence", "name": "Acclaim",
                          "value": "http://www.example.com/path-to-earner-specific-evidence"}]},
            headers=basic(team.owner))
        assert issued.status_code == 201, issued.text
    res = team.api.request(example.method, path, json=_adjusted(example.body, template), headers=basic(team.owner))
    assert res.status_code == example.status, res.text
    body = res.json()
    assert set(body) == set(example.response), body
    problems = _key_problems(example.response["data"], body["data"])
    problems += _key_problems(example.response["metadata"], body["metadata"], "metadata")
    assert not problems, problems
    if example.status == 201 and isinstance(body["data"], dict):  # "201 Created Location: <badge_url>"
        assert res.headers["location"] == body["data"]["badge_url"]


def test_the_seeds_batch_error_example_as_its_text_describes_it(team: Team) -> None:
    """"If we sent a batch of badge information in which the second badge was missing an issued_at date": the
    seed's batch body without that field gets the seed's 422 and exactly its error object."""
    (batch,) = [e for e in _EXAMPLES if e.path.endswith("/badges/batch")]
    (_, status, error) = _ORPHANS[0]
    body = _adjusted(batch.body, team.badge())
    del body["badges"][1]["issued_at"]
    res = team.api.post(f"{org_path(team)}/badges/batch", json=body, headers=basic(team.owner))
    assert res.status_code == status, res.text
    got = res.json()
    assert set(got) == set(error)
    assert {k: got["data"][k] for k in error["data"]} == error["data"]
    assert not _key_problems(error, {"data": {k: got["data"][k] for k in error["data"]}})
