"""``python -m openbadges_core`` is the ``openbadges`` command (for environments without the script on PATH)."""

from __future__ import annotations

import subprocess
import sys


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "openbadges_core", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "verify" in done.stdout and "bake" in done.stdout


def test_python_dash_m_reports_usage_errors_with_exit_2() -> None:
    done = subprocess.run([sys.executable, "-m", "openbadges_core", "no-such-command"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "no-such-command" in done.stderr
