"""The exception hierarchy: one root, stable codes, builtin refinements."""

from __future__ import annotations

import json

import openbadges_core as ob
from openbadges_core import _errors


def test_every_public_error_derives_from_the_one_root() -> None:
    for name in _errors.__all__:
        obj = getattr(_errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, ob.OpenBadgesError), name


def test_error_codes_are_unique_per_class() -> None:
    codes = [getattr(_errors, n).code for n in _errors.__all__
             if isinstance(getattr(_errors, n), type) and issubclass(getattr(_errors, n), Exception)]
    assert len(codes) == len(set(codes))


def test_errors_refine_builtins() -> None:
    assert issubclass(ob.ValidationError, ValueError)
    assert issubclass(ob.NoBadgePayloadError, LookupError)
    assert issubclass(ob.FetchTimeoutError, TimeoutError)


def test_validation_error_lists_issues_and_serialises() -> None:
    issue = ob.ValidationIssue("recipient.identity", "hashed_identity", "not sha256$<64 hex>")
    err = ob.ValidationError("", [issue])
    assert "recipient.identity" in str(err)
    data = json.loads(json.dumps(err.to_dict()))
    assert data == {"code": "validation_error", "message": str(err),
                    "issues": [{"path": "recipient.identity", "rule": "hashed_identity",
                                "message": "not sha256$<64 hex>"}]}


def test_cli_help_and_bad_usage_exit_codes(run_cli) -> None:
    assert run_cli(["--help"]).exit_code == 0
    bad = run_cli(["no-such-command"])
    assert bad.exit_code == 2
    assert "Traceback" not in bad.stderr
