"""``openbadges verify``: single inputs, JSON output, exit codes and ``--batch``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openbadges_core import PrivateKey, bake, shared_cache
from tests.core.verify._badge_server import BadgeServer
from tests.core.verify._badge_world import RECIPIENT, BadgeWorld

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'


@pytest.fixture
def world(server: BadgeServer, key: PrivateKey) -> BadgeWorld:
    shared_cache().clear()  # the CLI uses the process-wide cache
    return BadgeWorld(server, key).publish_defaults()


def test_valid_hosted_url_exits_0(run_cli, world: BadgeWorld) -> None:  # type: ignore[no-untyped-def]
    url, _ = world.hosted()
    res = run_cli(["verify", url, "--allow-private-network", "--recipient", RECIPIENT.upper()])
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("VALID: " + url)
    assert "recipient: matches" in res.stdout


def test_loopback_url_without_the_flag_exits_1_with_the_reason(run_cli, world: BadgeWorld) -> None:  # type: ignore[no-untyped-def]
    url, _ = world.hosted()
    res = run_cli(["verify", url])
    assert res.exit_code == 1
    assert "NOT VALID" in res.stdout and "fetch_assertion" in res.stdout and "non-public" in res.stdout


def test_revoked_badge_exits_1(run_cli, world: BadgeWorld) -> None:  # type: ignore[no-untyped-def]
    url = world.publish(world.url("/assertions/gone"), {"revoked": True}, status=410)
    res = run_cli(["verify", url, "--allow-private-network"])
    assert res.exit_code == 1 and "NOT VALID (revoked)" in res.stdout


def test_json_output_is_the_report(run_cli, world: BadgeWorld, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "badge.jws"
    path.write_text(world.signed())
    res = run_cli(["verify", str(path), "--json", "--allow-private-network", "--timeout", "3"])
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["valid"] is True and data["verificationType"] == "SignedBadge"
    assert any(c["name"] == "jws_signature" and c["passed"] for c in data["checks"])


def test_stdin_input(run_cli, world: BadgeWorld) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["verify", "-", "--allow-private-network"], input=world.signed().encode())
    assert res.exit_code == 0, res.stdout + res.stderr


def test_baked_svg_file(run_cli, world: BadgeWorld, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "badge.svg"
    path.write_bytes(bake(SVG, world.signed(expires="2024-03-01T00:00:00Z")))
    res = run_cli(["verify", str(path), "--allow-private-network"])
    assert res.exit_code == 1 and "NOT VALID (expired)" in res.stdout


@pytest.mark.parametrize("args", [["verify"], ["verify", "/no/such/file.png"], ["verify", "--timeout", "0", "x"],
                                  ["verify", "a", "--batch", "b"]])
def test_bad_usage_exits_2(run_cli, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert run_cli(args).exit_code == 2


def test_unreadable_input_exits_2(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "junk.json"
    path.write_text("this is not a badge")
    res = run_cli(["verify", str(path)])
    assert res.exit_code == 2 and "verification_error" in res.stderr


def _batch(world: BadgeWorld, folder: Path) -> None:
    from openbadges_core import sign_assertion

    folder.mkdir()
    for i in range(3):
        (folder / f"ok{i}.jws").write_text(world.signed())
    revoked = world.assertion(signed=True)
    world.publish(world.revocations_url, world.revocation_list([revoked["id"]]))
    (folder / "revoked.jws").write_text(sign_assertion(revoked, world.key))
    (folder / "expired.jws").write_text(world.signed(expires="2024-02-01T00:00:00Z"))
    (folder / "tampered.jws").write_text(world.signed()[:-6] + "AAAAAA")
    (folder / "junk.json").write_text("not a badge")
    (folder / "notes.txt").write_text("ignored")


def test_batch_summary_table(run_cli, world: BadgeWorld, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _batch(world, tmp_path / "badges")
    res = run_cli(["verify", "--batch", str(tmp_path / "badges"), "--jobs", "3", "--allow-private-network"])
    assert res.exit_code == 2  # one file could not be verified at all
    assert "7 badges" in res.stdout
    row = [line for line in res.stdout.splitlines() if line.count("│") >= 5][-1]
    # valid, revoked, expired, issuer_unconfirmed, invalid, errors
    assert [c.strip() for c in row.strip("│ ").split("│")] == ["3", "1", "1", "0", "1", "1"]


def test_batch_json_lines(run_cli, world: BadgeWorld, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _batch(world, tmp_path / "badges")
    res = run_cli(["verify", "--batch", str(tmp_path / "badges" / "*.jws"), "--json-lines",
                   "--allow-private-network"])
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(lines) == 6
    status = {Path(x["file"]).name: x["status"] for x in lines}
    assert status["revoked.jws"] == "revoked" and status["expired.jws"] == "expired"
    assert status["tampered.jws"] == "invalid" and status["ok0.jws"] == "valid"
    assert res.exit_code == 1


def test_batch_with_nothing_to_verify_exits_2(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run_cli(["verify", "--batch", str(tmp_path / "*.png")]).exit_code == 2
