"""Credly's issued-badges routes under ``/v1/organizations/{organization_id}/badges``: issue, read, list (with
``filter``, ``sort`` and ``page``), revoke, replace and delete, over the shared store and state machine
(``storage/transitions.py``). Badges issued here wait for their earner (``pending``, with ``accept_badge_url``)."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.auth import Principal
from hosting.api.lookup import EDIT_ROLES, ISSUE_ROLES, find_badge, find_issuer, require_role
from hosting.app.state import HostingState
from hosting.credly.envelope import BodyInvalid, label, ok
from hosting.credly.inputs import award_from, mail_extra, parse_date
from hosting.credly.openapi import (
    LIST_PARAMETERS,
    CredlyBadgeEnvelope,
    CredlyBadgeList,
    CredlyIssueInput,
    CredlyReplaceInput,
    CredlyRevokeInput,
    credly_doc,
)
from hosting.credly.views import badge_json
from hosting.earners.awards import links_for_pending, notification_of
from hosting.earners.tokens import AcceptLinks
from hosting.lib.body import FieldErrors, read_body
from hosting.lib.errors import Conflict, InvalidInput, NotFound
from hosting.lib.ids import is_public_id
from hosting.notify.outbox import queue_notification
from hosting.storage.models import Acceptance, Assertion, AssertionState, BadgeClass, Issuer
from hosting.storage.store import Award, AwardRefused, HostingStore

__all__ = ["ROUTE_HANDLERS", "Caller", "Db", "Hosting", "Store", "accept_links", "failure_message", "find_template",
           "refusal_detail", "view"]

PER_PAGE = 50
# The injected values, named explicitly (Litestar 3 drops inferred dependencies)
Db = NamedDependency[AsyncSession]
Caller = NamedDependency[Principal]
Hosting = NamedDependency[HostingState]
Store = NamedDependency[HostingStore]
_STATES = {"pending": (AssertionState.PENDING,), "accepted": (AssertionState.ACTIVE,),
           "rejected": (AssertionState.REJECTED,), "revoked": (AssertionState.REVOKED, AssertionState.REPLACED)}
_SORTS: dict[str, Any] = {"issued_at": Assertion.issued_on, "created_at": Assertion.created_at,
                          "state_updated_at": Assertion.state_updated_at, "badge_templates[name]": BadgeClass.name}
_FILTERS = ("state", "query", "issuer_earner_id", "badge_template_id", "public",
            *(f"{c}_{end}" for c in ("issued_at", "issued_at_date", "created_at", "updated_at", "state_updated_at")
              for end in ("min", "max")))


def accept_links(hosting: HostingState) -> AcceptLinks:
    return AcceptLinks(hosting.settings.secret_key, days=hosting.settings.accept_token_days)


def failure_message(details: list[dict[str, Any]]) -> str:
    """Credly's message for field problems: ``Validation failed: Issued at can't be blank``."""
    first = details[0]
    return f"Validation failed: {label(str(first['field']))} {first['message']}"


def _invalid(errors: FieldErrors) -> BodyInvalid:
    return BodyInvalid(failure_message(errors.details), details=errors.details)


def refusal_detail(problem: dict[str, Any]) -> dict[str, Any]:
    """A problem of :class:`~hosting.storage.store.AwardRefused` as a Credly field problem (a duplicate is a
    validation failure of ``recipient_email``)."""
    field = {"recipient": "recipient_email", "badge": "badge_template_id"}.get(str(problem.get("field")), "base")
    message = str(problem["message"])
    if message.startswith("duplicate award"):
        message = "has already been issued this badge template with the same issued_at or expires_at date"
    return {"field": field, "message": message, "value": None}


async def view(session: AsyncSession, hosting: HostingState, assertion: Assertion, issuer: Issuer,
                badge: BadgeClass | None = None, token: str | None = None,
                names: tuple[str, str] | None = None) -> dict[str, Any]:
    if badge is None:
        badge = await session.get_one(BadgeClass, assertion.badge_class_id)
    if token is None and assertion.state == AssertionState.PENDING:
        token = await accept_links(hosting).current(session, assertion.id)
    replaced_by = None
    if assertion.replaced_by_id is not None:
        replaced_by = await session.scalar(select(Assertion.public_id).where(Assertion.id == assertion.replaced_by_id))
    accept = hosting.urls.accept(token) if token and assertion.state == AssertionState.PENDING else None
    return badge_json(assertion, badge=badge, issuer=issuer, urls=hosting.urls, accept_url=accept,
                      replaced_by=replaced_by, names=names)


async def _find(session: AsyncSession, issuer: Issuer, badge_id: str) -> Assertion:
    row = await session.scalar(select(Assertion).where(Assertion.public_id == badge_id,
                                                       Assertion.issuer_id == issuer.id)) \
        if is_public_id(badge_id) else None
    if row is None:
        raise NotFound("Badge not found")
    return row


async def find_template(session: AsyncSession, issuer: Issuer, ref: str | None) -> BadgeClass:
    try:
        badge = await find_badge(session, issuer, ref or "")
    except NotFound:
        raise BodyInvalid("Validation failed: Badge template can't be found", details=[
            {"field": "badge_template_id", "message": "can't be found", "value": ref}]) from None
    if badge.archived:
        raise BodyInvalid("Validation failed: Badge template is archived and cannot issue badges", details=[
            {"field": "badge_template_id", "message": "is archived", "value": ref}])
    return badge


async def _award(store: HostingStore, badge: BadgeClass, award: Award,
                 replacing: Assertion | None = None) -> Assertion:
    try:
        (assertion,) = await store.award(badge, [award], replacing=replacing)
    except AwardRefused as exc:  # Credly: a duplicate (same template, recipient, dates) is a validation failure
        details = [refusal_detail(exc.problems[0])]
        raise BodyInvalid(failure_message(details), details=details) from exc
    return assertion


async def _issue_checked(store: HostingStore, issuer: Issuer, template: str | None,
                        award: Award) -> tuple[BadgeClass, Assertion]:
    """Issue ``award`` under the template ``template`` of ``issuer`` (422 when unknown, archived or refused)."""
    badge = await find_template(store.session, issuer, template)
    return badge, await _award(store, badge, award)


_DATE_COLUMNS = {"issued_at": Assertion.issued_on, "issued_at_date": Assertion.issued_on,
                 "created_at": Assertion.created_at, "updated_at": Assertion.updated_at,
                 "state_updated_at": Assertion.state_updated_at}


def _dates(params: dict[str, str], errors: FieldErrors) -> list[ColumnElement[bool]]:
    """``<column>_min``/``<column>_max`` (``YYYY-MM-DD``, whole days in UTC, both inclusive)."""
    out: list[ColumnElement[bool]] = []
    for name, column in _DATE_COLUMNS.items():
        for key, before in ((f"{name}_min", False), (f"{name}_max", True)):
            if key not in params:
                continue
            try:
                day = parse_date(params[key])
            except ValueError as exc:
                errors.add(f"filter.{key}", str(exc), params[key])
                continue
            start = datetime.combine(day, time(), tzinfo=UTC)
            out.append(column < start + timedelta(days=1) if before else column >= start)
    return out


def _filters(text: str, errors: FieldErrors) -> list[ColumnElement[bool]]:
    """``key::value|key::value`` → SQL conditions; an unknown key or a malformed value is a problem."""
    params: dict[str, str] = {}
    for part in filter(None, text.split("|")):
        key, sep, value = part.partition("::")
        if not sep or key not in _FILTERS:
            errors.add("filter", f"unknown filter key (supported: {', '.join(_FILTERS)})", key)
        elif key in params:
            errors.add("filter", "a key given twice", key)
        else:
            params[key] = value
    conditions = _dates(params, errors)
    if "state" in params:
        names = [s.strip() for s in params["state"].split(",")]
        unknown = [s for s in names if s not in _STATES]
        if unknown or not names:
            errors.add("filter.state", f"states among {', '.join(_STATES)}", params["state"])
        else:
            conditions.append(Assertion.state.in_([s for n in names for s in _STATES[n]]))
    if "query" in params:  # recipient email only so far (not template or user names)
        query = params["query"].strip().lower()
        conditions.append(Assertion.recipient_plaintext.contains(query, autoescape=True) if query
                          else Assertion.id.is_not(None))
    if "public" in params:  # public: published (accepted); the others are not shown publicly
        if params["public"] not in ("true", "false"):
            errors.add("filter.public", "true or false", params["public"])
        else:
            shown = Assertion.state == AssertionState.ACTIVE
            conditions.append(shown if params["public"] == "true" else ~shown)
    if "issuer_earner_id" in params:
        conditions.append(Assertion.issuer_earner_id == params["issuer_earner_id"])
    if "badge_template_id" in params:
        ids = [i.strip() for i in params["badge_template_id"].split(",") if i.strip()]
        conditions.append(BadgeClass.public_id.in_(ids))
    return conditions


def _order(text: str, errors: FieldErrors) -> list[Any]:
    order: list[Any] = []
    text = text or "-created_at"
    for key in filter(None, text.split("|")):
        column = _SORTS.get(key.removeprefix("-"))
        if column is None:
            errors.add("sort", f"a sort key among {', '.join(_SORTS)} (optionally with -)", key)
        else:
            order.append(column.desc() if key.startswith("-") else column.asc())
    return [*order, Assertion.id.desc() if text.startswith("-") else Assertion.id.asc()]


class BadgesController(Controller):
    path = "/{organization_id:str}/badges"
    tags = ["credly"]  # noqa: RUF012 - Litestar reads these class attributes
    opt = {"write_scope": "assertion:write"}  # noqa: RUF012 - reads need issuer:read

    @post("/", status_code=201, **credly_doc(CredlyBadgeEnvelope, status=201, body=CredlyIssueInput,
                                             errors=(409, 422)))
    async def issue(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                    hosting: Hosting, store: Store,
                    organization_id: FromPath[str]) -> Response[Any]:
        """Issue a badge (Credly's fields); 201 with ``Location``. It is ``pending`` until the earner accepts
        it through ``accept_badge_url``; 422 with Credly's error shape on invalid fields or duplicates."""
        issuer, role = await find_issuer(db_session, principal, organization_id)
        require_role(principal, role, ISSUE_ROLES, "issuing")
        errors = FieldErrors()
        data = await read_body(request)
        award, template, notify, names = award_from(data, errors, earner_accepts=True)
        if errors.details or award is None:
            raise _invalid(errors)
        badge, assertion = await _issue_checked(store, issuer, template, award)
        made = await links_for_pending(db_session, accept_links(hosting), [assertion])
        if notify:
            kind, extra = notification_of(assertion, made)
            await queue_notification(db_session, kind, assertion, badge=badge, issuer=issuer,
                                     extra={**extra, **mail_extra(data)})
        link = made.get(assertion.id)
        body = await view(db_session, hosting, assertion, issuer, badge, link.token if link else None, names)
        return ok(body, status=201, headers={"location": body["badge_url"]})

    @get("/", **credly_doc(CredlyBadgeList, parameters=LIST_PARAMETERS))
    async def list_badges(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                          hosting: Hosting, organization_id: FromPath[str]) -> Response[Any]:
        """Get Issued Badges: ``filter`` (``key::value|…``), ``sort`` (``key|-key``), ``page`` (50 a page)."""
        issuer, _ = await find_issuer(db_session, principal, organization_id)
        params = request.query_params
        errors = FieldErrors()
        for name in sorted(set(params) - {"filter", "sort", "page"}):
            errors.add(name, "unknown query parameter", None)
        page_text = params.get("page") or "1"
        if not page_text.isdigit() or not 1 <= int(page_text) <= 1_000_000:
            errors.add("page", "a page number from 1", page_text)
        conditions = [Assertion.issuer_id == issuer.id, *_filters(params.get("filter") or "", errors)]
        order = _order(params.get("sort") or "", errors)
        if errors.details:
            raise InvalidInput(f"invalid query: {errors.details[0]['field']} {errors.details[0]['message']}",
                               details=errors.details)
        page = int(page_text)
        base = select(Assertion).join(BadgeClass, BadgeClass.id == Assertion.badge_class_id).where(*conditions)
        total = await db_session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = list(await db_session.scalars(base.order_by(*order).offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
        pages = max(1, math.ceil(total / PER_PAGE))
        url = f"{hosting.urls.base}{request.url.path}"
        query = {k: v for k, v in params.items() if k != "page"}

        def at(number: int) -> str:
            return f"{url}?{urlencode({**query, 'page': str(number)})}"

        data = [await view(db_session, hosting, row, issuer) for row in rows]
        return ok(data, metadata={"count": len(data), "current_page": page, "total_count": total,
                                  "total_pages": pages, "per": PER_PAGE,
                                  "previous_page_url": at(page - 1) if 1 < page <= pages + 1 else None,
                                  "next_page_url": at(page + 1) if page < pages else None})

    @get("/{badge_id:str}", **credly_doc(CredlyBadgeEnvelope))
    async def get_badge(self, db_session: Db, principal: Caller, hosting: Hosting,
                        organization_id: FromPath[str], badge_id: FromPath[str]) -> Response[Any]:
        issuer, _ = await find_issuer(db_session, principal, organization_id)
        return ok(await view(db_session, hosting, await _find(db_session, issuer, badge_id), issuer))

    @put("/{badge_id:str}/revoke", **credly_doc(CredlyBadgeEnvelope, body=CredlyRevokeInput, errors=(409, 422)))
    async def revoke(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                     hosting: Hosting, store: Store, organization_id: FromPath[str],
                     badge_id: FromPath[str]) -> Response[Any]:
        """Revoke with ``reason`` (required) and ``suppress_revoke_notification_email``; the hosted assertion
        answers 410 from now on."""
        issuer, role = await find_issuer(db_session, principal, organization_id)
        require_role(principal, role, EDIT_ROLES, "revoking")
        assertion = await _find(db_session, issuer, badge_id)
        data = await read_body(request)
        errors = FieldErrors()
        for name in sorted(set(data) - {"reason", "suppress_revoke_notification_email"}):
            errors.add(name, "unknown field", None)
        reason = errors.text(data, "reason", required=True, max_len=1000)
        suppress = data.get("suppress_revoke_notification_email", False)
        if not isinstance(suppress, bool):
            errors.add("suppress_revoke_notification_email", "must be true or false", suppress)
        if errors.details or not reason:
            if not errors.details:
                errors.add("reason", "can't be blank", reason)
            raise _invalid(errors)
        await store.revoke(assertion, reason)
        if not suppress:
            badge = await db_session.get_one(BadgeClass, assertion.badge_class_id)
            await queue_notification(db_session, "revoked", assertion, badge=badge, issuer=issuer)
        return ok(await view(db_session, hosting, assertion, issuer))

    @delete("/{badge_id:str}", status_code=200, **credly_doc(CredlyBadgeEnvelope, errors=(409,)))
    async def delete_badge(self, db_session: Db, principal: Caller, hosting: Hosting,
                           store: Store, organization_id: FromPath[str],
                           badge_id: FromPath[str]) -> Response[Any]:
        """Delete: the badge is withdrawn (revoked with reason ``deleted``, no email); its record stays for the
        issuer's revocation list, so the hosted assertion answers 410."""
        issuer, role = await find_issuer(db_session, principal, organization_id)
        require_role(principal, role, EDIT_ROLES, "deleting badges")
        assertion = await _find(db_session, issuer, badge_id)
        await store.revoke(assertion, "deleted", action="withdraw")
        return ok(await view(db_session, hosting, assertion, issuer))

    @post("/{badge_id:str}/replace", status_code=201,
          **credly_doc(CredlyBadgeEnvelope, status=201, body=CredlyReplaceInput, errors=(409, 422)))
    async def replace(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                      hosting: Hosting, store: Store, organization_id: FromPath[str],
                      badge_id: FromPath[str]) -> Response[Any]:
        """A new badge in this one's place, from the fields given only (none inherited but the recipient);
        ``recipient_email`` may change only while the old badge is pending. The old public URL redirects."""
        issuer, role = await find_issuer(db_session, principal, organization_id)
        require_role(principal, role, EDIT_ROLES, "replacing")
        old = await _find(db_session, issuer, badge_id)
        errors = FieldErrors()
        data = await read_body(request)
        award, template, notify, names = award_from(data, errors, earner_accepts=True, recipient_required=False)
        if errors.details or award is None:
            raise _invalid(errors)
        await store.lock_for(old, "replace")
        pending = old.state == AssertionState.PENDING
        if award.recipient and award.recipient != old.recipient_plaintext and not pending:
            raise Conflict("recipient_email can change only while the badge is pending", details=[
                {"field": "recipient_email", "message": "can change only while the badge is pending",
                 "value": award.recipient}])
        award = dataclasses.replace(  # an accepted badge's replacement is accepted; a pending one's waits
            award, recipient=award.recipient or old.recipient_plaintext or old.recipient_identity,
            acceptance=Acceptance.EARNER if pending else Acceptance.ISSUER)
        badge = await find_template(db_session, issuer, template)
        new = await _award(store, badge, award, replacing=old)
        await store.replace(old, new)
        made = await links_for_pending(db_session, accept_links(hosting), [new])
        if notify:
            kind, extra = notification_of(new, made, "replaced")
            await queue_notification(db_session, kind, old if kind == "replaced" else new, badge=badge,
                                     issuer=issuer, extra={**extra, **mail_extra(data)})
        link = made.get(new.id)
        body = await view(db_session, hosting, new, issuer, badge, link.token if link else None, names)
        return ok(body, status=201, headers={"location": body["badge_url"]})


ROUTE_HANDLERS: list[Any] = [BadgesController]
