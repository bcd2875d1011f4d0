"""``openbadges sign --format {ob2,vc-jwt,di}`` and ``openbadges upgrade`` (files, stdin, a 127.0.0.1 server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from openbadges_core import (
    SignatureError,
    decode_jws_unverified,
    generate_key,
    load_public_key,
    sign_assertion,
    verify_jws,
)
from openbadges_core._ob3._documents import IdentityObject
from openbadges_core._ob3._multibase import ed25519_multikey
from openbadges_core.ob3 import credential_issues, upgrade_assertion, verify_data_integrity, verify_vc_jwt
from tests.conftest import CliRunnerFn
from tests.core.ob2._ob2_builders import make_assertion, make_badge, make_issuer
from tests.core.verify._badge_world import RECIPIENT, BadgeWorld


def _write_key(tmp_path: Path, alg: str) -> tuple[Path, Any]:
    key = generate_key(alg)
    path = tmp_path / f"{alg}.pem"
    path.write_bytes(key.to_pem())
    return path, key


@pytest.fixture
def credential_file(tmp_path: Path) -> Path:
    """An upgraded (hence schema-valid) OB 3.0 credential on disk."""
    credential = upgrade_assertion(make_assertion(badge=make_badge(issuer=make_issuer())).to_dict())
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential.to_dict()))
    return path


# --- sign ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_sign_vc_jwt_prints_a_token_that_verifies(run_cli: CliRunnerFn, tmp_path: Path, credential_file: Path,
                                                   alg: str) -> None:
    key_path, key = _write_key(tmp_path, alg)
    result = run_cli(["sign", "--format", "vc-jwt", "--key", key_path, credential_file])
    assert result.exit_code == 0, result.stderr
    token = result.stdout.strip()
    header, _ = decode_jws_unverified(token)
    assert header["alg"] == alg
    assert "jwk" in header  # no --kid: the public key travels in the header
    verified = verify_vc_jwt(token, trusted_keys=[key.public_key])
    assert verified.credential == json.loads(credential_file.read_text())


def test_sign_vc_jwt_with_kid_puts_it_in_the_header(run_cli: CliRunnerFn, tmp_path: Path,
                                                    credential_file: Path) -> None:
    key_path, key = _write_key(tmp_path, "ES256")
    kid = "https://example.org/organization.json#key-1"
    result = run_cli(["sign", "--format", "vc-jwt", "--kid", kid, "--key", key_path, credential_file])
    assert result.exit_code == 0, result.stderr
    header, _ = decode_jws_unverified(result.stdout.strip())
    assert header["kid"] == kid and "jwk" not in header
    _, payload = verify_jws(result.stdout.strip(), key.public_key)  # resolving the kid would need the network
    assert json.loads(payload)["iss"] == "https://example.org/organization.json"


def test_sign_di_prints_the_credential_with_a_verifying_proof(run_cli: CliRunnerFn, tmp_path: Path,
                                                               credential_file: Path) -> None:
    key_path, _ = _write_key(tmp_path, "EdDSA")
    result = run_cli(["sign", "--format", "di", "--key", key_path, credential_file])
    assert result.exit_code == 0, result.stderr
    signed = json.loads(result.stdout)
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    (proof,) = verify_data_integrity(signed)
    assert proof.verification_method.startswith("https://example.org/organization.json#z6Mk")
    signed["name"] = "Something else"
    with pytest.raises(SignatureError):
        verify_data_integrity(signed)


def test_sign_di_with_a_verification_method(run_cli: CliRunnerFn, tmp_path: Path, credential_file: Path) -> None:
    key_path, key = _write_key(tmp_path, "EdDSA")
    multikey = ed25519_multikey(key.cryptography_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    method = f"did:key:{multikey}#{multikey}"
    result = run_cli(["sign", "--format", "di", "--verification-method", method, "--key", key_path,
                      credential_file])
    assert result.exit_code == 0, result.stderr
    (proof,) = verify_data_integrity(json.loads(result.stdout))
    assert proof.verification_method == method


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_sign_di_refuses_a_key_that_is_not_ed25519(run_cli: CliRunnerFn, tmp_path: Path, credential_file: Path,
                                                   alg: str) -> None:
    key_path, _ = _write_key(tmp_path, alg)
    result = run_cli(["sign", "--format", "di", "--key", key_path, credential_file])
    assert result.exit_code == 2
    assert "Ed25519" in result.stderr and alg in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_sign_ob2_is_still_the_default(run_cli: CliRunnerFn, tmp_path: Path) -> None:
    key_path, key = _write_key(tmp_path, "RS256")
    signed = make_assertion(verification={"type": "SignedBadge",
                                          "creator": "https://example.org/key.json"}).to_dict()
    path = tmp_path / "assertion.json"
    path.write_text(json.dumps(signed))
    result = run_cli(["sign", "--key", key_path, path])
    assert result.exit_code == 0, result.stderr
    _, payload = verify_jws(result.stdout.strip(), key.public_key)
    assert json.loads(payload) == signed
    explicit = run_cli(["sign", "--format", "ob2", "--key", key_path, path])
    assert explicit.exit_code == 0 and verify_jws(explicit.stdout.strip(), key.public_key)


def test_sign_reads_stdin(run_cli: CliRunnerFn, tmp_path: Path, credential_file: Path) -> None:
    key_path, key = _write_key(tmp_path, "RS256")
    result = run_cli(["sign", "--format", "vc-jwt", "--key", key_path, "-"], input=credential_file.read_bytes())
    assert result.exit_code == 0, result.stderr
    assert verify_vc_jwt(result.stdout.strip(), trusted_keys=[key.public_key]).credential


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "expected a JSON object"),
])
@pytest.mark.parametrize("fmt", ["ob2", "vc-jwt", "di"])
def test_sign_malformed_input_exits_2(run_cli: CliRunnerFn, tmp_path: Path, fmt: str, content: bytes,
                                      message: str) -> None:
    key_path, _ = _write_key(tmp_path, "EdDSA")
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = run_cli(["sign", "--format", fmt, "--key", key_path, path])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("fmt", ["vc-jwt", "di"])
def test_sign_invalid_credential_exits_1_with_the_issues(run_cli: CliRunnerFn, tmp_path: Path,
                                                         credential_file: Path, fmt: str) -> None:
    key_path, _ = _write_key(tmp_path, "EdDSA")
    data = json.loads(credential_file.read_text())
    del data["credentialSubject"]["achievement"]["criteria"]
    credential_file.write_text(json.dumps(data))
    result = run_cli(["sign", "--format", fmt, "--key", key_path, credential_file])
    assert result.exit_code == 1
    assert "criteria" in result.stderr and "invalid OpenBadgeCredential" in result.stderr
    assert result.stdout == ""


def test_sign_an_ob2_assertion_as_a_credential_exits_2(run_cli: CliRunnerFn, tmp_path: Path) -> None:
    key_path, _ = _write_key(tmp_path, "RS256")
    path = tmp_path / "assertion.json"
    path.write_text(json.dumps(make_assertion().to_dict()))
    result = run_cli(["sign", "--format", "vc-jwt", "--key", key_path, path])
    assert result.exit_code == 2
    assert "not a Verifiable Credential" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "ob2", "--kid", "k"], "--kid goes with --format vc-jwt"),
    (["--format", "vc-jwt", "--verification-method", "did:key:z"], "--verification-method goes with --format di"),
    (["--format", "jws"], "Invalid value for '--format'"),
])
def test_sign_option_mismatches_are_usage_errors(run_cli: CliRunnerFn, tmp_path: Path, credential_file: Path,
                                                 args: list[str], message: str) -> None:
    key_path, _ = _write_key(tmp_path, "EdDSA")
    result = run_cli(["sign", *args, "--key", key_path, credential_file])
    assert result.exit_code == 2
    assert message in result.stderr


# --- upgrade ------------------------------------------------------------------------------------------------

def test_upgrade_from_a_local_url(run_cli: CliRunnerFn, world: BadgeWorld) -> None:
    url, _ = world.hosted("a1", narrative="Built it.")
    result = run_cli(["upgrade", "--allow-private-network", url])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert credential_issues(data) == []
    assert data["issuer"]["otherIdentifier"][0]["identifier"] == world.issuer_url
    assert data["credentialSubject"]["achievement"]["related"][0]["id"] == world.badge_url
    assert data["credentialSubject"]["narrative"] == "Built it."
    assert data["evidence"][-1]["id"] == url
    assert world.srv.hits[world.path(url)] == 1 and world.srv.hits[world.path(world.badge_url)] == 1


def test_upgrade_refuses_loopback_without_the_flag(run_cli: CliRunnerFn, world: BadgeWorld) -> None:
    url, _ = world.hosted("a2")
    result = run_cli(["upgrade", url])
    assert result.exit_code == 2
    assert "blocked_address" in result.stderr and "Traceback" not in result.stderr
    assert world.srv.hits[world.path(url)] == 0


def test_upgrade_from_a_file_fetches_linked_documents(run_cli: CliRunnerFn, world: BadgeWorld,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "assertion.json"
    path.write_text(json.dumps(world.assertion("a3")))
    result = run_cli(["upgrade", "--allow-private-network", "--issuer-id", "did:web:example.org", path])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["issuer"]["id"] == "did:web:example.org"
    identity = data["credentialSubject"]["identifier"][0]
    assert IdentityObject.from_dict(identity).matches(RECIPIENT)


def test_upgrade_from_files_only_needs_no_network(run_cli: CliRunnerFn, tmp_path: Path) -> None:
    files = {}
    for name, document in (("assertion", make_assertion()), ("badge", make_badge()), ("issuer", make_issuer())):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(document.to_dict()))
    result = run_cli(["upgrade", files["assertion"], "--badge", files["badge"], "--issuer", files["issuer"],
                      "--credential-id", "urn:uuid:00000000-0000-4000-8000-000000000007"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["id"] == "urn:uuid:00000000-0000-4000-8000-000000000007"
    assert data["credentialSubject"]["achievement"]["name"] == make_badge().name


def test_upgrade_a_signed_badge_jws_from_stdin(run_cli: CliRunnerFn, tmp_path: Path) -> None:
    key = generate_key("RS256")
    signed = make_assertion(badge=make_badge(issuer=make_issuer()),
                            verification={"type": "SignedBadge", "creator": "https://example.org/key.json"})
    token = sign_assertion(signed, key)
    result = run_cli(["upgrade", "-"], input=token.encode())
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["name"] == make_badge().name


def test_upgraded_output_signs_with_the_cli(run_cli: CliRunnerFn, tmp_path: Path) -> None:
    source = tmp_path / "assertion.json"
    source.write_text(json.dumps(make_assertion(badge=make_badge(issuer=make_issuer())).to_dict()))
    upgraded = run_cli(["upgrade", source])
    credential = tmp_path / "credential.json"
    credential.write_text(upgraded.stdout)
    key_path, key = _write_key(tmp_path, "EdDSA")
    result = run_cli(["sign", "--format", "di", "--key", key_path, credential])
    assert result.exit_code == 0, result.stderr
    assert verify_data_integrity(json.loads(result.stdout))
    public = load_public_key(key.public_key.to_pem())
    jwt = run_cli(["sign", "--format", "vc-jwt", "--key", key_path, credential])
    assert verify_vc_jwt(jwt.stdout.strip(), trusted_keys=[public]).issuer_trusted


def test_upgrade_invalid_assertion_exits_1_with_issues(run_cli: CliRunnerFn, tmp_path: Path) -> None:
    data = make_assertion(badge=make_badge(issuer=make_issuer())).to_dict()
    del data["issuedOn"]
    path = tmp_path / "assertion.json"
    path.write_text(json.dumps(data))
    result = run_cli(["upgrade", path])
    assert result.exit_code == 1
    assert "issuedOn" in result.stderr and result.stdout == ""


def test_upgrade_revoked_assertion_exits_2(run_cli: CliRunnerFn, world: BadgeWorld) -> None:
    url, _ = world.hosted("a4", revoked=True, revocationReason="cheating")
    result = run_cli(["upgrade", "--allow-private-network", url])
    assert result.exit_code == 2
    assert "upgrade_error" in result.stderr and "cheating" in result.stderr


def test_upgrade_missing_badge_exits_2(run_cli: CliRunnerFn, world: BadgeWorld) -> None:
    url, _ = world.hosted("a5", badge=world.url("/no-such-badge"))
    result = run_cli(["upgrade", "--allow-private-network", url])
    assert result.exit_code == 2
    assert "http_status" in result.stderr and "404" in result.stderr


@pytest.mark.parametrize(("content", "message"), [
    (b"{oops", "not JSON"),
    (b'"a string"', "expected a JSON object"),
    (json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}).encode(),
     "already a Verifiable Credential"),
])
def test_upgrade_malformed_input_exits_2(run_cli: CliRunnerFn, tmp_path: Path, content: bytes,
                                         message: str) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(content)
    result = run_cli(["upgrade", path])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_upgrade_missing_file_exits_2(run_cli: CliRunnerFn, tmp_path: Path) -> None:
    result = run_cli(["upgrade", tmp_path / "nope.json"])
    assert result.exit_code == 2 and "nope.json" in result.stderr


def test_sign_di_twice_keeps_both_proofs(run_cli: CliRunnerFn, tmp_path: Path, credential_file: Path) -> None:
    first_key, _ = _write_key(tmp_path, "EdDSA")
    once = run_cli(["sign", "--format", "di", "--key", first_key, credential_file])
    second_key = tmp_path / "second.pem"
    second_key.write_bytes(generate_key("EdDSA").to_pem())
    twice = run_cli(["sign", "--format", "di", "--key", second_key, "-"], input=once.stdout.encode())
    assert twice.exit_code == 0, twice.stderr
    assert "already has a proof" in twice.stderr
    proofs = verify_data_integrity(json.loads(twice.stdout))
    assert len(proofs) == 2 and proofs[0].public_key_multibase != proofs[1].public_key_multibase
