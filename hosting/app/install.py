"""What a failed command tells the user (standard library only: the console-script shim imports it before it
knows the server's dependencies are installed)."""

from __future__ import annotations

__all__ = ["EXIT_ERROR", "MISSING_SERVER_EXTRA"]

EXIT_ERROR = 2
MISSING_SERVER_EXTRA = ("the server dependencies are not installed (no module {module!r}): "
                        "pip install 'openbadges[server]'")
