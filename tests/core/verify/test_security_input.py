"""Issue #13 items 7, 8, 9: what ``verify()`` reads, and how deep and how much.

7. a ``str`` is a URL, JSON or a JWS — never a local path (a service passing pasted text would leak files);
8. deeply nested JSON is a typed error or a failed check, never ``RecursionError`` or an "internal" check;
9. non-regular files (``/dev/zero``, FIFOs) are refused, and every read is capped.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from openbadges_core import (
    OpenBadgesError,
    ParseError,
    VerificationError,
    VerificationReport,
    VerifyOptions,
    verify,
)
from openbadges_core._json import MAX_JSON_DEPTH, loads
from tests.core.baking._baking_support import make_png
from tests.core.verify._badge_server import BadgeServer

REPO = Path(__file__).resolve().parent.parent
OB2 = "https://w3id.org/openbadges/v2"
OFFLINE = VerifyOptions(use_cache=False, allow_private_network=True, timeout=2, total_timeout=4)


def _deep(levels: int) -> str:
    return '{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "x": ' + "[" * levels + \
        "]" * levels + "}"


def _no_internal(report: VerificationReport) -> None:
    assert report.check("internal") is None, report.check("internal")
    assert not report.valid


# --- 7. str is never a path -------------------------------------------------------------------------
def test_a_str_naming_an_existing_json_file_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"@context": OB2, "type": "Assertion", "id": "urn:uuid:x", "password": "s3cr3t"}))
    with pytest.raises(VerificationError) as exists:
        verify(str(secret), options=OFFLINE)
    with pytest.raises(VerificationError) as missing:
        verify(str(tmp_path / "missing.json"), options=OFFLINE)
    # same answer whether the file exists: no existence oracle, and the content is never read
    assert exists.value.message.replace("secret", "missing") == missing.value.message
    assert "s3cr3t" not in exists.value.message


def test_a_path_object_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"@context": OB2, "type": "BadgeClass"}))
    report = verify(path, options=OFFLINE)
    assert report.input_kind == "json" and not report.valid


def test_cli_file_argument_is_read_as_a_path(tmp_path: Path, run_cli: Any) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"@context": OB2, "type": "BadgeClass"}))
    result = run_cli(["verify", "--json", str(path)])
    assert result.exit_code == 1, result.stderr
    assert json.loads(result.stdout)["inputKind"] == "json"


# --- 8. deep nesting ----------------------------------------------------------------------------------
def test_loads_refuses_deep_nesting_with_a_typed_error() -> None:
    deepest = loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    for _ in range(MAX_JSON_DEPTH - 1):
        deepest = deepest[0]
    assert deepest == []
    with pytest.raises(ParseError) as exc:
        loads("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    assert exc.value.code == "json_too_deep"
    with pytest.raises(ParseError):
        loads("[" * 200_000 + "]" * 200_000)


@pytest.mark.parametrize("as_type", [str, bytes])
def test_deep_json_input_is_a_verification_error(as_type: type) -> None:
    text = _deep(100_000)
    with pytest.raises(VerificationError):
        verify(text if as_type is str else text.encode(), options=OFFLINE)


def test_deep_mapping_input_is_a_verification_error() -> None:
    nested: Any = []
    for _ in range(5_000):
        nested = [nested]
    with pytest.raises(VerificationError):
        verify({"@context": OB2, "type": "Assertion", "x": nested}, options=OFFLINE)


def test_deep_jws_payload_is_a_failed_check() -> None:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    token = b64(b'{"alg":"RS256"}') + "." + b64(_deep(100_000).encode()) + "." + b64(b"sig")
    _no_internal(verify(token, options=OFFLINE))


def _png_with_payload(payload: bytes) -> bytes:
    png = make_png()
    body = b"openbadges\x00\x00\x00\x00\x00" + payload
    raw = len(body).to_bytes(4, "big") + b"iTXt" + body + zlib.crc32(b"iTXt" + body).to_bytes(4, "big")
    return png[:-12] + raw + png[-12:]


def test_baked_image_with_deep_json_is_a_failed_check_not_internal() -> None:
    try:
        report = verify(_png_with_payload(_deep(5_000).encode()), options=OFFLINE)
    except OpenBadgesError:
        return  # a typed refusal is fine too
    _no_internal(report)
    assert report.check("unbake") is not None and not report.check("unbake").passed  # type: ignore[union-attr]


def test_fetched_deep_document_is_a_failed_check(server: BadgeServer) -> None:
    url = server.route("/deep.json", body=_deep(100_000))
    report = verify(url, options=OFFLINE)
    _no_internal(report)
    check = report.check("fetch_assertion")
    assert check is not None and not check.passed


# --- 9. non-regular files, capped reads ----------------------------------------------------------------
def _run_limited(code: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a child with 1 GiB of address space and 20 s, so an unbounded read cannot hurt."""
    def limit() -> None:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit, env=env, cwd=REPO)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_verify_of_dev_zero_is_refused_quickly() -> None:
    done = _run_limited(
        "from pathlib import Path\n"
        "from openbadges_core import verify, VerificationError\n"
        "try:\n    verify(Path('/dev/zero'))\nexcept VerificationError as e:\n    print('refused:', e.message)\n")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused:" in done.stdout and "regular file" in done.stdout


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_cli_verify_of_dev_zero_is_a_usage_error() -> None:
    done = _run_limited("import sys\nfrom openbadges_core._cli import run\nsys.exit(run(['verify', '/dev/zero']))\n")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "regular file" in done.stderr and "Traceback" not in done.stderr


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    try:
        done = _run_limited(
            "from pathlib import Path\n"
            "from openbadges_core import verify, VerificationError\n"
            f"try:\n    verify(Path({str(fifo)!r}))\nexcept VerificationError as e:\n    print('refused:', e.message)\n")
    except subprocess.TimeoutExpired:
        pytest.fail("verify() blocked reading a FIFO")
    assert "refused:" in done.stdout and "regular file" in done.stdout, done.stderr[-2000:]
