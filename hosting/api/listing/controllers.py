"""Listing assertions: ``GET /v1/issuers/{issuer}/assertions`` (all of an issuer's) and
``GET /v1/issuers/{issuer}/badges/{badge}/assertions`` (one badge class's).

Query parameters (all optional; see ``docs/hosting.md``, "Listing assertions"):

- ``filter=key::value|key::value`` (Credly): ``query`` (case-insensitive partial match on the recipient or the
  badge name), ``state`` (comma-separated ``pending,active,expired,rejected,revoked,replaced``), ``recipient``,
  ``badge`` (public ids or slugs, comma-separated), ``issuer_earner_id``, ``issued_at_min|max``, ``created_at_min|max`` (ISO 8601
  date or date-time; a date ``max`` includes that whole day, UTC).
- ``sort``: ``created_at`` (default), ``issued_at``, ``badge_name``, ``recipient``; ``-`` prefix for descending.
- ``page`` / ``per_page`` (1-100, default 50): offset pages with ``total_count`` and an RFC 8288 ``Link`` header.
- ``cursor``: forward keyset pagination for bulk export (``cursor=`` empty starts it; each page answers
  ``metadata.next_cursor``). Its cost does not grow with the position, and it reports no totals (counting is
  O(n)). Only the ``created_at`` and ``issued_at`` sorts (either direction); a cursor is bound to its filters.
- Badgr: ``recipient``, ``include_revoked``, ``include_expired`` (``true``/``false``).

Which states are listed: everything, unless narrowed (Credly's rule). ``filter=state::...`` keeps the states named;
``include_revoked=false`` / ``include_expired=false`` drop revoked / expired ones; both combine (AND).
``expired`` is derived: stored state ``active`` and ``expires`` in the past; ``active`` means not expired.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from hosting.api.assertions.views import assertion_json
from hosting.api.auth import Principal
from hosting.api.deps import Caller, Db
from hosting.api.listing.query import (
    CURSOR_SORTS,
    DEFAULT_PER_PAGE,
    FILTER_KEYS,
    MAX_PER_PAGE,
    Listing,
    after,
    conditions,
    decode_cursor,
    encode_cursor,
    ordered,
    parse_listing,
)
from hosting.api.lookup import find_badge, find_issuer
from hosting.api.openapi import AssertionPage, api_doc
from hosting.app.state import HostingState, hosting_state
from hosting.storage.models import Assertion, BadgeClass, Issuer, utcnow

__all__ = ["ROUTE_HANDLERS"]


async def _items(session: AsyncSession, rows: list[Assertion], issuer: Issuer,
                 state: HostingState) -> list[dict[str, Any]]:
    """The page's assertions, with their badge classes and replacements loaded in two queries."""
    badge_ids = {row.badge_class_id for row in rows}
    badges = {b.id: b for b in (await session.scalars(
        select(BadgeClass).where(BadgeClass.id.in_(badge_ids)))).all()} if badge_ids else {}
    replacement_ids = {row.replaced_by_id for row in rows if row.replaced_by_id is not None}
    replacements: dict[int, str] = dict((await session.execute(
        select(Assertion.id, Assertion.public_id).where(Assertion.id.in_(replacement_ids)))).all()
    ) if replacement_ids else {}
    now = utcnow()
    return [assertion_json(row, badge=badges[row.badge_class_id], issuer=issuer, urls=state.urls, now=now,
                           replaced_by=replacements.get(row.replaced_by_id) if row.replaced_by_id else None)
            for row in rows]


# --- the endpoints ------------------------------------------------------------------------------------------

def _page_links(base: str, listing: Listing, total_pages: int | None,
                next_cursor: str | None) -> tuple[dict[str, str | None], str]:
    def url(**extra: Any) -> str:
        return f"{base}?{urlencode({**listing.echo, **extra})}"

    links: dict[str, str | None]
    if listing.cursor is not None:
        links = {"first": url(cursor=""), "next": url(cursor=next_cursor) if next_cursor else None}
    else:
        pages = total_pages or 1
        page = listing.page
        links = {"first": url(page=1), "last": url(page=pages),
                 "next": url(page=page + 1) if page < pages else None,
                 "prev": url(page=min(page - 1, pages)) if page > 1 else None}
    header = ", ".join(f'<{target}>; rel="{rel}"' for rel, target in links.items() if target)
    return links, header


