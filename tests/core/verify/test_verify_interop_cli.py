"""``openbadges verify`` / ``validate`` as a new user meets them: offline documents, pinned keys, messages
that name flags and badges, exit codes for unreadable images, the --batch list, OB 3.0 validation."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from openbadges_core import bake, generate_key, sign_jws, unbake
from tests.core.baking._baking_support import make_png
from tests.core.verify._badge_server import BadgeServer
from tests.core.verify._ob3_verify_support import KEY_A, OB30, base_credential, controller_document

SIMPLE_ISSUER = "https://example.com/issuers/876543"


def _write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def _header_jwk(token: str) -> dict[str, Any]:
    segment = token.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))["jwk"])


# --- official examples, hosts that do not exist: --document and --trusted-key ------------------------
def test_document_flag_serves_the_issuer_profile_from_a_file(run_cli, conformance: Path,  # type: ignore[no-untyped-def]
                                                              tmp_path: Path) -> None:
    simple = conformance / OB30 / "simple.json"
    controller = _write_json(tmp_path / "issuer.json", controller_document(SIMPLE_ISSUER, [KEY_A]))
    res = run_cli(["verify", simple, "--document", f"{SIMPLE_ISSUER}={controller}"])
    assert res.exit_code == 0, res.stdout + res.stderr
    assert res.stdout.startswith("VALID: http://example.com/credentials/3527")


def test_without_the_document_the_signature_is_valid_but_the_issuer_unconfirmed(  # type: ignore[no-untyped-def]
        run_cli, conformance: Path) -> None:
    res = run_cli(["verify", conformance / OB30 / "simple.json"])
    assert res.exit_code == 1
    assert "NOT VALID (issuer_unconfirmed)" in res.stdout
    assert "--document URL=FILE" in res.stdout and "VerifyOptions" not in res.stdout


def test_trusted_key_flag_verifies_the_official_baked_jwt(run_cli, conformance: Path,  # type: ignore[no-untyped-def]
                                                           tmp_path: Path) -> None:
    image = conformance / OB30 / "simple-jwt.png"
    key_file = _write_json(tmp_path / "key.jwk", _header_jwk(unbake(image).payload.strip()))
    unpinned = run_cli(["verify", image])
    assert unpinned.exit_code == 1 and "issuer_unconfirmed" in unpinned.stdout
    assert "--trusted-key FILE" in unpinned.stdout
    pinned = run_cli(["verify", image, "--trusted-key", key_file])
    assert pinned.exit_code == 0, pinned.stdout
    json_report = json.loads(run_cli(["verify", image, "--json"]).stdout)
    assert json_report["status"] == "issuer_unconfirmed" and json_report["valid"] is False


@pytest.mark.parametrize("pair", ["no-equals-sign", "ftp://x=y.json", "https://x.example/a="])
def test_document_flag_needs_url_equals_file(run_cli, conformance: Path, pair: str) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["verify", conformance / OB30 / "simple.json", "--document", pair])
    assert res.exit_code == 2 and "URL=FILE" in res.stderr


def test_document_flag_refuses_a_file_that_is_not_a_json_object(run_cli, conformance: Path,  # type: ignore[no-untyped-def]
                                                                 tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text("[1, 2]")
    res = run_cli(["verify", conformance / OB30 / "simple.json", "--document",
                   f"{SIMPLE_ISSUER}={tmp_path / 'list.json'}"])
    assert res.exit_code == 2 and "not a JSON object" in res.stderr
    assert "Traceback" not in res.stderr


# --- messages a person can act on -------------------------------------------------------------------
def test_non_public_address_error_names_the_cli_flag(run_cli, server: BadgeServer) -> None:  # type: ignore[no-untyped-def]
    url = server.json("/cli/assertion", {"hello": "world"})
    res = run_cli(["verify", url])
    assert res.exit_code == 1
    assert "--allow-private-network" in res.stdout and "allow_private_network" not in res.stdout


def test_not_valid_line_names_the_badge(run_cli, conformance: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = base_credential(conformance, name="Robotics Level 1")
    res = run_cli(["verify", _write_json(tmp_path / "c.json", doc)])  # no proof: not valid
    assert res.exit_code == 1
    first = res.stdout.splitlines()[0]
    assert first.startswith(f'NOT VALID (invalid): {doc["id"]} ("Robotics Level 1")'), first


def test_not_valid_line_names_the_file_when_the_badge_has_no_id_or_name(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _write_json(tmp_path / "anon.json", {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion"})
    res = run_cli(["verify", path])
    assert res.exit_code == 1 and res.stdout.startswith(f"NOT VALID (invalid): {path}")


# --- exit codes for unreadable images -------------------------------------------------------------
CORRUPT_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"garbage" * 10


@pytest.mark.parametrize("content", [CORRUPT_PNG, b"<svg xmlns='http://www.w3.org/2000/svg'><g>"],
                         ids=["png", "svg"])
def test_corrupt_image_exits_2(run_cli, tmp_path: Path, content: bytes) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "broken.img"
    path.write_bytes(content)
    res = run_cli(["verify", path])
    assert res.exit_code == 2, res.stdout
    assert "could not verify" in res.stderr


def test_image_without_a_badge_is_not_valid_exit_1(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "plain.png"
    path.write_bytes(make_png())
    res = run_cli(["verify", path])
    assert res.exit_code == 1 and "unbake" in res.stdout  # as `openbadges unbake`: nothing baked is 1


def test_batch_lists_each_file_that_was_not_valid_with_its_first_error(  # type: ignore[no-untyped-def]
        run_cli, conformance: Path, tmp_path: Path) -> None:
    folder = tmp_path / "badges"
    folder.mkdir()
    key = generate_key("EdDSA")
    doc = base_credential(conformance)
    (folder / "broken.png").write_bytes(CORRUPT_PNG)
    (folder / "noproof.json").write_text(json.dumps(doc))
    (folder / "unconfirmed.png").write_bytes(bake(make_png(), sign_jws(
        {**doc, "iss": doc["issuer"]["id"]}, key, headers={"kid": None, "jwk": {
            k: v for k, v in key.public_key.to_jwk().items() if k not in ("alg", "kid")}})))
    res = run_cli(["verify", "--batch", folder])
    assert res.exit_code == 2  # one file could not be verified at all
    lines = res.stdout.splitlines()
    listed = {Path(line.split(": ", 1)[0]).name: line for line in lines if line.startswith(str(folder))}
    assert set(listed) == {"broken.png", "noproof.json", "unconfirmed.png"}
    assert ": errors: " in listed["broken.png"] and "PNG" in listed["broken.png"]
    assert ": invalid: proof: " in listed["noproof.json"]
    assert ": issuer_unconfirmed: issuer_key: " in listed["unconfirmed.png"]
    row = [line for line in lines if line.count("│") >= 6][-1]
    assert [c.strip() for c in row.strip("│ ").split("│")] == ["0", "0", "0", "1", "1", "1"]


def test_batch_json_lines_marks_a_corrupt_image_as_errors(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "broken.png").write_bytes(CORRUPT_PNG)
    res = run_cli(["verify", "--batch", folder, "--json-lines"])
    assert res.exit_code == 2
    line = json.loads(res.stdout.splitlines()[0])
    assert line["status"] == "errors" and line["error"]["message"]


# --- did:web over http on loopback from the command line --------------------------------------------
def test_allow_http_did_web_flag(run_cli, server: BadgeServer, conformance: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = generate_key("ES256")
    did = f"did:web:{quote(f'127.0.0.1:{server.port}')}:clidev"
    jwk = {k: v for k, v in key.public_key.to_jwk().items() if k not in ("alg", "kid")}
    server.json("/clidev/did.json", {"id": did, "verificationMethod": [
        {"id": f"{did}#k", "type": "JsonWebKey", "controller": did, "publicKeyJwk": jwk}]})
    doc = base_credential(conformance)
    doc["issuer"] = {**doc["issuer"], "id": did}
    token = tmp_path / "c.jwt"
    token.write_text(sign_jws({**doc, "iss": did}, key, headers={"typ": "JWT", "kid": f"{did}#k"}))
    refused = run_cli(["verify", token, "--allow-private-network"])
    assert refused.exit_code == 1 and "--allow-http-did-web" in refused.stdout
    allowed = run_cli(["verify", token, "--allow-private-network", "--allow-http-did-web"])
    assert allowed.exit_code == 0, allowed.stdout


# --- validate: OB 3.0 credentials -------------------------------------------------------------------
@pytest.mark.parametrize("name", ["simple.json", "simple_v1.json", "complete.json"])
def test_validate_accepts_valid_ob3_credentials(run_cli, conformance: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["validate", conformance / OB30 / name])
    assert res.exit_code == 0, res.stdout + res.stderr
    assert res.stdout.startswith("valid OB 3.0 AchievementCredential")


@pytest.mark.parametrize(("name", "rule"), [("simple-err-context.json", "[context]"),
                                            ("simple-err-credential-subject-type.json", "credentialSubject.type"),
                                            ("simple-err-issuer.json", "issuer")])
def test_validate_reports_ob3_rule_violations(run_cli, conformance: Path, name: str, rule: str) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["validate", conformance / OB30 / name])
    assert res.exit_code == 1 and rule in res.stdout


def test_validate_a_vc_jwt_reads_its_payload(run_cli, conformance: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = generate_key("ES256")
    doc = base_credential(conformance)
    good, bad = tmp_path / "good.jwt", tmp_path / "bad.jwt"
    good.write_text(sign_jws({**doc, "iss": doc["issuer"]["id"]}, key))
    bad.write_text(sign_jws({**doc, "credentialSubject": {"type": ["AchievementSubject"]}}, key))
    assert run_cli(["validate", good]).exit_code == 0
    res = run_cli(["validate", bad, "--json"])
    assert res.exit_code == 1 and json.loads(res.stdout)["valid"] is False


def test_validate_still_validates_ob2_documents(run_cli, conformance: Path) -> None:  # type: ignore[no-untyped-def]
    res = run_cli(["validate", conformance / "examples/validator-ob20/basic-assertion.json"])
    assert res.exit_code == 0 and res.stdout.startswith("valid Assertion: ")
