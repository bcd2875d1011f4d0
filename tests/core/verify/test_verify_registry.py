"""The check registry: one table of check names; reports accept only those; the docs table is generated."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from openbadges_core import Check, CheckName, VerificationReport, verify
from openbadges_core._verify._registry import BEGIN_MARKER, END_MARKER, check_table, render_check_table

REPO = Path(__file__).resolve().parents[3]
DOC = REPO / "docs" / "verification.md"


def test_unregistered_names_are_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="not a registered check name"):
        Check("jws_signatur", "error", "typo")
    report = VerificationReport()
    for record in (lambda: report.ok("made_up", "m"), lambda: report.fail("made_up", "m"),
                   lambda: report.add("made_up", "info", "m")):
        with pytest.raises(ValueError):
            record()
    assert report.checks == []


def test_registered_names_are_accepted_as_strings_or_members() -> None:
    report = VerificationReport()
    report.ok(CheckName.UNBAKE, "ok")
    report.ok("jws_signature", "ok")
    assert [c.name for c in report.checks] == ["unbake", "jws_signature"]
    assert report.check("unbake") is report.checks[0]


def test_a_failure_takes_the_registered_default_level_unless_told_otherwise() -> None:
    report = VerificationReport()
    report.fail("hosted_copy", "differs")
    report.fail("endorsement", "bad")
    report.fail("jws_signature", "bad")
    report.fail("credential_status", "unknown type", level="warning")
    assert [c.level for c in report.checks] == ["warning", "warning", "error", "warning"]
    assert CheckName.HOSTED_COPY.level == "warning"
    assert [c.name for c in report.errors] == ["jws_signature"]


def test_every_entry_has_a_level_spec_and_one_line_meaning() -> None:
    assert len(CheckName) >= 35
    for check in CheckName:
        assert check.value.isidentifier() and check.value == check.name.lower()
        assert check.level in ("error", "warning", "info")
        assert check.spec in ("2.0", "3.0", "2.0, 3.0")
        assert check.meaning and "\n" not in check.meaning and "|" not in check.meaning


def _names_recorded_by_the_verifier() -> set[str]:
    """Every string literal given as the check name to ``ok``/``fail``/``add``/``fetch``/``linked``/
    ``fetch_document`` in the verifier's source (``fetch_{what}``-style names are expanded below)."""
    found: set[str] = set()
    for path in (REPO / "openbadges_core" / "_verify").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, (ast.Attribute, ast.Name)):
                continue
            func = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            position = {"ok": 0, "fail": 0, "add": 0, "record_validation": 1, "fetch": 1, "linked": 2,
                        "fetch_document": 2}.get(func)
            if position is None or len(node.args) <= position:
                continue
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
    return found | {f"{verb}_{what}" for verb in ("fetch", "validate") for what in ("badge", "issuer")}


def test_every_name_the_verifier_records_is_registered() -> None:
    recorded = _names_recorded_by_the_verifier()
    assert len(recorded) >= 30
    assert recorded <= {c.value for c in CheckName}


def test_a_real_verification_only_reports_registered_names() -> None:
    report = verify('{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion"}')
    assert report.checks and all(c.name in CheckName.__members__.values() for c in report.checks)


def test_the_documented_check_table_is_generated_from_the_registry() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert text.count(BEGIN_MARKER) == 1 and text.count(END_MARKER) == 1
    assert render_check_table(text) == text, (
        "docs/verification.md is out of date: run "
        "python -c \"from openbadges_core._verify._registry import write_check_table as w; "
        "w('docs/verification.md')\"")
    for check in CheckName:
        assert f"| `{check.value}` | {check.level} |" in text


def test_rendering_replaces_only_what_is_between_the_markers() -> None:
    text = f"before\n{BEGIN_MARKER}\n| stale |\n{END_MARKER}\nafter\n"
    rendered = render_check_table(text)
    assert rendered == f"before\n{BEGIN_MARKER}\n{check_table()}\n{END_MARKER}\nafter\n"
    assert "| stale |" not in rendered
    with pytest.raises(ValueError):
        render_check_table("no markers here")