async def _list(request: Request[Any, Any, Any], session: AsyncSession, principal: Principal, issuer_ref: str,
                badge_ref: str | None, listing: Listing) -> Response[dict[str, Any]]:
    issuer, _ = await find_issuer(session, principal, issuer_ref)  # any role lists; no role: 404
    badge = await find_badge(session, issuer, badge_ref) if badge_ref is not None else None
    state = hosting_state(request)
    secret = state.settings.secret_key
    fingerprint = listing.fingerprint(f"{issuer.id}/{badge.id if badge else '*'}")
    where = conditions(listing, issuer, badge, utcnow())
    query = ordered(select(Assertion).options(defer(Assertion.document, raiseload=True),
                                                    defer(Assertion.credential, raiseload=True)), listing)
    total: int | None = None
    if listing.cursor is None:
        total = int(await session.scalar(select(func.count()).select_from(Assertion).where(*where)) or 0)
        query = query.where(*where).offset((listing.page - 1) * listing.per_page).limit(listing.per_page)
        rows = list((await session.scalars(query)).all())
        more = listing.page * listing.per_page < total
    else:
        if listing.cursor:
            where.append(after(listing, *decode_cursor(secret, listing.cursor, fingerprint)))
        rows = list((await session.scalars(query.where(*where).limit(listing.per_page + 1))).all())
        more = len(rows) > listing.per_page
        rows = rows[:listing.per_page]
    next_cursor = None
    if more and rows and listing.sort in CURSOR_SORTS:
        last = rows[-1]
        last_value = last.created_at if listing.sort == "created_at" else last.issued_on
        next_cursor = encode_cursor(secret, fingerprint, last_value, last.id)
    total_pages = None if total is None else max(1, math.ceil(total / listing.per_page))
    links, header = _page_links(f"{state.settings.base_url}{request.url.path}", listing, total_pages, next_cursor)
    metadata = {
        "count": len(rows),
        "per_page": listing.per_page,
        "current_page": listing.page if listing.cursor is None else None,
        "total_count": total,  # null with a cursor: counting would cost O(n)
        "total_pages": total_pages,
        "next_page_url": links["next"],
        "previous_page_url": links.get("prev"),
        "next_cursor": next_cursor,
    }
    body = {"assertions": await _items(session, rows, issuer, state), "metadata": metadata}
    return Response(content=body, headers={"link": header} if header else None)


def _provide_listing(
    principal: Caller,  # authentication (401) comes before the query's validation (400)
    filter_: Annotated[str | None, QueryParameter(name="filter", description=(
        "key::value pairs separated by |; keys: " + ", ".join(FILTER_KEYS)))] = None,
    sort: Annotated[str | None, QueryParameter(description="created_at (default), issued_at, badge_name, "
                                                            "recipient; - prefix: descending")] = None,
    page: Annotated[str | None, QueryParameter(description="1-based page number (offset pagination)")] = None,
    per_page: Annotated[str | None, QueryParameter(
        description=f"1-{MAX_PER_PAGE}, default {DEFAULT_PER_PAGE}")] = None,
    cursor: Annotated[str | None, QueryParameter(
        description="forward cursor (empty: first page); metadata.next_cursor gives the next one")] = None,
    recipient: Annotated[str | None, QueryParameter(description="Badgr: the recipient's identifier")] = None,
    include_revoked: Annotated[str | None,
                           QueryParameter(description="Badgr: false drops revoked ones")] = None,
    include_expired: Annotated[str | None,
                           QueryParameter(description="Badgr: false drops expired ones")] = None,
) -> Listing:
    return parse_listing({"filter": filter_, "sort": sort, "page": page, "per_page": per_page, "cursor": cursor,
                          "recipient": recipient, "include_revoked": include_revoked,
                          "include_expired": include_expired})


_DEPENDENCIES = {"listing": Provide(_provide_listing, sync_to_thread=False)}


@get("/issuers/{issuer_ref:str}/assertions", dependencies=_DEPENDENCIES, tags=["assertions"],
     **api_doc(AssertionPage, errors=(404,)))
async def list_issuer_assertions(request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                                 listing: NamedDependency[Listing],
                                 issuer_ref: FromPath[str]) -> Response[dict[str, Any]]:
    """The issuer's assertions (any role on the issuer; scope issuer:read)."""
    return await _list(request, db_session, principal, issuer_ref, None, listing)


@get("/issuers/{issuer_ref:str}/badges/{badge_ref:str}/assertions", dependencies=_DEPENDENCIES,
     tags=["assertions"], **api_doc(AssertionPage, errors=(404,)))
async def list_badge_assertions(request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                                listing: NamedDependency[Listing], issuer_ref: FromPath[str],
                                badge_ref: FromPath[str]) -> Response[dict[str, Any]]:
    """One badge class's assertions (any role on the issuer; scope issuer:read)."""
    return await _list(request, db_session, principal, issuer_ref, badge_ref, listing)


# Plain handler functions, not a Controller: the badge-level path is shared with the issuing controller's
# POST, and Litestar refuses a second controller on one path (each brings its own OPTIONS handler).
ROUTE_HANDLERS: list[Any] = [list_issuer_assertions, list_badge_assertions]
