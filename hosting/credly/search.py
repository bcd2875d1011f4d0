"""``GET /v1/organizations/{organization_id}/high_volume_issued_badge_search``: Credly's "Get Badges in Bulk".

The filters of Get Issued Badges (:mod:`hosting.credly.badges`), no sort, and a forward cursor only: badges in
creation order, 50 a page, each page's ``metadata.next_page_url`` carrying the cursor (``null`` on the last).
The cursor is the last row's ``(created_at, id)``, encrypted and authenticated and bound to the organisation and
the filter; the next page is a keyset seek on ``ix_assertions_issuer_created``, so a page deep in the results
costs what the first one does (no offset, no count). ``badge_format``: ``default`` (the badge objects of Get
Issued Badges) or ``minimal`` (identity, earner, state, dates, the template's id and name)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.datastructures import MultiDict
from litestar.params import FromPath
from sqlalchemy import ColumnElement, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.deps import Caller, Db, Hosting
from hosting.api.listing.query import decode_cursor, encode_cursor
from hosting.api.lookup import find_issuer
from hosting.credly.badges import LEAN, _filters, views
from hosting.credly.envelope import ok
from hosting.credly.openapi import SEARCH_PARAMETERS, CredlySearchPage, credly_doc
from hosting.credly.paging import PER_PAGE, check_query, query_parameters
from hosting.credly.views import minimal_json
from hosting.lib.body import FieldErrors
from hosting.lib.times import aware
from hosting.storage.models import Assertion, BadgeClass

__all__ = ["BADGE_FORMATS", "ROUTE_HANDLERS", "cursor_scope", "next_cursor"]

BADGE_FORMATS = ("default", "minimal")
_PARAMS = frozenset({"filter", "badge_format", "cursor"})


def cursor_scope(issuer_id: int, filter_text: str) -> str:
    """What a cursor is bound to: the organisation (its row id) and the filter, as given."""
    return hashlib.sha256(f"credly-high-volume/{issuer_id}/{filter_text}".encode()).hexdigest()[:16]


def next_cursor(secret: str, issuer_id: int, filter_text: str, created_at: datetime, row_id: int) -> str:
    """The cursor of the page after the badge ``(created_at, row_id)``."""
    return encode_cursor(secret, cursor_scope(issuer_id, filter_text), created_at, row_id)


def _after(created_at: datetime, row_id: int) -> ColumnElement[bool]:
    """The keyset seek: rows strictly after ``(created_at, id)`` in creation order."""
    there = tuple_(literal(aware(created_at), Assertion.created_at.type), literal(row_id, Assertion.id.type))
    return tuple_(Assertion.created_at, Assertion.id) > there


async def _minimal(session: AsyncSession, rows: list[Assertion]) -> list[dict[str, Any]]:
    wanted = {row.badge_class_id for row in rows}
    templates: dict[int, tuple[str, str]] = {}
    if wanted:
        found = await session.execute(
            select(BadgeClass.id, BadgeClass.public_id, BadgeClass.name).where(BadgeClass.id.in_(wanted)))
        templates = {row_id: (public_id, name) for row_id, public_id, name in found}
    return [minimal_json(row, *templates[row.badge_class_id]) for row in rows]


def _parsed(query: MultiDict[Any], errors: FieldErrors) -> tuple[dict[str, str], str, str,
                                                                  list[ColumnElement[bool]]]:
    """(parameters, badge_format, filter, conditions) of the query; problems go to ``errors``."""
    params = query_parameters(query, _PARAMS, errors)
    badge_format = params.get("badge_format") or "default"
    if badge_format not in BADGE_FORMATS:
        errors.add("badge_format", f"one of {', '.join(BADGE_FORMATS)}", badge_format)
    filter_text = params.get("filter") or ""
    return params, badge_format, filter_text, _filters(filter_text, errors)


class HighVolumeSearchController(Controller):
    path = "/{organization_id:str}/high_volume_issued_badge_search"
    opt = {"write_scope": "assertion:write"}  # noqa: RUF012 - reads need issuer:read

    @get("/", **credly_doc(CredlySearchPage, parameters=SEARCH_PARAMETERS))
    async def search(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                     hosting: Hosting, organization_id: FromPath[str]) -> Response[Any]:
        """Get Badges in Bulk: ``filter`` as on Get Issued Badges, ``badge_format`` (``default``/``minimal``),
        ``cursor`` (from ``metadata.next_page_url``; a cursor of another organisation or filter, or an edited
        one, is a 400)."""
        issuer, _ = await find_issuer(db_session, principal, organization_id)
        errors = FieldErrors()
        params, badge_format, filter_text, conditions = _parsed(request.query_params, errors)
        check_query(errors)
        secret = hosting.settings.secret_key
        if cursor := (params.get("cursor") or "").strip():
            conditions.append(_after(*decode_cursor(secret, cursor, cursor_scope(issuer.id, filter_text))))
        query = (select(Assertion).join(BadgeClass, BadgeClass.id == Assertion.badge_class_id)
                 .where(Assertion.issuer_id == issuer.id, *conditions).options(*LEAN)
                 .order_by(Assertion.created_at, Assertion.id).limit(PER_PAGE + 1))
        rows = list(await db_session.scalars(query))
        more, rows = len(rows) > PER_PAGE, rows[:PER_PAGE]
        next_url = None
        if more:
            token = next_cursor(secret, issuer.id, filter_text, rows[-1].created_at, rows[-1].id)
            kept = {k: v for k, v in params.items() if k != "cursor"}
            next_url = f"{hosting.urls.base}{request.url.path}?{urlencode({**kept, 'cursor': token})}"
        data = await views(db_session, hosting, rows, issuer) if badge_format == "default" \
            else await _minimal(db_session, rows)
        return ok(data, metadata={"count": len(data), "next_page_url": next_url})


ROUTE_HANDLERS: list[Any] = [HighVolumeSearchController]
