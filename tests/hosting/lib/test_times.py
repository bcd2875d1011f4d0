"""``hosting.lib.times``: the timestamps the API and the OB 3.0 documents show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hosting.lib.times import YEARS, iso, utc_within_years


@pytest.mark.parametrize(("moment", "text"), [
    (datetime(1, 1, 1), "0001-01-01T00:00:00Z"),  # strftime("%Y") printed "1-01-01T00:00:00Z"
    (datetime(999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), "0999-12-31T23:59:59Z"),
    (datetime(1000, 1, 1, tzinfo=timezone(timedelta(hours=-5))), "1000-01-01T05:00:00Z"),
    (datetime(2026, 12, 4, 14, 30, 5, 123_456), "2026-12-04T14:30:05Z"),
    (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "9999-12-31T23:59:59Z"),
])
def test_iso_is_an_xsd_datetime_with_a_four_digit_year(moment: datetime, text: str) -> None:
    assert iso(moment) == text


def test_iso_keeps_none() -> None:
    assert iso(None) is None


@pytest.mark.parametrize("moment", [datetime(1, 1, 1), datetime(999, 6, 1, tzinfo=UTC), datetime(1899, 12, 31)])
def test_moments_given_to_an_api_before_1900_are_refused(moment: datetime) -> None:
    """What the APIs accept as input starts at :data:`YEARS` (1900): no year below 1000 is stored through them."""
    assert YEARS[0] == 1900
    with pytest.raises(ValueError, match="year out of range"):
        utc_within_years(moment)
