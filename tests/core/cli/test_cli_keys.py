"""``openbadges keygen``, ``sign`` and ``demo``: files, modes, output and exit codes."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openbadges_core import (
    KeyDecryptionError,
    decode_jws_unverified,
    load_private_key,
    load_public_key,
    verify_jws,
)
from openbadges_core.ob2 import VerificationObject
from tests.core.ob2._ob2_builders import make_assertion

JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


@pytest.fixture
def umask_zero() -> Iterator[None]:
    """The most permissive umask: a key file that is still 0600 was created with that mode."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assertion(**changes: Any) -> dict[str, Any]:
    """The shared builders' assertion, signed by ``keys/1.json``, as JSON; ``changes`` replace members."""
    signed = make_assertion(verification=VerificationObject.signed("https://example.org/keys/1.json"))
    return signed.to_dict() | changes


def write_json(tmp_path: Path, document: dict[str, Any], name: str = "assertion.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


# --- keygen -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_keygen_writes_a_0600_private_key_and_a_public_key_and_prints_the_kid(
    run_cli: Any, tmp_path: Path, umask_zero: None, alg: str
) -> None:
    out = tmp_path / "issuer.pem"
    res = run_cli(["keygen", "--alg", alg, "--out", out])
    assert res.exit_code == 0, res.stderr
    kid = res.stdout.strip()
    private = load_private_key(out.read_bytes())
    assert private.alg == alg and private.kid == kid
    assert mode(out) == 0o600
    public_path = tmp_path / "issuer.pem.pub"
    assert load_public_key(public_path.read_bytes()) == private.public_key
    assert mode(public_path) == 0o644
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # no temp file left


