"""``openbadges validate FILE.json``: validate an OB 2.0 document (type detected from ``type``)."""

from __future__ import annotations

import json
import sys

import click

from openbadges_core._cli import CheckFailed
from openbadges_core._errors import ParseError
from openbadges_core._ob2._model import decode_json
from openbadges_core._validation import detect_kind, document_issues

_MAX_INPUT = 16 * 1024 * 1024
_KINDS = ["Assertion", "BadgeClass", "Issuer", "Profile", "CryptographicKey", "RevocationList"]


def _read(path: str) -> bytes:
    if path == "-":
        data = sys.stdin.buffer.read(_MAX_INPUT + 1)
    else:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_INPUT + 1)
    if len(data) > _MAX_INPUT:
        raise click.UsageError(f"{path}: larger than {_MAX_INPUT // (1024 * 1024)} MiB")
    return data


@click.command("validate")
@click.argument("file", metavar="FILE.json", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--kind", type=click.Choice(_KINDS), default=None,
              help="Document type to validate as (default: detected from its 'type').")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report instead of text lines.")
def validate_command(file: str, kind: str | None, as_json: bool) -> None:
    """Validate an Open Badges 2.0 document (Assertion, BadgeClass, Issuer, CryptographicKey, RevocationList).

    Prints one line per broken rule ("path: message [rule]"). FILE.json may be '-' for stdin.
    Exit status: 0 valid, 1 invalid, 2 unreadable or not JSON.
    """
    raw = _read(file)
    try:
        data = decode_json(raw)
    except ParseError as exc:
        raise ParseError(f"{'stdin' if file == '-' else file}: {exc.issues[0].message}", exc.issues) from None
    issues = document_issues(data, kind=kind)
    detected = kind or detect_kind(data) or "document"
    if as_json:
        report = {"valid": not issues, "kind": detected, "id": data.get("id"),
                  "issues": [i.to_dict() for i in issues]}
        click.echo(json.dumps(report, indent=2))
    else:
        for issue in issues:
            click.echo(str(issue))
    if issues:
        raise CheckFailed(f"invalid {detected}: {len(issues)} issue{'s' if len(issues) != 1 else ''}")
    if not as_json:
        click.echo(f"valid {detected}: {data.get('id', '(no id)')}")
    sys.stdout.flush()


def register(group: click.Group) -> None:
    group.add_command(validate_command)
