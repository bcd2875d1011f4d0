"""``openbadges bake`` / ``openbadges unbake``: output, JSON mode and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import openbadges_core as ob
from tests.core.baking._baking_support import OB2_URL, OB3_CREDENTIAL, SVG, make_png


def test_cli_bake_then_unbake_png(tmp_path: Path, run_cli) -> None:
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    src.write_bytes(make_png())
    res = run_cli(["bake", src, "-o", out, "--data", OB2_URL])
    assert res.exit_code == 0, res.stderr
    assert ob.unbake(out).payload == OB2_URL
    res = run_cli(["unbake", out])
    assert (res.exit_code, res.stdout) == (0, OB2_URL + "\n")


def test_cli_bake_from_data_file_and_unbake_json(tmp_path: Path, run_cli) -> None:
    src, out, data = tmp_path / "in.svg", tmp_path / "out.svg", tmp_path / "cred.json"
    src.write_bytes(SVG)
    data.write_text(json.dumps(OB3_CREDENTIAL), encoding="utf-8")
    assert run_cli(["bake", src, "-o", out, "--data-file", data]).exit_code == 0
    res = run_cli(["unbake", out, "--json"])
    assert res.exit_code == 0, res.stderr
    report = json.loads(res.stdout)
    assert {k: report[k] for k in ("format", "version", "kind")} == {"format": "svg", "version": "3.0",
                                                                      "kind": "json"}
    assert json.loads(report["payload"]) == OB3_CREDENTIAL


def test_cli_keyword_forces_the_version(tmp_path: Path, run_cli) -> None:
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    src.write_bytes(make_png())
    assert run_cli(["bake", src, "-o", out, "--data", OB2_URL, "--keyword", "openbadgecredential"]).exit_code == 0
    assert ob.unbake(out).version == "3.0"


def test_cli_unbake_image_without_badge_exits_1(tmp_path: Path, run_cli) -> None:
    src = tmp_path / "plain.png"
    src.write_bytes(make_png())
    res = run_cli(["unbake", src])
    assert res.exit_code == 1 and res.stdout == ""
    assert "Traceback" not in res.stderr


def test_cli_unbake_hostile_or_unreadable_input_exits_2(tmp_path: Path, run_cli) -> None:
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(ob.bake(make_png(), OB2_URL)[:-20])
    text = tmp_path / "notes.txt"
    text.write_bytes(b"hello, not an image")
    for path in (truncated, text, tmp_path / "missing.png"):
        res = run_cli(["unbake", path])
        assert res.exit_code == 2, (path, res.stderr)
        assert res.stderr.startswith("openbadges:") and "Traceback" not in res.stderr


def test_cli_bake_needs_exactly_one_payload_source(tmp_path: Path, run_cli) -> None:
    src = tmp_path / "in.png"
    src.write_bytes(make_png())
    assert run_cli(["bake", src, "-o", tmp_path / "o.png"]).exit_code == 2
    assert run_cli(["bake", src, "-o", tmp_path / "o.png", "--data", "not a payload"]).exit_code == 2
    assert not (tmp_path / "o.png").exists()