def test_keygen_default_is_rs256_2048(run_cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "k.pem"
    assert run_cli(["keygen", "--out", out]).exit_code == 0
    key = load_private_key(out.read_bytes())
    assert key.alg == "RS256" and key.cryptography_key.key_size == 2048


def test_keygen_encrypts_with_the_passphrase_from_the_environment(run_cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "k.pem"
    res = run_cli(["keygen", "--alg", "ES256", "--out", out, "--passphrase-env", "OB_PASS"],
                  env={"OB_PASS": "s3cret"})
    assert res.exit_code == 0, res.stderr
    assert out.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert mode(out) == 0o600
    with pytest.raises(KeyDecryptionError):
        load_private_key(out.read_bytes())
    assert load_private_key(out.read_bytes(), passphrase="s3cret").kid == res.stdout.strip()


def test_keygen_with_unset_passphrase_variable_is_usage_error_and_writes_nothing(
    run_cli: Any, tmp_path: Path
) -> None:
    out = tmp_path / "k.pem"
    res = run_cli(["keygen", "--alg", "ES256", "--out", out, "--passphrase-env", "OB_NOT_SET_ANYWHERE"],
                  env={"OB_NOT_SET_ANYWHERE": ""})
    assert res.exit_code == 2
    assert "OB_NOT_SET_ANYWHERE" in res.stderr and "Traceback" not in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_keygen_refuses_to_overwrite_a_key_without_force(run_cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "k.pem"
    out.write_text("precious")
    res = run_cli(["keygen", "--alg", "EdDSA", "--out", out])
    assert res.exit_code == 2 and "already exists" in res.stderr
    assert out.read_text() == "precious"
    assert not (tmp_path / "k.pem.pub").exists()
    res = run_cli(["keygen", "--alg", "EdDSA", "--out", out, "--force"])
    assert res.exit_code == 0
    assert load_private_key(out.read_bytes()).kid == res.stdout.strip()
    assert mode(out) == 0o600


def test_keygen_into_a_missing_directory_is_exit_2(run_cli: Any, tmp_path: Path) -> None:
    res = run_cli(["keygen", "--alg", "EdDSA", "--out", tmp_path / "nope" / "k.pem"])
    assert res.exit_code == 2 and res.stderr.startswith("openbadges:")
    assert "Traceback" not in res.stderr


def test_keygen_with_unknown_algorithm_is_exit_2(run_cli: Any, tmp_path: Path) -> None:
    res = run_cli(["keygen", "--alg", "HS256", "--out", tmp_path / "k.pem"])
    assert res.exit_code == 2
    assert not (tmp_path / "k.pem").exists()


# --- sign ---------------------------------------------------------------------------------------------

@pytest.fixture
def key_file(run_cli: Any, tmp_path: Path) -> Path:
    out = tmp_path / "issuer.pem"
    assert run_cli(["keygen", "--alg", "ES256", "--out", out]).exit_code == 0
    return out


def test_sign_prints_a_jws_of_the_assertion_that_verifies(run_cli: Any, tmp_path: Path, key_file: Path) -> None:
    document = assertion()
    res = run_cli(["sign", "--key", key_file, write_json(tmp_path, document)])
    assert res.exit_code == 0, res.stderr
    token = res.stdout.strip()
    assert JWS.match(token)
    header, payload = verify_jws(token, load_public_key((tmp_path / "issuer.pem.pub").read_bytes()))
    assert header == {"alg": "ES256", "typ": "JWT"}
    assert json.loads(payload) == document
    assert "RS256 only" in res.stderr  # ES256 works, but the user is told about interoperability


def test_sign_with_rs256_key_prints_only_the_jws(run_cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "rsa.pem"
    assert run_cli(["keygen", "--out", out]).exit_code == 0
    res = run_cli(["sign", "--key", out, write_json(tmp_path, assertion())])
    assert res.exit_code == 0 and res.stderr == ""
    assert decode_jws_unverified(res.stdout.strip())[0] == {"alg": "RS256", "typ": "JWT"}


def test_sign_reads_the_assertion_from_stdin(run_cli: Any, key_file: Path) -> None:
    res = run_cli(["sign", "--key", key_file, "-"], input=json.dumps(assertion()))
    assert res.exit_code == 0, res.stderr
    assert json.loads(decode_jws_unverified(res.stdout.strip())[1]) == assertion()


def test_sign_invalid_assertion_is_exit_1_with_the_validation_errors(
    run_cli: Any, tmp_path: Path, key_file: Path
) -> None:
    broken = assertion(issuedOn="yesterday")
    del broken["recipient"]
    res = run_cli(["sign", "--key", key_file, write_json(tmp_path, broken)])
    assert res.exit_code == 1
    assert res.stdout == ""
    assert "recipient" in res.stderr and "issuedOn" in res.stderr


def test_sign_hosted_assertion_is_exit_1_naming_verification_type(
    run_cli: Any, tmp_path: Path, key_file: Path
) -> None:
    res = run_cli(["sign", "--key", key_file, write_json(tmp_path, assertion(verification={"type": "HostedBadge"}))])
    assert res.exit_code == 1
    assert "verification.type" in res.stderr and res.stdout == ""


def test_sign_with_encrypted_key_needs_the_right_passphrase(run_cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "enc.pem"
    assert run_cli(["keygen", "--alg", "EdDSA", "--out", out, "--passphrase-env", "P"],
                   env={"P": "right"}).exit_code == 0
    path = write_json(tmp_path, assertion())
    ok = run_cli(["sign", "--key", out, "--passphrase-env", "P", path], env={"P": "right"})
    assert ok.exit_code == 0 and JWS.match(ok.stdout.strip())
    wrong = run_cli(["sign", "--key", out, "--passphrase-env", "P", path], env={"P": "wrong"})
    assert wrong.exit_code == 2 and "key_decryption_failed" in wrong.stderr
    missing = run_cli(["sign", "--key", out, path])
    assert missing.exit_code == 2 and "key_decryption_failed" in missing.stderr


@pytest.mark.parametrize("content", [b"not json", b"[1, 2, 3]", b"\xff\xfe"])
def test_sign_unreadable_assertion_is_exit_2(run_cli: Any, tmp_path: Path, key_file: Path, content: bytes) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    res = run_cli(["sign", "--key", key_file, path])
    assert res.exit_code == 2 and res.stdout == "" and "Traceback" not in res.stderr


def test_sign_with_missing_or_garbage_key_is_exit_2(run_cli: Any, tmp_path: Path) -> None:
    path = write_json(tmp_path, assertion())
    res = run_cli(["sign", "--key", tmp_path / "missing.pem", path])
    assert res.exit_code == 2
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    res = run_cli(["sign", "--key", garbage, path])
    assert res.exit_code == 2 and "key_error" in res.stderr


def test_sign_with_public_key_file_is_exit_2(run_cli: Any, tmp_path: Path, key_file: Path) -> None:
    res = run_cli(["sign", "--key", tmp_path / "issuer.pem.pub", write_json(tmp_path, assertion())])
    assert res.exit_code == 2 and "public key" in res.stderr


# --- demo ---------------------------------------------------------------------------------------------

def test_demo_prints_documents_and_a_jws_that_verifies_with_the_printed_key(run_cli: Any) -> None:
    res = run_cli(["demo"])
    assert res.exit_code == 0, res.stderr
    blocks = {b.split("\n", 1)[0]: b.split("\n", 1)[1] for b in res.stdout.split("# ")[1:]}
    key_document = json.loads(blocks["CryptographicKey"])
    assertion_document = json.loads(blocks["Assertion"])
    token = next(line for line in res.stdout.splitlines() if JWS.match(line))
    header, payload = verify_jws(token, load_public_key(key_document["publicKeyPem"]))
    assert header["alg"] == "RS256"
    assert json.loads(payload) == assertion_document
    assert assertion_document["verification"] == {"type": "SignedBadge", "creator": key_document["id"]}
    assert json.loads(blocks["Issuer"])["publicKey"] == key_document["id"]
