"""``openbadges verify`` on OB 3.0 inputs: exit codes, JSON report, ``--trusted-key``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openbadges_core import FetchError, VerifyOptions, shared_cache
from openbadges_core.ob3 import sign_vc_jwt
from tests.core.verify._ob3_verify_support import OB30, TestIssuer, base_credential


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer("ES256")


class _Offline:
    def fetch(self, url: str, *, accept: str = "", timeout: float = 10.0) -> Any:
        raise FetchError(f"offline test: {url} is not fetched")


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixtures name real hosts (example.com ...): the CLI must not reach them from tests."""
    monkeypatch.setattr(VerifyOptions, "resolved_fetcher", lambda self: (_Offline(), "offline"))


@pytest.fixture
def token_file(tmp_path: Path, issuer: TestIssuer, conformance: Path) -> Path:
    shared_cache().clear()
    path = tmp_path / "badge.jwt"
    path.write_text(sign_vc_jwt(base_credential(conformance), issuer.jwt_key, include_jwk=True))
    return path


def test_untrusted_header_jwk_exits_1_naming_issuer_key(run_cli, token_file: Path) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["verify", token_file])  # the issuer's document is not reachable
    assert res.exit_code == 1
    assert "NOT VALID" in res.stdout and "issuer_key" in res.stdout and "[OB 3.0, VC-JWT]" in res.stdout
    assert "offline test" not in res.stdout  # the issuer is looked up quietly; the verdict names issuer_key


def test_trusted_key_pins_the_issuer(run_cli, token_file: Path, issuer: TestIssuer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other.pem"
    other.write_bytes(TestIssuer("RS256").jwt_key.public_key.to_pem())
    pem = tmp_path / "issuer.pem"
    pem.write_bytes(issuer.jwt_key.public_key.to_pem())
    res = run_cli(["verify", token_file, "--trusted-key", other, "--trusted-key", pem, "--json"])
    assert res.exit_code == 0, res.stdout
    report = json.loads(res.stdout)
    assert report["valid"] is True and report["version"] == "3.0"
    assert any(c["name"] == "issuer_key" and c["passed"] for c in report["checks"])


def test_trusted_key_as_jwk_file(run_cli, token_file: Path, issuer: TestIssuer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    jwk = tmp_path / "issuer.jwk"
    jwk.write_text(json.dumps(issuer.jwt_key.public_key.to_jwk()))
    assert run_cli(["verify", token_file, "--trusted-key", jwk]).exit_code == 0


@pytest.mark.parametrize("content", ["not a key", ""])
def test_bad_trusted_key_is_a_usage_error(run_cli, token_file: Path, tmp_path: Path, content: str) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.pem"
    bad.write_text(content)
    res = run_cli(["verify", token_file, "--trusted-key", bad])
    assert res.exit_code == 2 and "--trusted-key" in res.stderr
    assert run_cli(["verify", token_file, "--trusted-key", tmp_path / "missing.pem"]).exit_code == 2


def test_expired_fixture_exits_1(run_cli, conformance: Path) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["verify", conformance / OB30 / "simple-err-expired.json", "--json"])
    assert res.exit_code == 1
    report = json.loads(res.stdout)
    assert report["status"] == "expired" and report["expired"] is True


def test_baked_ob3_image_from_stdin(run_cli, conformance: Path) -> None:  # type: ignore[no-untyped-def]
    data = (conformance / OB30 / "simple-jwt.png").read_bytes()
    res = run_cli(["verify", "-", "--json"], input=data)
    report = json.loads(res.stdout)
    assert report["version"] == "3.0" and report["verificationType"] == "VC-JWT"
    assert [c["name"] for c in report["checks"]][:2] == ["unbake", "jwt_decode"]
    assert res.exit_code == 1  # signature fine, issuer not shown: not valid


def test_batch_counts_ob3_files(run_cli, conformance: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for name in ("simple-err-expired.json", "simple-err-proof-value.json"):
        (tmp_path / name).write_bytes((conformance / OB30 / name).read_bytes())
    res = run_cli(["verify", "--batch", tmp_path, "--json-lines"])
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert sorted(r["status"] for r in lines) == ["expired", "invalid"] and res.exit_code == 1
