"""Logging for the server and the CLI: one JSON object per line on stderr (the access log's lines as they are).

An exception attached to a record (``_log.exception``, ``exc_info=``) becomes fields: ``exc_type`` (qualified
name), ``exc_message`` and ``traceback`` (the formatted chain), so every logged 500 carries its cause.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from typing import IO, Any

__all__ = ["JsonFormatter", "configure_logging"]


def _type_name(cls: type[BaseException]) -> str:
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


class JsonFormatter(logging.Formatter):
    """A record as ``{"event": "log", "level", "logger", "message"[, "exc_type", "exc_message", "traceback"]}``."""

    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        if record.name == "hosting.access":
            return msg
        entry: dict[str, Any] = {"event": "log", "level": record.levelname.lower(), "logger": record.name,
                                 "message": msg}
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            entry["exc_type"] = _type_name(type(exc))
            entry["exc_message"] = str(exc)
            entry["traceback"] = "".join(traceback.format_exception(exc)).rstrip("\n")
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry)


def configure_logging(stream: IO[str] | None = None) -> None:
    """Send the ``hosting`` loggers' INFO and above to ``stream`` (default stderr) as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("hosting")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
