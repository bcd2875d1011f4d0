"""Parsing JSON from untrusted input: one parser, one nesting limit (issue #13).

Deeply nested JSON (``[[[[…]]]]``) makes recursive code — parsers, validators, JSON-LD — raise
``RecursionError``, which is neither a typed error nor a report. Everything parsed from a verifier
input, a fetched document, a baked payload or a token goes through :func:`loads`, which refuses
nesting past :data:`MAX_JSON_DEPTH` with a :class:`~openbadges_core.ParseError` (a ``ValueError``,
so callers that turn bad JSON into their own typed error keep doing so).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from openbadges_core._errors import ParseError

__all__ = ["MAX_JSON_DEPTH", "check_depth", "loads"]

#: Deepest nesting of objects/arrays accepted; real badges and credentials stay near 10.
MAX_JSON_DEPTH = 64

_DECODER = msgspec.json.Decoder()


def _too_deep() -> ParseError:
    return ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels is refused", code="json_too_deep")


def check_depth(value: Any, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`ParseError` (code ``json_too_deep``) when ``value`` nests deeper than ``max_depth``.

    Iterative, so a hostile structure cannot exhaust the stack while being measured.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > max_depth:
            raise _too_deep()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (Mapping, list, tuple)))


def loads(data: str | bytes) -> Any:
    """Parse untrusted JSON text (``str`` or UTF-8 ``bytes``).

    Raises:
        ParseError: not JSON (code ``parse_error``) or nested too deep (code ``json_too_deep``).
    """
    try:
        value = _DECODER.decode(data)
    except RecursionError:
        raise _too_deep() from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise ParseError(f"not valid JSON: {exc}") from None
    if isinstance(value, (dict, list)) and _brackets(data) > MAX_JSON_DEPTH:  # else it cannot be too deep
        check_depth(value)
    return value


def _brackets(data: str | bytes) -> int:
    """Opening brackets in the text (those inside strings too): an upper bound of the nesting depth."""
    if isinstance(data, str):
        return data.count("{") + data.count("[")
    return data.count(b"{") + data.count(b"[")
