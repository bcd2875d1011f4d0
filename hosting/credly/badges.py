"""Credly's issued-badges routes under ``/v1/organizations/{organization_id}/badges``: issue, read, list (with
``filter``, ``sort`` and ``page``), revoke, replace and delete, over the shared store and state machine
(``storage/transitions.py``). Badges issued here wait for their earner (``pending``, with ``accept_badge_url``)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, time
from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath
from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from hosting.api.deps import Caller, Db, Hosting, Store
from hosting.api.lookup import EDIT_ROLES, ISSUE_ROLES, find_badge, find_issuer, require_role
from hosting.app.state import HostingState
from hosting.credly import paging
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
from hosting.lib.body import FieldErrors, read_body
from hosting.lib.errors import Conflict, NotFound
from hosting.lib.ids import is_public_id
from hosting.notify.outbox import queue_notification
from hosting.storage.models import Acceptance, Assertion, AssertionState, BadgeClass, Issuer
from hosting.storage.store import Award, AwardRefused, HostingStore

__all__ = ["ROUTE_HANDLERS", "failure_message", "find_template", "refusal_detail",
           "template_award", "view", "views"]

_STATES = {"pending": (AssertionState.PENDING,), "accepted": (AssertionState.ACTIVE,),
           "rejected": (AssertionState.REJECTED,), "revoked": (AssertionState.REVOKED, AssertionState.REPLACED)}
_TEMPLATE_FILTERS = ("badge_templates[reporting_tags]", "badge_templates[skills]", "badge_templates[owner_id]")
_SORTS: dict[str, Any] = {"issued_at": Assertion.issued_on, "created_at": Assertion.created_at,
                          "state_updated_at": Assertion.state_updated_at,
                          "badge_templates[name]": paging.folded(BadgeClass.name),
                          "users[first_name]": paging.folded(Assertion.recipient_first_name),
                          "users[last_name]": paging.folded(Assertion.recipient_last_name)}
_FILTERS = ("state", "query", "issuer_earner_id", "badge_template_id", "public", "user_id", "issuer_id",
            *_TEMPLATE_FILTERS,
            *(f"{c}_{end}" for c in ("issued_at", "issued_at_date", "created_at", "updated_at", "state_updated_at")
              for end in ("min", "max")))


# A listed badge needs none of the served bytes (the hosted document, the signed credential)
LEAN = (defer(Assertion.document, raiseload=True), defer(Assertion.credential, raiseload=True),
        defer(Assertion.jws, raiseload=True))


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
        message = "has already been issued this badge template with the same issued_at or expires_at"
    return {"field": field, "message": message, "value": None}


async def views(session: AsyncSession, hosting: HostingState, rows: list[Assertion], issuer: Issuer,
                badge: BadgeClass | None = None, token: str | None = None,
                names: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    """Credly's badge objects of ``rows`` (badges of ``issuer``) in three batched queries whatever their number:
    their templates, accept links and replacements. ``badge``/``token``/``names``: known already (one row)."""
    templates = {badge.id: badge} if badge is not None else {}
    wanted = {row.badge_class_id for row in rows} - set(templates)
    if wanted:
        templates.update((b.id, b) for b in await session.scalars(select(BadgeClass).where(BadgeClass.id.in_(wanted))))
    pending = [row.id for row in rows if row.state == AssertionState.PENDING]
    tokens = {pending[0]: token} if token is not None and pending else \
        await hosting.accept_links.current_many(session, pending)
    replaced = {row.replaced_by_id for row in rows if row.replaced_by_id is not None}
    successors: dict[int, str] = {}
    if replaced:
        found = await session.execute(select(Assertion.id, Assertion.public_id).where(Assertion.id.in_(replaced)))
        successors = {row_id: public_id for row_id, public_id in found}
    out = []
    for row in rows:
        link = tokens.get(row.id) if row.state == AssertionState.PENDING else None
        out.append(badge_json(row, badge=templates[row.badge_class_id], issuer=issuer, urls=hosting.urls,
                              accept_url=hosting.urls.accept(link) if link else None,
                              replaced_by=successors.get(row.replaced_by_id) if row.replaced_by_id else None,
                              names=names))
    return out


async def view(session: AsyncSession, hosting: HostingState, assertion: Assertion, issuer: Issuer,
               badge: BadgeClass | None = None, token: str | None = None,
               names: tuple[str, str] | None = None) -> dict[str, Any]:
    """One badge as :func:`views` makes it."""
    (body,) = await views(session, hosting, [assertion], issuer, badge, token, names)
    return body


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


def template_award(badge: BadgeClass, award: Award) -> Award:
    """``award`` under the template's setting ``badges_issued_as_accepted`` (the badge class's acceptance is the
    issuer's): its badges start accepted, not pending."""
    return dataclasses.replace(award, acceptance=Acceptance.ISSUER) if badge.acceptance == Acceptance.ISSUER \
        else award


