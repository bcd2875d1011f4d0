"""``openbadges verify``: one badge (URL, file or stdin) or a whole folder with ``--batch``."""

from __future__ import annotations

import glob
import json
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import click

from openbadges_core._errors import OpenBadgesError
from openbadges_core._files import read_capped
from openbadges_core._json import loads as json_loads
from openbadges_core._keyio import load_public_key
from openbadges_core._keys import PublicKey
from openbadges_core._verify import VerificationReport, VerifyOptions, verify
from openbadges_core._verify._input import MAX_INPUT_BYTES

__all__ = ["register"]

BATCH_SUFFIXES = frozenset({".json", ".jws", ".jwt", ".png", ".svg"})
_COLUMNS = ("valid", "revoked", "expired", "issuer_unconfirmed", "invalid", "errors")
#: Failed checks meaning the input could not be verified at all (exit 2), not that the badge is invalid.
_UNVERIFIABLE = frozenset({"unbake", "internal"})
#: Python option names in library messages, as the command line spells them.
_FLAGS = (("VerifyOptions.allow_private_network", "--allow-private-network"),
          ("allow_private_network", "--allow-private-network"),
          ("VerifyOptions.allow_http_did_web", "--allow-http-did-web"),
          ("VerifyOptions.trusted_keys", "--trusted-key FILE"),
          ("VerifyOptions.documents", "--document URL=FILE"))


def _cli_words(message: str) -> str:
    """A library message with option names replaced by the flags that set them."""
    for name, flag in _FLAGS:
        message = message.replace(name, flag)
    return message


def _unverifiable(report: VerificationReport) -> bool:
    """The input could not be verified at all (a corrupt or hostile image, a verifier bug); an image that
    simply carries no badge is a badge that is not valid, as for ``openbadges unbake``."""
    return any(c.name in _UNVERIFIABLE and (c.detail or {}).get("code") != "no_badge_payload"
               for c in report.errors)


def _label(report: VerificationReport, fallback: str) -> str:
    """The badge as a person knows it: its id and name (the credential's or the badge class's)."""
    assertion = report.assertion or {}
    ident = assertion.get("id")
    name = assertion.get("name")
    if not isinstance(name, str) and report.badge is not None:
        name = report.badge.get("name")
    ident = ident if isinstance(ident, str) else None
    name = name if isinstance(name, str) else None
    if ident and name:
        return f'{ident} ("{name}")'
    return ident or (f'"{name}"' if name else fallback)
_MAX_KEY_BYTES = 64 * 1024


def _input_of(value: str) -> Any:
    if value == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise click.UsageError(f"stdin is larger than {MAX_INPUT_BYTES} bytes")
        return data
    if value.lower().startswith(("http://", "https://")):
        return value
    path = Path(value)
    if not path.exists():
        raise click.UsageError(f"no such file: {value} (INPUT is a URL, a file or '-' for stdin)")
    if path.is_dir():
        raise click.UsageError(f"{value} is a folder; use --batch to verify many files")
    return path


def _print_human(report: VerificationReport, source: str) -> None:
    what = _label(report, source)
    kind = ", ".join(x for x in (f"OB {report.version}" if report.version else "", report.verification_type or "")
                     if x)
    verdict = "VALID" if report.valid else f"NOT VALID ({report.status})"
    click.echo(f"{verdict}: {what}" + (f" [{kind}]" if kind else ""))
    if report.recipient_match is not None:
        click.echo(f"  recipient: {'matches' if report.recipient_match else 'does NOT match'}")
    for check in report.checks:
        if not check.passed:
            click.echo(f"  {check.level:<7} {check.name}: {_cli_words(check.message)}")


