"""The one way the library writes a moment into a document: an xsd:dateTime in UTC, to the second."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utc_datetime"]


def utc_datetime(moment: datetime) -> str:
    """``moment`` (aware) as ``YYYY-MM-DDTHH:MM:SSZ`` with a four-digit year, as xsd:dateTime requires.

    Not ``strftime("%Y…")``: glibc prints the year 999 as ``999`` and the year 1 as ``1``."""
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
