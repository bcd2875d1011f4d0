"""The query of Credly's lists (badges, templates, the high-volume search): unknown parameters, ``page`` and
``per``, ``|``-combined sort keys, each parameter once, a malformed query as one 400, and the paging ``metadata`` of a page."""

from __future__ import annotations

import math
import string
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.datastructures import MultiDict
from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from hosting.app.state import HostingState
from hosting.lib.body import FieldErrors
from hosting.lib.errors import InvalidInput
from hosting.lib.numbers import ascii_int

__all__ = ["PER_PAGE", "check_query", "folded", "page_and_per", "page_metadata", "query_parameters",
           "sort_order"]

PER_PAGE = 50  # Credly's default and most a page (``per`` takes 1 to 50)
_MAX_PAGE = 1_000_000


def query_parameters(params: MultiDict[Any], known: Iterable[str], errors: FieldErrors) -> dict[str, str]:
    """The query, one value a name. A parameter not in ``known``, or given more than once (``?page=1&page=2``,
    ``?filter=a&filter=b``: which one was meant?), is a problem (never silently ignored, never one of them
    taken)."""
    allowed = frozenset(known)
    times = Counter(name for name, _ in params.multi_items())
    for name in sorted(set(times) - allowed):
        errors.add(name, f"unknown query parameter (supported: {', '.join(sorted(allowed))})", None)
    for name in sorted(n for n in allowed if times[n] > 1):
        errors.add(name, "given more than once (one value a parameter)", params.getall(name))
    return {name: str(params.get(name)) for name in times if name in allowed}


def page_and_per(params: Mapping[str, Any], errors: FieldErrors) -> tuple[int, int]:
    """``page`` (from 1, default 1) and ``per`` (1 to :data:`PER_PAGE`, default :data:`PER_PAGE`)."""
    numbers: dict[str, int] = {}
    for name, default, top, what in (("page", 1, _MAX_PAGE, "a page number from 1"),
                                     ("per", PER_PAGE, PER_PAGE, f"a number a page from 1 to {PER_PAGE}")):
        text = params.get(name, str(default))
        number = ascii_int(text)
        if number is None or not 1 <= number <= top:
            errors.add(name, what, text)
            number = default
        numbers[name] = number
    return numbers["page"], numbers["per"]


def sort_order(text: str, sorts: Mapping[str, Any], errors: FieldErrors,
               nulls_last: Iterable[str] = ()) -> list[Any]:
    """The ORDER BY of ``key|-key…`` (``-``: descending) over ``sorts`` (key → column); the keys in
    ``nulls_last`` put rows without a value last either way."""
    last = frozenset(nulls_last)
    order: list[Any] = []
    for key in filter(None, text.split("|")):
        name = key.removeprefix("-")
        column = sorts.get(name)
        if column is None:
            errors.add("sort", f"a sort key among {', '.join(sorts)} (optionally with -)", key)
            continue
        ordered = column.desc() if key.startswith("-") else column.asc()
        order.append(ordered.nulls_last() if name in last else ordered)
    return order


class folded(FunctionElement[str]):
    """``folded(text)``: the sort key of a name, ASCII letters' case ignored, then compared by code point — the
    same order on SQLite (``lower()`` folds ASCII only, ``BINARY`` compares UTF-8 bytes) and on PostgreSQL
    (``translate`` folds ASCII only, ``COLLATE "C"`` compares bytes; the database's collation, often a
    locale's that ignores spaces or folds accents, is not used). Ties are the caller's to break."""

    type = String()
    name = "folded"
    inherit_cache = True


@compiles(folded)
def _folded_sqlite(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_postgresql(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    text = compiler.process(element.clauses, **kw)
    return f"(translate({text}, '{string.ascii_uppercase}', '{string.ascii_lowercase}') COLLATE \"C\")"


def check_query(errors: FieldErrors) -> None:
    """A query with problems is one 400 naming the first (all of them in ``errors``)."""
    if errors.details:
        first = errors.details[0]
        raise InvalidInput(f"invalid query: {first['field']} {first['message']}", details=errors.details)


def page_metadata(request: Request[Any, Any, Any], hosting: HostingState, *, page: int, per: int, total: int,
                  count: int) -> dict[str, Any]:
    """Credly's list ``metadata``: counts, pages and the previous and next pages' URLs (the query kept)."""
    pages = max(1, math.ceil(total / per))
    url = f"{hosting.urls.base}{request.url.path}"
    query = {k: v for k, v in request.query_params.items() if k != "page"}

    def at(number: int) -> str:
        return f"{url}?{urlencode({**query, 'page': str(number)})}"

    return {"count": count, "current_page": page, "total_count": total, "total_pages": pages, "per": per,
            "previous_page_url": at(page - 1) if 1 < page <= pages + 1 else None,
            "next_page_url": at(page + 1) if page < pages else None}
