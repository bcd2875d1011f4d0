"""Timestamps as the API and the OB 3.0 documents show them."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import overload

__all__ = ["YEARS", "aware", "iso", "utc_within_years"]

#: the years a moment given to an API may lie in (its own offset and UTC alike)
YEARS = (1900, 9999)


@overload
def iso(value: datetime) -> str: ...
@overload
def iso(value: None) -> None: ...
@overload
def iso(value: datetime | None) -> str | None: ...


def iso(value: datetime | None) -> str | None:
    """UTC, second precision, ``Z``, a four-digit year (``0999-…``), as xsd:dateTime and ISO 8601 require
    (``None`` stays ``None``). SQLite hands datetimes back naive; they are stored in UTC."""
    return None if value is None else _iso(value)


@functools.lru_cache(maxsize=4096)  # a batch's rows share their moments: formatting costs more than a lookup
def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # not strftime("%Y…"): glibc prints the year 999 as "999" and the year 1 as "1"; isoformat() pads to 4 digits
    return value.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def aware(value: datetime) -> datetime:
    """``value`` in UTC with its time zone (a naive one, as SQLite hands them back, is taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_within_years(moment: datetime) -> datetime:
    """``moment`` (naive: UTC) as an aware UTC datetime, when it lies within :data:`YEARS` both as written and
    in UTC; ``ValueError`` otherwise (``9999-12-31T23:59:59-05:00`` has no UTC instant a datetime can hold)."""
    try:
        utc = aware(moment)
    except OverflowError:
        utc = None
    if utc is None or not YEARS[0] <= moment.year <= YEARS[1] or not YEARS[0] <= utc.year <= YEARS[1]:
        raise ValueError(f"year out of range ({YEARS[0]}-{YEARS[1]}, in UTC too)")
    return utc
