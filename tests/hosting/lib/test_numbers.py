"""``ascii_int``: the one reading of a number written as text (headers, query parameters, form fields)."""

from __future__ import annotations

import pytest

from hosting.lib.numbers import MAX_DIGITS, ascii_int


@pytest.mark.parametrize(("text", "number"), [
    ("0", 0), ("7", 7), ("007", 7), ("2000000000", 2_000_000_000), (b"42", 42), ("0" * 5000, 0),
    ("0" * 5000 + "12", 12), ("9" * MAX_DIGITS, 10**MAX_DIGITS - 1),
])
def test_ascii_digits_are_read(text: str | bytes, number: int) -> None:
    assert ascii_int(text) == number


@pytest.mark.parametrize("text", [
    "", "²", "٣", "١٠", "３", "+5", "-1", " 5", "5 ", "5\n", "1_000", "0x10", "1e3", "5.0", "٣".encode(), b"\xb2",
    b" 5", "9" * (MAX_DIGITS + 1), "9" * 5000,  # int() raises ValueError past 4,300 digits
])
def test_anything_else_is_none(text: str | bytes) -> None:
    assert ascii_int(text) is None
