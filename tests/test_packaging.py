"""Packaging: ``pip install .`` (no extras) gives a working library and ``openbadges`` command, and an
``openbadges-server`` that says in one line which extra to install; the LICENSE file matches the declared licence.

The fast test hides every module that only the ``server`` extra brings (worked out from ``pyproject.toml`` and
the installed distributions' metadata) from a subprocess, which is what a plain install looks like to Python.
The real thing — a fresh venv, ``pip install .`` from the package index — is slow and needs the index: it runs
when ``OPENBADGES_TEST_PIP_INSTALL=1``.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tomllib
import venv
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
_EXTRA_LINE = "pip install 'openbadges[server]'"


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(requirements: list[str]) -> set[str]:
    """Every installed distribution ``requirements`` pull in (extras and markers evaluated)."""
    seen: set[str] = set()
    expanded: set[tuple[str, str]] = set()
    todo = [(Requirement(r), "") for r in requirements]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = _canon(req.name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency that is not installed here
        for wanted in ("", *req.extras):
            if (name, wanted) in expanded:
                continue
            expanded.add((name, wanted))
            todo += [(Requirement(r), wanted) for r in dist.requires or []]
        seen.add(name)
    return seen


@cache
def _server_only_modules() -> frozenset[str]:
    """Top-level modules installed only because of the ``server`` extra."""
    core = _closure(PYPROJECT["project"]["dependencies"])
    server = _closure(PYPROJECT["project"]["optional-dependencies"]["server"]) - core
    modules = {module for module, dists in metadata.packages_distributions().items()
               if dists and all(_canon(d) in server for d in dists)}
    return frozenset(modules)


_HIDE = """
import importlib.abc, sys
HIDDEN = frozenset({hidden!r})
class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _NotInstalled())
"""


def _without_server_extra(code: str, *argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    script = _HIDE.format(hidden=sorted(_server_only_modules())) + code
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OPENBADGES_")}, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=120,
                          env=env, cwd=cwd, check=False)


def test_the_server_extra_is_what_is_hidden() -> None:
    hidden = _server_only_modules()
    assert {"litestar", "sqlalchemy", "alembic", "uvicorn", "asyncpg", "aiosqlite"} <= hidden
    assert not hidden & {"cryptography", "click", "httpx", "jwt", "PIL", "openbadges_core"}
    res = _without_server_extra("import litestar")
    assert res.returncode != 0 and "No module named 'litestar'" in res.stderr


def test_library_and_its_cli_work_without_the_server_extra(tmp_path: Path) -> None:
    res = _without_server_extra(
        "import openbadges_core as ob\n"
        "key = ob.generate_key('ES256')\n"
        "token = ob.sign_jws({'hello': 'world'}, key)\n"
        "print(ob.verify_jws(token, key.public_key)[1].decode())\n"
        "sys.argv = ['openbadges', 'demo']\n"
        "from openbadges_core._cli import main\n"
        "main()\n",
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.startswith('{"hello":"world"}')
    version = _without_server_extra("sys.argv = ['openbadges', '--version']\nfrom openbadges_core._cli import main\n"
                                    "main()\n")
    assert version.returncode == 0 and version.stdout.strip() == f"openbadges, version {metadata.version('openbadges')}"


@pytest.mark.parametrize("argv", [[], ["run"], ["--version"], ["migrate"]])
def test_server_command_without_the_extra_says_which_extra_in_one_line(argv: list[str]) -> None:
    res = _without_server_extra("sys.argv = ['openbadges-server', *sys.argv[1:]]\n"
                                "from hosting.app.entry import main\nmain()\n", *argv)
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2, res.stderr
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert lines[0].startswith("openbadges-server: error: the server dependencies are not installed")
    assert _EXTRA_LINE in lines[0]


def test_console_scripts_point_at_the_shim_and_the_library() -> None:
    scripts = PYPROJECT["project"]["scripts"]
    assert scripts == {"openbadges": "openbadges_core._cli:main", "openbadges-server": "hosting.app.entry:main"}
    # The shim and what it imports at module level use only the standard library.
    for module in ("entry.py", "install.py"):
        source = (REPO / "hosting" / "app" / module).read_text()
        top_imports = re.findall(r"^(?:from|import) (\S+)", source, re.MULTILINE)
        assert set(top_imports) <= {"__future__", "sys", "hosting.app.install"}, module


def test_license_file_is_the_apache_2_licence_declared() -> None:
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    text = (REPO / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License")
    assert "Version 2.0, January 2004" in text and "http://www.apache.org/licenses/" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    # byte for byte the text published at apache.org/licenses/LICENSE-2.0.txt
    assert hashlib.sha256((REPO / "LICENSE").read_bytes()).hexdigest() == (
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30")


@pytest.mark.slow
def test_pip_install_dot_in_a_fresh_venv(tmp_path: Path) -> None:
    """The real clean-machine path (downloads the core dependencies from the package index)."""
    if os.environ.get("OPENBADGES_TEST_PIP_INSTALL") != "1":
        pytest.skip("a real `pip install .` into a fresh venv needs the package index and minutes: "
                    "set OPENBADGES_TEST_PIP_INSTALL=1")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    install = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(REPO)],
                             capture_output=True, text=True, timeout=1200, check=False)
    assert install.returncode == 0, install.stderr[-3000:]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENBADGES_", "PYTHONPATH"))}
    lib = subprocess.run([str(bin_dir / "openbadges"), "demo"], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env=clean, check=False)
    assert lib.returncode == 0, lib.stderr[-3000:]
    version = subprocess.run([str(bin_dir / "openbadges"), "--version"], capture_output=True, text=True,
                             timeout=60, env=clean, check=False)
    assert version.stdout.strip() == f"openbadges, version {PYPROJECT['project']['version']}"
    server = subprocess.run([str(bin_dir / "openbadges-server"), "run"], capture_output=True, text=True,
                            timeout=60, env=clean, check=False)
    assert server.returncode == 2 and len(server.stderr.strip().splitlines()) == 1, server.stderr
    assert _EXTRA_LINE in server.stderr
    show = "from importlib.metadata import distribution as d; print(d('openbadges').metadata.get_all('License-File'))"
    licence = subprocess.run([str(bin_dir / "python"), "-c", show],
                             capture_output=True, text=True, timeout=60, env=clean, check=False)
    assert "LICENSE" in licence.stdout