def _trusted_keys(paths: tuple[str, ...]) -> tuple[PublicKey, ...]:
    keys = []
    for value in paths:
        try:
            data = read_capped(value, _MAX_KEY_BYTES)
            if len(data) > _MAX_KEY_BYTES:
                raise click.UsageError(f"--trusted-key {value} is larger than {_MAX_KEY_BYTES} bytes")
        except OSError as exc:
            raise click.UsageError(f"--trusted-key {value}: {exc.strerror or exc}") from None
        try:
            text = data.decode("utf-8").strip()
            keys.append(load_public_key(json_loads(text) if text.startswith("{") else text))
        except (OpenBadgesError, UnicodeDecodeError, ValueError) as exc:
            message = exc.message if isinstance(exc, OpenBadgesError) else str(exc)
            raise click.UsageError(f"--trusted-key {value} is not a public key (PEM or JWK): {message}") from None
    return tuple(keys)


def _documents(pairs: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """``--document URL=FILE``: the JSON document in FILE is used for URL instead of fetching it."""
    documents: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        url, sep, file = pair.partition("=")
        if not sep or not url.lower().startswith(("http://", "https://")) or not file:
            raise click.UsageError(f"--document {pair!r}: expected URL=FILE (an http(s) URL, then a JSON file)")
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise click.UsageError(f"--document {url}={file}: {exc.strerror or exc}") from None
        if len(data) > MAX_INPUT_BYTES:
            raise click.UsageError(f"--document {url}={file}: larger than {MAX_INPUT_BYTES} bytes")
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise click.UsageError(f"--document {url}={file} is not JSON: {exc}") from None
        if not isinstance(document, dict):
            raise click.UsageError(f"--document {url}={file} is not a JSON object")
        documents[url] = document
    return documents


def _options(allow_private_network: bool, timeout: float | None,
             trusted_keys: tuple[PublicKey, ...] = (), documents: dict[str, dict[str, Any]] | None = None,
             allow_http_did_web: bool = False) -> VerifyOptions:
    if timeout is not None and timeout <= 0:
        raise click.UsageError("--timeout must be positive")
    kwargs: dict[str, Any] = {"allow_private_network": allow_private_network, "trusted_keys": trusted_keys,
                              "documents": documents or {}, "allow_http_did_web": allow_http_did_web}
    if timeout is not None:
        kwargs["timeout"] = timeout
        kwargs["total_timeout"] = max(timeout * 3, timeout)
    return VerifyOptions(**kwargs)


def _batch_files(pattern: str) -> list[Path]:
    root = Path(pattern)
    if root.is_dir():
        found = [p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in BATCH_SUFFIXES]
    else:
        found = [Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file()]
    return sorted(found)


def _verify_file(path: Path, recipient: str | None, options: VerifyOptions) -> dict[str, Any]:
    try:
        report = verify(path, recipient=recipient, options=options)
    except OpenBadgesError as exc:
        return {"file": str(path), "status": "errors", "valid": False, "error": exc.to_dict()}
    except Exception as exc:  # noqa: BLE001 - one bad file never stops a batch
        return {"file": str(path), "status": "errors", "valid": False,
                "error": {"code": "internal", "message": f"{type(exc).__name__}: {exc}"}}
    failed = [c.to_dict() for c in report.checks if not c.passed]
    if _unverifiable(report):
        first = report.errors[0]
        return {"file": str(path), "status": "errors", "valid": False,
                "error": {"code": (first.detail or {}).get("code", first.name), "message": first.message},
                "failed": failed}
    return {"file": str(path), "status": report.status, "valid": report.valid, "failed": failed}


def _first_problem(result: dict[str, Any]) -> str:
    if "error" in result and not result.get("failed"):
        return str(result["error"].get("message", ""))
    errors = [c for c in result.get("failed", []) if c["level"] == "error"] or result.get("failed", [])
    return f"{errors[0]['name']}: {_cli_words(errors[0]['message'])}" if errors else ""


def _run_batch(pattern: str, recipient: str | None, options: VerifyOptions, jobs: int, json_lines: bool) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    files = _batch_files(pattern)
    if not files:
        raise click.UsageError(f"no badge files (.json .jws .jwt .png .svg) match {pattern}")
    counts: Counter[str] = Counter()
    err = Console(stderr=True)
    out = Console(file=sys.stdout, soft_wrap=True)
    progress = Progress(TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True, disable=not err.is_terminal)
    with progress, ThreadPoolExecutor(max_workers=jobs) as pool:
        task = progress.add_task("verify", total=len(files))
        not_valid = []
        for result in pool.map(lambda p: _verify_file(p, recipient, options), files):
            counts[result["status"]] += 1
            progress.advance(task)
            if not result["valid"]:
                not_valid.append(result)
            if json_lines:
                click.echo(json.dumps(result, ensure_ascii=False))
    if not json_lines:
        table = Table(title=f"{len(files)} badges")
        for column in _COLUMNS:
            table.add_column(column, justify="right")
        table.add_row(*(str(counts[c]) for c in _COLUMNS))
        out.print(table)
        for result in not_valid:
            click.echo(f"{result['file']}: {result['status']}: {_first_problem(result)}")
    if counts["errors"]:
        return 2
    return 0 if counts["valid"] == len(files) else 1


@click.command("verify")
@click.argument("input", required=False)
@click.option("--recipient", metavar="IDENTITY", help="Plaintext recipient identity (an email ...) to match.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option("--allow-private-network", is_flag=True,
              help="Allow fetching from loopback/private addresses (off by default: SSRF protection).")
@click.option("--timeout", type=float, metavar="S", help="Seconds per request (default 10).")
@click.option("--batch", metavar="DIR_OR_GLOB", help="Verify every badge file in a folder or matching a glob.")
@click.option("--jobs", type=click.IntRange(1, 64), default=4, show_default=True, help="Parallel verifications.")
@click.option("--json-lines", is_flag=True, help="With --batch: one JSON result per line instead of a table.")
@click.option("--trusted-key", "trusted_key_files", multiple=True, metavar="PEM",
              help="OB 3.0: a public key file (PEM or JWK) of an issuer to trust; repeatable.")
@click.option("--document", "document_pairs", multiple=True, metavar="URL=FILE",
              help="Use the JSON in FILE for URL instead of fetching it (issuer profiles, keys, DID documents, "
                   "status lists); repeatable.")
@click.option("--allow-http-did-web", is_flag=True,
              help="Development only: resolve a did:web on a loopback host over http (with "
                   "--allow-private-network).")
def verify_command(input: str | None, recipient: str | None, as_json: bool, allow_private_network: bool,
                   timeout: float | None, batch: str | None, jobs: int, json_lines: bool,
                   trusted_key_files: tuple[str, ...], document_pairs: tuple[str, ...],
                   allow_http_did_web: bool) -> int:
    """Verify an Open Badges 2.0 badge or 3.0 credential: INPUT is a URL, a file (.json .jws .jwt .png
    .svg) or '-' (stdin).

    Exit 0 valid; 1 not valid (including revoked, expired and issuer_unconfirmed: a valid signature by a
    key the issuer does not publish); 2 could not verify (unreadable or corrupt input, bad usage).
    """
    from openbadges_core._cli import EXIT_USAGE, CheckFailed

    options = _options(allow_private_network, timeout, _trusted_keys(trusted_key_files),
                       _documents(document_pairs), allow_http_did_web)
    if batch is not None:
        if input is not None:
            raise click.UsageError("give either INPUT or --batch, not both")
        return _run_batch(batch, recipient, options, jobs, json_lines)
    if input is None:
        raise click.UsageError("missing INPUT (a URL, a file or '-'), or use --batch DIR_OR_GLOB")
    if json_lines:
        raise click.UsageError("--json-lines goes with --batch; use --json for one badge")
    report = verify(_input_of(input), recipient=recipient, options=options)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_human(report, "stdin" if input == "-" else input)
    if _unverifiable(report):
        click.echo(f"openbadges: could not verify {input}: {_cli_words(report.errors[0].message)}", err=True)
        return EXIT_USAGE
    if not report.valid:
        raise CheckFailed(f"the badge is not valid ({report.status})")
    return 0


def register(group: click.Group) -> None:
    group.add_command(verify_command)
