"""``openbadges validate FILE.json``: exit 0 valid, 1 invalid, 2 unreadable / not JSON."""

from __future__ import annotations

import json
from pathlib import Path

from tests.core.ob2._ob2_builders import make_assertion

FIXTURES = "examples/validator-ob20"


def test_valid_document_exits_0(run_cli, conformance: Path) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["validate", conformance / FIXTURES / "basic-assertion.json"])
    assert res.exit_code == 0, res.stderr
    assert "valid Assertion" in res.stdout


def test_invalid_document_prints_each_issue_and_exits_1(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = make_assertion().to_dict() | {"expires": "2000-01-01T00:00:00Z"}
    data["recipient"]["identity"] = "sha256$0"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    res = run_cli(["validate", path])
    assert res.exit_code == 1
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 2
    assert any(line.startswith("expires:") and "[expires_after_issued_on]" in line for line in lines)
    assert any(line.startswith("recipient.identity:") and "[identity.hash_format]" in line for line in lines)
    assert res.stderr.strip() == "openbadges: invalid Assertion: 2 issues"


def test_fixture_named_invalid_exits_1(run_cli, conformance: Path) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["validate", conformance / FIXTURES / "basic-assertion-expired-before-issued.json"])
    assert res.exit_code == 1
    assert "[expires_after_issued_on]" in res.stdout


def test_type_is_detected_for_every_document_kind(run_cli, conformance: Path) -> None:  # type: ignore[no-untyped-def]
    for name, kind in [("assets/organization.json", "Issuer"), ("assets/robotics-badge.json", "BadgeClass"),
                       ("assets/key1.json", "CryptographicKey"), ("assets/revocation-list.json", "RevocationList")]:
        res = run_cli(["validate", conformance / FIXTURES / name])
        assert res.exit_code == 0 and f"valid {kind}" in res.stdout, (name, res.stdout, res.stderr)


def test_not_json_exits_2_with_one_line(run_cli, conformance: Path) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["validate", conformance / FIXTURES / "redirected-validation-subject.json"])
    assert res.exit_code == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "parse_error" in res.stderr
    assert "Traceback" not in res.stderr


def test_missing_file_exits_2(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["validate", tmp_path / "nope.json"])
    assert res.exit_code == 2
    assert "Traceback" not in res.stderr and res.stderr.startswith("openbadges:")


def test_stdin_is_read_with_dash(run_cli) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["validate", "-"], input=make_assertion().to_json())
    assert res.exit_code == 0, res.stderr
    res = run_cli(["validate", "-"], input=b'{"type": "Nope"}')
    assert res.exit_code == 1 and "[document_type]" in res.stdout


def test_json_report(run_cli, conformance: Path) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["validate", "--json", conformance / FIXTURES / "basic-assertion-invalid-context.json"])
    assert res.exit_code == 1
    report = json.loads(res.stdout)
    assert report["valid"] is False and report["kind"] == "Assertion"
    assert report["issues"] == [{"path": "@context", "rule": "context", "message": report["issues"][0]["message"]}]


def test_kind_option_forces_the_type(run_cli, conformance: Path) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["validate", "--kind", "Assertion", conformance / FIXTURES / "basic-assertion-invalid-type.json"])
    assert res.exit_code == 1 and "type: type must include Assertion" in res.stdout


def test_help(run_cli) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["validate", "--help"])
    assert res.exit_code == 0 and "FILE.json" in res.stdout
