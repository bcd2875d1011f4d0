"""Sorting by a name — a template's (``badge_templates[name]`` on badges, ``name`` on templates) or an earner's
(``users[first_name]``, ``users[last_name]``) — ignores the case of ASCII letters and then compares code points,
so SQLite and PostgreSQL (whatever its collation) answer the same order; ties keep the id order."""

from __future__ import annotations

import string
from typing import Any

import pytest
from _credly_support import basic, credly_api_fixture, issued, named_template, org_path  # noqa: F401 - fixtures
from _issue_support import Team, team_fixture  # noqa: F401 - fixture

from hosting import Settings

# Case differences, a space a locale's collation would skip, punctuation, digits and letters beyond ASCII.
_NAMES = ["banana", "Apple", "apple pie", "APPLEPIE", "Zebra", "zebra", "éclair", "Éclair", "_under", "10 steps",
          "2 steps", "Ångström", "a-b", "ab"]
_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _expected(names_in_creation_order: list[str], descending: bool, ties_reversed: bool) -> list[str]:
    """The names in order: ASCII-folded code points (reversed for ``-``), ties by creation (the id)."""
    def key(pair: tuple[int, str]) -> tuple[list[int], int]:
        index, name = pair
        points = [ord(c) for c in name.translate(_FOLD)]
        return ([-p for p in points] + [1] if descending else [*points, -1]), (-index if ties_reversed else index)

    return [name for _, name in sorted(enumerate(names_in_creation_order), key=key)]


def _names(team: Team, path: str, query: dict[str, str], key: Any) -> list[str]:
    res = team.api.get(f"{org_path(team)}/{path}", params=query, headers=basic(team.owner))
    assert res.status_code == 200, res.text
    return [key(item) for item in res.json()["data"]]


@pytest.mark.parametrize("descending", [False, True])
def test_templates_sort_by_name_ignoring_case_the_same_on_every_database(settings: Settings, team: Team,
                                                                          descending: bool) -> None:
    for name in _NAMES:
        named_template(settings, team, name)
    sort = "-name" if descending else "name"
    assert _names(team, "badge_templates", {"sort": sort}, lambda t: t["name"]) == _expected(_NAMES, descending,
                                                                                          ties_reversed=False)


@pytest.mark.parametrize("descending", [False, True])
def test_badges_sort_by_template_name_ignoring_case_the_same_on_every_database(settings: Settings, team: Team,
                                                                               descending: bool) -> None:
    for name in _NAMES:
        issued(team, named_template(settings, team, name))
    sort = "-badge_templates[name]" if descending else "badge_templates[name]"
    got = _names(team, "badges", {"sort": sort}, lambda b: b["badge_template"]["name"])
    assert got == _expected(_NAMES, descending, ties_reversed=descending)  # ``-``: newest first among ties


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_badges_sort_by_earner_name_ignoring_case_the_same_on_every_database(team: Team, field: str) -> None:
    template = team.badge()
    for name in _NAMES:
        issued(team, template, **{f"issued_to_{field}": name})
    got = _names(team, "badges", {"sort": f"users[{field}]"}, lambda b: b[f"issued_to_{field}"])
    assert got == _expected(_NAMES, False, ties_reversed=False)
