"""The ``openbadges-server`` console script. It imports nothing beyond the standard library until it knows the
server's dependencies (the ``server`` extra) are installed: without them it prints one line naming the extra to
install and exits 2, instead of an import traceback."""

from __future__ import annotations

import sys

from hosting.app.install import EXIT_ERROR, MISSING_SERVER_EXTRA

__all__ = ["main"]
# Our own packages: a missing module of theirs is a broken install, not a missing extra.
_OWN = frozenset({"hosting", "openbadges_core"})


def main() -> None:
    try:
        from hosting.app.cli import main as cli_main
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] in _OWN:
            raise
        sys.stderr.write(f"openbadges-server: error: {MISSING_SERVER_EXTRA.format(module=exc.name)}\n")
        sys.exit(EXIT_ERROR)
    cli_main()
