"""Numbers written as text (headers, query parameters, form fields): ASCII digits only.

``str.isdigit`` also holds for "²" (``int`` refuses it: a 500) and "٣" (``int`` reads 3), and ``int`` itself
takes " 5", "+5" and "1_000", and refuses more than 4,300 digits with ``ValueError``. :func:`ascii_int` is the
one rule the app uses instead.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MAX_DIGITS", "ascii_int", "whole_number"]

#: significant digits :func:`ascii_int` reads at most (no number the app takes needs 20; ``int`` stops at 4,300)
MAX_DIGITS = 100
_DIGITS = re.compile(r"[0-9]+")
_DIGIT_BYTES = re.compile(rb"[0-9]+")


def ascii_int(text: str | bytes) -> int | None:
    """The non-negative integer ``text`` writes in ASCII digits ``0``-``9`` and nothing else (no sign, space,
    ``_`` or other script's digits), or ``None``; also ``None`` past :data:`MAX_DIGITS` significant digits.
    Callers strip first if they allow spaces around the number, and check its range."""
    if isinstance(text, bytes):
        if _DIGIT_BYTES.fullmatch(text) is None:
            return None
        text = text.decode("ascii")
    elif _DIGITS.fullmatch(text) is None:
        return None
    significant = text.lstrip("0") or "0"
    return int(significant) if len(significant) <= MAX_DIGITS else None


def whole_number(value: Any) -> int | None:
    """A JSON integer (not a boolean) as it is, or a form field's text in ASCII digits (spaces around it allowed)
    read by :func:`ascii_int`; ``None`` for anything else. Callers check its range."""
    if isinstance(value, str):
        return ascii_int(value.strip())
    return value if isinstance(value, int) and not isinstance(value, bool) else None