async def _award(store: HostingStore, badge: BadgeClass, award: Award,
                 replacing: Assertion | None = None) -> Assertion:
    try:
        (assertion,) = await store.award(badge, [template_award(badge, award)], replacing=replacing)
    except AwardRefused as exc:  # Credly: a duplicate (same template, recipient, dates) is a validation failure
        details = [refusal_detail(exc.problems[0])]
        raise BodyInvalid(failure_message(details), details=details) from exc
    return assertion


async def _issue_checked(store: HostingStore, issuer: Issuer, template: str | None,
                        award: Award) -> tuple[BadgeClass, Assertion]:
    """Issue ``award`` under the template ``template`` of ``issuer`` (422 when unknown, archived or refused)."""
    badge = await find_template(store.session, issuer, template)
    return badge, await _award(store, badge, award)


_DATE_COLUMNS = {"issued_at": Assertion.issued_on, "created_at": Assertion.created_at,
                 "updated_at": Assertion.updated_at, "state_updated_at": Assertion.state_updated_at}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _end_of(day: date) -> datetime:
    """The day's last microsecond in UTC (no next day to compare with: 9999-12-31 has none)."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def _issued_date(day: date, before: bool) -> ColumnElement[bool]:
    """``issued_at_date_min``/``_max``: the time zone-agnostic issue day (as written at issue; the UTC day of a
    badge issued through another API)."""
    given = Assertion.issued_date <= day if before else Assertion.issued_date >= day
    utc = Assertion.issued_on <= _end_of(day) if before else Assertion.issued_on >= _start_of(day)
    return or_(and_(Assertion.issued_date.is_not(None), given), and_(Assertion.issued_date.is_(None), utc))


def _dates(params: dict[str, str], errors: FieldErrors) -> list[ColumnElement[bool]]:
    """``<column>_min``/``<column>_max`` (``YYYY-MM-DD``, whole days in UTC, both inclusive) and
    ``issued_at_date_min``/``_max``."""
    out: list[ColumnElement[bool]] = []
    for name in (*_DATE_COLUMNS, "issued_at_date"):
        for key, before in ((f"{name}_min", False), (f"{name}_max", True)):
            if key not in params:
                continue
            try:
                day = parse_date(params[key])
            except ValueError as exc:
                errors.add(f"filter.{key}", str(exc), params[key])
                continue
            if name == "issued_at_date":
                out.append(_issued_date(day, before))
                continue
            column = _DATE_COLUMNS[name]
            out.append(column <= _end_of(day) if before else column >= _start_of(day))
    return out


def _has_any(column: Any, words: list[str]) -> ColumnElement[bool]:
    """The JSON list ``column`` holds one of ``words`` (ASCII case ignored). Matched in the stored JSON text,
    where each element is its JSON string (quotes, escapes and all), the same on SQLite and PostgreSQL."""
    text = func.lower(cast(column, String))
    return or_(*(text.contains(json.dumps(word).lower(), autoescape=True) for word in words))


def _template_filters(params: dict[str, str], errors: FieldErrors) -> list[ColumnElement[bool]]:
    """``badge_templates[skills]`` and ``[reporting_tags]`` (any of a comma-separated list), and
    ``badge_templates[owner_id]`` (the owning organisations' ids, comma-separated)."""
    out: list[ColumnElement[bool]] = []
    for key in _TEMPLATE_FILTERS:
        if key not in params:
            continue
        words = list(dict.fromkeys(w.strip() for w in params[key].split(",") if w.strip()))
        if not words or len(words) > 100:
            errors.add(f"filter.{key}", "a comma-separated list of 1 to 100 values", params[key])
        elif key == "badge_templates[owner_id]":
            out.append(BadgeClass.issuer_id.in_(select(Issuer.id).where(Issuer.public_id.in_(words))))
        else:
            out.append(_has_any(BadgeClass.tags if key.endswith("[skills]") else BadgeClass.reporting_tags, words))
    return out


def _query_filter(value: str, errors: FieldErrors) -> ColumnElement[bool] | None:
    """``query``: part of the template's name, the earner's name (as given, or first and last) or email address;
    ``@example.com`` is every address at that domain, ``@*.example.com`` every address at one of its
    subdomains (case-insensitive)."""
    text = value.strip().lower()
    if not text:
        return None
    email = func.lower(Assertion.recipient_plaintext)
    if text.startswith("@*."):
        domain = text.removeprefix("@*.")
        if not domain or "@" in domain or "*" in domain:
            errors.add("filter.query", "a domain after @*.", value)
            return None
        return email.like(f"%@%.{_escaped(domain)}", escape="\\")
    if text.startswith("@") and "*" not in text and "@" not in text[1:]:
        return email.endswith(text, autoescape=True)
    full = func.lower(func.coalesce(Assertion.recipient_first_name, "") + " "
                      + func.coalesce(Assertion.recipient_last_name, ""))
    return or_(func.lower(BadgeClass.name).contains(text, autoescape=True),
               func.lower(Assertion.recipient_name).contains(text, autoescape=True),
               full.contains(text, autoescape=True), email.contains(text, autoescape=True))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _user_id_filter(value: str) -> ColumnElement[bool]:
    """``user_id``: badges issued with that ``user_id``."""
    return Assertion.external_user_id == value.strip()


def _listed(value: str) -> list[str]:
    """The values of a comma-separated list, blanks left out."""
    return [item.strip() for item in value.split(",") if item.strip()]


def _issuer_id_filter(value: str) -> ColumnElement[bool]:
    """``issuer_id``: badges issued by one of these organisations (comma-separated ids or slugs); within an
    organisation's list, all of its badges or none."""
    refs = _listed(value)
    named = select(Issuer.id).where(or_(Issuer.public_id.in_(refs), Issuer.slug.in_(refs)))
    return Assertion.issuer_id.in_(named)


def _filters(text: str, errors: FieldErrors) -> list[ColumnElement[bool]]:
    """``key::value|key::value`` → SQL conditions; an unknown key or a malformed value is a problem."""
    params: dict[str, str] = {}
    for part in filter(None, text.split("|")):
        key, sep, value = part.partition("::")
        if not sep or key not in _FILTERS:
            errors.add("filter", f"unknown filter key (supported: {', '.join(_FILTERS)})", key)
        elif key in params:
            errors.add("filter", "a key given twice", key)
        elif not value.strip():  # ``user_id::`` would match nothing, ``query::`` everything: neither was meant
            errors.add(f"filter.{key}", "can't be blank", value)
        else:
            params[key] = value
    conditions = [*_dates(params, errors), *_template_filters(params, errors)]
    if "state" in params:
        names = [s.strip() for s in params["state"].split(",")]
        unknown = [s for s in names if s not in _STATES]
        if unknown or not names:
            errors.add("filter.state", f"states among {', '.join(_STATES)}", params["state"])
        else:
            conditions.append(Assertion.state.in_([s for n in names for s in _STATES[n]]))
    if "query" in params and (query := _query_filter(params["query"], errors)) is not None:
        conditions.append(query)
    if "user_id" in params:
        conditions.append(_user_id_filter(params["user_id"]))
    for key in ("issuer_id", "badge_template_id"):
        if key in params and not _listed(params[key]):
            errors.add(f"filter.{key}", "a comma-separated list of ids", params[key])
    if "issuer_id" in params:
        conditions.append(_issuer_id_filter(params["issuer_id"]))
    if "public" in params:  # public: published (accepted); the others are not shown publicly
        if params["public"] not in ("true", "false"):
            errors.add("filter.public", "true or false", params["public"])
        else:
            shown = Assertion.state == AssertionState.ACTIVE
            conditions.append(shown if params["public"] == "true" else ~shown)
    if "issuer_earner_id" in params:
        conditions.append(Assertion.issuer_earner_id == params["issuer_earner_id"])
    if "badge_template_id" in params:
        conditions.append(BadgeClass.public_id.in_(_listed(params["badge_template_id"])))
    return conditions


def _order(text: str, errors: FieldErrors) -> list[Any]:
    text = text or "-created_at"
    order = paging.sort_order(text, _SORTS, errors,
                              nulls_last=("users[first_name]", "users[last_name]", "state_updated_at"))
    return [*order, Assertion.id.desc() if text.startswith("-") else Assertion.id.asc()]


class BadgesController(Controller):
    path = "/{organization_id:str}/badges"
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
        award, template, notify, names = award_from(data, errors, earner_accepts=True, created_by=principal.email)
        if errors.details or award is None:
            raise _invalid(errors)
        badge, assertion = await _issue_checked(store, issuer, template, award)
        made = await links_for_pending(db_session, hosting.accept_links, [assertion])
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
        """Get Issued Badges: ``filter`` (``key::value|…``), ``sort`` (``key|-key``), ``page``, ``per`` (1 to 50
        a page, 50 by default). A page costs a fixed number of queries (see :func:`views`)."""
        issuer, _ = await find_issuer(db_session, principal, organization_id)
        errors = FieldErrors()
        params = paging.query_parameters(request.query_params, ("filter", "sort", "page", "per"), errors)
        page, per = paging.page_and_per(params, errors)
        conditions = [Assertion.issuer_id == issuer.id, *_filters(params.get("filter") or "", errors)]
        order = _order(params.get("sort") or "", errors)
        paging.check_query(errors)
        base = select(Assertion).join(BadgeClass, BadgeClass.id == Assertion.badge_class_id).where(*conditions)
        total = await db_session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = list(await db_session.scalars(base.options(*LEAN).order_by(*order).offset((page - 1) * per)
                                             .limit(per)))
        data = await views(db_session, hosting, rows, issuer)
        return ok(data, metadata=paging.page_metadata(request, hosting, page=page, per=per, total=total,
                                                      count=len(data)))

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
        """A new badge in this one's place, from the fields given only (none inherited but the recipient: its
        ``recipient_email`` and ``user_id``, which may change only while the old badge is pending). The old
        public URL redirects."""
        issuer, role = await find_issuer(db_session, principal, organization_id)
        require_role(principal, role, EDIT_ROLES, "replacing")
        old = await _find(db_session, issuer, badge_id)
        errors = FieldErrors()
        data = await read_body(request)
        award, template, notify, names = award_from(data, errors, earner_accepts=True, recipient_required=False,
                                                    created_by=old.created_by or principal.email)
        if errors.details or award is None:
            raise _invalid(errors)
        await store.lock_for(old, "replace")
        pending = old.state == AssertionState.PENDING
        for field, given, before in (("recipient_email", award.recipient, old.recipient_plaintext),
                                     ("user_id", award.external_user_id, old.external_user_id)):
            if given and given != before and not pending:
                raise Conflict(f"{field} can change only while the badge is pending", details=[
                    {"field": field, "message": "can change only while the badge is pending", "value": given}])
        award = dataclasses.replace(  # an accepted badge's replacement is accepted; a pending one's waits
            award, recipient=award.recipient or old.recipient_plaintext or old.recipient_identity,
            external_user_id=award.external_user_id or old.external_user_id,
            acceptance=Acceptance.EARNER if pending else Acceptance.ISSUER)
        badge = await find_template(db_session, issuer, template)
        new = await _award(store, badge, award, replacing=old)
        await store.replace(old, new)
        made = await links_for_pending(db_session, hosting.accept_links, [new])
        if notify:
            kind, extra = notification_of(new, made, "replaced")
            await queue_notification(db_session, kind, old if kind == "replaced" else new, badge=badge,
                                     issuer=issuer, extra={**extra, **mail_extra(data)})
        link = made.get(new.id)
        body = await view(db_session, hosting, new, issuer, badge, link.token if link else None, names)
        return ok(body, status=201, headers={"location": body["badge_url"]})


ROUTE_HANDLERS: list[Any] = [BadgesController]
