"""Reading a file named by the caller: regular files only, never more than a cap (issue #13)."""

from __future__ import annotations

import os
import stat

__all__ = ["NotARegularFileError", "read_capped"]


class NotARegularFileError(OSError):
    """The path is a device, FIFO, socket or folder: reading it could never end (``/dev/zero``) or block."""


def read_capped(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of the regular file at ``path`` (one more than allowed, so the
    caller can tell "too large"). Opened with ``O_NONBLOCK`` so a FIFO is seen, not waited on.

    Raises:
        NotARegularFileError: ``path`` is not a regular file.
        OSError: it cannot be opened or read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotARegularFileError(f"{os.fspath(path)} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(max_bytes + 1)
    finally:
        os.close(fd)
