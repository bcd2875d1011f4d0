"""The demo verifies out of the box: ``seed-demo`` prints an ``openbadges verify`` line per demo badge, and each
printed line, run as printed against a live server, gives the verdict the demo badge has on purpose."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _hosting_live import LiveServer, live_server, openbadges, openbadges_verify

from hosting.app.demo import DemoData, demo_verify_commands
from hosting.lib.urls import PublicUrls

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("demo-live")) as srv:
        yield srv


def _env(server: LiveServer) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "OPENBADGES_DATABASE_URL": server.database_url,
            "OPENBADGES_BASE_URL": server.base_url, "OPENBADGES_SECRET_KEY": server.secret}


def _printed_checks(server: LiveServer, tmp_path: Path) -> list[tuple[str, str, str]]:
    """Run ``openbadges-server seed-demo`` (a second demo issuer in the live database) and read back the
    (label, expected verdict, command) triples it printed."""
    out = subprocess.run(check=False, args=[sys.executable, "-c", "from hosting.app.cli import main; main()", "seed-demo",
                          "--slug", "printed-demo"], env=_env(server), cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    checks = []
    for i, line in enumerate(lines):
        if line.startswith("openbadges verify "):
            header = lines[i - 1]
            assert header.startswith("# ") and ": expect " in header, header
            label, expect = header[2:].rsplit(": expect ", 1)
            checks.append((label, expect.lower(), line))
    assert all(url.startswith(server.base_url) for url in out.stdout.split())  # stdout: the URLs only
    return checks


def test_every_printed_verify_command_gives_the_demo_verdict(server: LiveServer, tmp_path: Path) -> None:
    checks = _printed_checks(server, tmp_path)
    labels = [label for label, _, _ in checks]
    assert len(checks) == 10, labels
    assert sum("OB 3.0" in label for label in labels) == 3
    assert {expect for _, expect, _ in checks} == {"valid", "revoked", "expired"}
    for label, expect, command in checks:
        argv = shlex.split(command)
        assert argv[:2] == ["openbadges", "verify"] and "--allow-private-network" in argv
        if "OB 3.0" in label:
            assert "--allow-http-did-web" in argv  # did:web over http on loopback: the development switch
        run = openbadges(*argv[1:])
        output = run.stdout + run.stderr
        if expect == "valid":
            assert run.returncode == 0, (label, output)
            assert output.startswith("VALID"), (label, output)
        else:  # revoked / expired on purpose: the documented "not valid" exit code, saying why
            assert run.returncode == 1, (label, output)
            assert f"NOT VALID ({expect})" in output, (label, output)


def test_the_ob3_commands_need_the_did_web_switch(server: LiveServer) -> None:
    """Without the development switch the http did:web issuer is refused: the switch is not decoration."""
    url = server.urls.credential(server.demo.credential_di)
    run = openbadges_verify(url)
    assert run.returncode == 1
    assert "--allow-http-did-web" in run.stdout + run.stderr


def test_commands_for_a_public_https_base_have_no_development_flags() -> None:
    data = DemoData(*[f"id{i}" for i in range(12)], credential_di="di", credential_jwt="jwt")
    public = demo_verify_commands(data, PublicUrls("https://badges.example.org"))
    assert public[0].command == "openbadges verify https://badges.example.org/public/assertions/id4"
    assert not any("--allow" in c.command for c in public)
    local = demo_verify_commands(data, PublicUrls("http://localhost:8000"))
    assert all("--allow-private-network" in c.command for c in local)
    assert [("--allow-http-did-web" in c.command) for c in local] == ["OB 3.0" in c.label for c in local]
