"""The ``openbadges`` command line.

Exit codes, for every command: 0 success, 1 a check failed (invalid document, no badge in the image,
badge not valid), 2 bad usage or unreadable / hostile input. Errors are one line on stderr, never a
traceback.

Each area adds its commands in its own module (``_cli/_<area>.py``) exposing ``register(group)``, and
lists that module in ``_COMMAND_MODULES`` below.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

import click

from openbadges_core._errors import OpenBadgesError

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2

_COMMAND_MODULES: list[str] = [
    "openbadges_core._cli._documents",
    "openbadges_core._cli._keys",
    "openbadges_core._cli._baking",
    "openbadges_core._cli._verify",
    "openbadges_core._cli._ob3",
]


class CheckFailed(click.ClickException):
    """Raise from a command to exit 1 with a one-line message (a check failed, not an error)."""

    exit_code = EXIT_CHECK_FAILED

    def show(self, file: object = None) -> None:
        click.echo(f"openbadges: {self.format_message()}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="openbadges", prog_name="openbadges")
def cli() -> None:
    """Build, sign, bake, unbake and verify Open Badges."""


def _register_commands() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(cli)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of the ``openbadges`` console script: runs and exits with the exit code."""
    sys.exit(run(argv))


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI without exiting the interpreter; returns the exit code."""
    if not cli.commands:
        _register_commands()
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="openbadges",
                          standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("openbadges: aborted", err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        if isinstance(exc, CheckFailed):
            exc.show()
            return EXIT_CHECK_FAILED
        click.echo(f"openbadges: {exc.format_message()}", err=True)
        return EXIT_USAGE if exc.exit_code not in (EXIT_OK, EXIT_CHECK_FAILED) else exc.exit_code
    except OpenBadgesError as exc:
        click.echo(f"openbadges: error [{exc.code}]: {exc.message}", err=True)
        return EXIT_USAGE
    except OSError as exc:
        click.echo(f"openbadges: error: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""),
                   err=True)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - a user never sees a traceback
        click.echo(f"openbadges: internal error: {type(exc).__name__}: {exc}", err=True)
        return EXIT_USAGE
    return int(result) if isinstance(result, int) else EXIT_OK
