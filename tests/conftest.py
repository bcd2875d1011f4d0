"""Shared test helpers: where the official conformance data lives, and running the CLI in-process."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
# The official 1EdTech artefacts, used straight from ../shared (never copied into the project).
CONFORMANCE = Path(os.environ.get("OPENBADGES_CONFORMANCE_DIR", REPO.parent / "shared" / "conformance"))


@pytest.fixture(scope="session")
def conformance() -> Path:
    """Folder of the official conformance artefacts; fails (not skips) when missing."""
    if not CONFORMANCE.is_dir():
        pytest.fail(f"conformance data not found at {CONFORMANCE} (set OPENBADGES_CONFORMANCE_DIR)")
    return CONFORMANCE


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


CliRunnerFn = Callable[..., CliResult]


@pytest.fixture
def run_cli() -> CliRunnerFn:
    """Run ``openbadges ARGS`` in-process: ``run_cli(["validate", path], input=b"...")``."""
    from openbadges_core._cli import run

    def _run(args: Sequence[str], input: str | bytes | None = None,
             env: dict[str, str] | None = None) -> CliResult:
        runner = CliRunner()
        with runner.isolation(input=input, env=env) as (out, err, _):
            code = run([str(a) for a in args])
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode())

    return _run
