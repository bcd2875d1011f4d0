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


def _documented_tree() -> dict[str, tuple[str | None, str | None, str]]:
    """The module docstring's tree: ``{class: (parent, builtin in brackets or None, first code)}``."""
    doc = _errors.__doc__ or ""
    rows: dict[str, tuple[str | None, str | None, str]] = {}
    parents: list[str] = []
    for line in doc.split("::", 1)[1].split("\n\n", 2)[1].splitlines():
        marker = max(line.find("├── "), line.find("└── "))
        depth = 0 if marker < 0 else marker // 4
        words = line[marker + 4 if marker >= 0 else 0:].split()
        name = words[0]
        builtin = words[1].strip("()") if words[1].startswith("(") else None
        code = words[2] if builtin else words[1]
        del parents[depth:]
        rows[name] = (parents[-1] if parents else None, builtin, code)
        parents.append(name)
    return rows


def test_the_documented_tree_is_the_hierarchy() -> None:
    """The docstring's tree of classes and codes says what the classes say (one source cannot drift from the
    other): the same classes, parents, builtins and codes."""
    tree = _documented_tree()
    errors = {n for n in _errors.__all__
              if isinstance(getattr(_errors, n), type) and issubclass(getattr(_errors, n), Exception)}
    assert set(tree) == errors
    for name, (parent, builtin, code) in tree.items():
        cls = getattr(_errors, name)
        bases = [base.__name__ for base in cls.__bases__]
        assert bases[0] == (parent or "Exception"), name
        assert bases[1:] == ([builtin] if builtin else []), name
        assert cls.code == (code if parent else "openbadges_error"), name
