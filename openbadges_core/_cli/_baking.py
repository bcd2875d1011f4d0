"""``openbadges bake`` and ``openbadges unbake``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from openbadges_core._baking import bake, unbake
from openbadges_core._baking._limits import DEFAULT_LIMITS
from openbadges_core._errors import NoBadgePayloadError
from openbadges_core._files import read_capped

__all__ = ["register"]


def _read(path: str) -> bytes:
    """Bytes of a file (or stdin for ``-``), never more than the image size limit + 1."""
    if path == "-":
        return sys.stdin.buffer.read(DEFAULT_LIMITS.max_image_bytes + 1)
    return read_capped(path, DEFAULT_LIMITS.max_image_bytes)


@click.command("bake")
@click.argument("image", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="Where to write the baked image ('-' for stdout).")
@click.option("--data", help="The payload: assertion/credential JSON, a hosted assertion URL or a JWS/JWT.")
@click.option("--data-file", type=click.Path(dir_okay=False, allow_dash=True),
              help="Read the payload from this file ('-' for stdin).")
@click.option("--keyword", type=click.Choice(["openbadges", "openbadgecredential"]),
              help="Force the OB version: openbadges (2.0) or openbadgecredential (3.0).")
def bake_command(image: str, output: str, data: str | None, data_file: str | None,
                 keyword: str | None) -> None:
    """Bake a badge payload into IMAGE (PNG or SVG)."""
    if (data is None) == (data_file is None):
        raise click.UsageError("give exactly one of --data and --data-file")
    payload: str | bytes = data if data is not None else _read(str(data_file))
    baked = bake(_read(image), payload, keyword=keyword)
    if output == "-":
        sys.stdout.buffer.write(baked)
        sys.stdout.buffer.flush()
    else:
        Path(output).write_bytes(baked)


@click.command("unbake")
@click.argument("image", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True,
              help="Print {payload, format, version, kind} as JSON instead of the bare payload.")
def unbake_command(image: str, as_json: bool) -> None:
    """Print the badge payload baked into IMAGE (PNG or SVG). Exit 1 when there is none."""
    from openbadges_core._cli import CheckFailed

    try:
        result = unbake(_read(image))
    except NoBadgePayloadError as exc:
        raise CheckFailed(exc.message) from None
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        click.echo(result.payload)


def register(group: click.Group) -> None:
    group.add_command(bake_command)
    group.add_command(unbake_command)
