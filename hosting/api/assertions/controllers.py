"""Issuer API: issue assertions (one, or a batch of up to 10,000 all or nothing) and manage one assertion
(read, revoke, replace, withdraw).

Roles: owners, editors and staff issue and read; owners and editors revoke, replace and withdraw; without a
role on the issuer the assertion does not exist (404). Scopes: ``assertion:write`` for writes, ``issuer:read``
for reads. The rules of the badge class (archived, ``limit``, ``unique``, duplicates) are enforced by
:meth:`hosting.storage.store.HostingStore.award` under a lock on the badge class row.

An assertion is accepted once issued unless it is issued with ``acceptance: earner`` (then ``pending`` until the
earner answers through its accept link, :mod:`hosting.earners`). A replacement keeps the recipient unless the
old assertion is still pending (giving a different one otherwise is a 409). ``DELETE`` withdraws: the assertion
is revoked (reason ``withdrawn`` unless given); revoking works from pending, active and rejected.
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.assertions.inputs import MAX_BATCH, MAX_BATCH_BODY_BYTES, ob3_proof, parse_award, read_batch
from hosting.api.assertions.shapes import (
    AssertionChanged,
    AssertionEnvelope,
    AssertionInput,
    AssertionReplaced,
    BatchInput,
    BatchIssued,
    BatchOptions,
    ReplaceInput,
    RevokeInput,
    WithdrawInput,
)
from hosting.api.assertions.views import assertion_json
from hosting.api.auth import Principal
from hosting.api.deps import Caller, Db, Hosting, Store, Urls
from hosting.api.lookup import (
    EDIT_ROLES,
    ISSUE_ROLES,
    find_badge,
    find_issuer,
    find_issuer_badge,
    require_role,
)
from hosting.api.openapi import api_doc
from hosting.earners.awards import consume_claim_codes, links_for_pending, notification_of
from hosting.earners.tokens import AcceptLinks, NewLink
from hosting.lib.body import FieldErrors, read_body
from hosting.lib.convert import convert, convert_into
from hosting.lib.errors import Conflict, InvalidInput, NotFound, Refused
from hosting.lib.ids import is_public_id
from hosting.lib.urls import PublicUrls
from hosting.notify.outbox import OutboxBatch, queue_notification
from hosting.storage.models import Acceptance, Assertion, AssertionState, BadgeClass, Issuer
from hosting.storage.store import Award, AwardRefused, HostingStore

__all__ = ["ROUTE_HANDLERS", "AssertionController", "IssueController"]

WITHDRAWN = "withdrawn"
_MAX_REASON = 1000


# --- writes --------------------------------------------------------------------------------------------

def _created(body: dict[str, Any], location: str) -> Response[Any]:
    return Response(content=body, status_code=201, headers={"Location": location})


class IssueController(Controller):
    path = "/issuers/{issuer_ref:str}/badges/{badge_ref:str}/assertions"
    tags = ["assertions"]  # noqa: RUF012 - Litestar reads these class attributes
    opt = {"write_scope": "assertion:write"}  # noqa: RUF012 - reads need issuer:read (hosting/api/auth.py)

    @post("/", status_code=201, **api_doc(AssertionChanged, status=201, body=AssertionInput,
                                          errors=(404, 409, 503)))
    async def issue(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                    hosting: Hosting, store: Store, issuer_ref: FromPath[str],
                    badge_ref: FromPath[str]) -> Response[Any]:
        """Issue one assertion; 201 with ``Location:`` its public URL. 409 when the badge class is archived,
        its ``limit`` is reached, it is ``unique`` and already held, or the award duplicates an active one.
        With ``acceptance: earner`` (or the badge class's default) it is ``pending`` — unpublished until the
        earner accepts through ``acceptUrl`` (in this response, and in the email)."""
        issuer, role, badge = await find_issuer_badge(db_session, principal, issuer_ref, badge_ref)
        require_role(principal, role, ISSUE_ROLES, "issuing")
        given = convert(await read_body(request), AssertionInput)
        errors = FieldErrors()
        award, notify = parse_award(given, errors)
        proof = ob3_proof(given, None, errors)
        errors.raise_if_any()
        assert award is not None
        (award,) = await consume_claim_codes(db_session, badge, [dataclasses.replace(award, proof=proof,
                                                                                  created_by=principal.email)])
        (assertion,) = await store.award(badge, [award])
        made = await links_for_pending(db_session, hosting.accept_links, [assertion])
        if notify:
            kind, extra = notification_of(assertion, made)
            await queue_notification(db_session, kind, assertion, badge=badge, issuer=issuer, extra=extra)
        body = assertion_json(assertion, badge=badge, issuer=issuer, replaced_by=None, urls=store.urls,
                              accept_token=_token(made, assertion))
        return _created({"status": "created", "assertion": body}, body["publicUrl"])

    @post("/batch", status_code=201, request_max_body_size=MAX_BATCH_BODY_BYTES,
          **api_doc(BatchIssued, status=201, body=BatchInput, media_types=("application/json",),
                    errors=(404, 409, 422, 503)))
    async def issue_batch(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                          hosting: Hosting, store: Store, issuer_ref: FromPath[str],
                          badge_ref: FromPath[str]) -> dict[str, Any]:
        """Issue up to 10,000 assertions in one transaction, all or nothing: any invalid or refused item
        answers 422 with ``errors`` (each with its ``index``) and ``error_index`` (the first), storing nothing.
        ``notify``, ``allowDuplicateAwards`` and ``verification`` at the top level are defaults for the items."""
        issuer, role, badge = await find_issuer_badge(db_session, principal, issuer_ref, badge_ref)
        require_role(principal, role, ISSUE_ROLES, "issuing")
        data = await read_batch(request)
        items = data.pop("assertions", None)
        top = FieldErrors()
        defaults = convert_into(data, BatchOptions, top)
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
            top.add("assertions", f"a list of 1 to {MAX_BATCH} assertions", None)
        top.raise_if_any()
        assert isinstance(items, list) and defaults is not None
        awards: list[Award] = []
        notify_flags: list[bool] = []
        problems: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            errors = FieldErrors()
            body = convert_into(item, AssertionInput, errors) if isinstance(item, dict) else None
            if not isinstance(item, dict):
                errors.add("assertion", "must be an object", None)
            award = None
            notify = True
            if body is not None:
                proof_errors = FieldErrors()  # reported after the award's own problems
                proof = ob3_proof(body, defaults, proof_errors)
                award, notify = parse_award(body, errors, defaults=defaults, proof=proof,
                                            created_by=principal.email)
                errors.details.extend(proof_errors.details)
            problems.extend({"index": index, **detail} for detail in errors.details)
            if award is not None and not errors.details:
                awards.append(award)
                notify_flags.append(notify)
        if problems:
            raise _batch_refused(problems, "invalid assertions in the batch; nothing was issued")
        awards = await consume_claim_codes(db_session, badge, awards)
        try:
            issued = await store.award(badge, awards)
        except AwardRefused as exc:
            raise _batch_refused(exc.problems, "the badge class's rules refuse assertions in the batch; "
                                               "nothing was issued") from exc
        made = await links_for_pending(db_session, hosting.accept_links, issued)
        outbox = OutboxBatch(db_session)
        for assertion, notify in zip(issued, notify_flags, strict=True):
            if notify:
                kind, extra = notification_of(assertion, made)
                await queue_notification(cast(AsyncSession, outbox), kind, assertion, badge=badge,
                                         issuer=issuer, extra=extra)
        await outbox.write()
        return {"status": "created",
                "assertions": [assertion_json(a, badge=badge, issuer=issuer, replaced_by=None, urls=store.urls,
                                              accept_token=_token(made, a)) for a in issued],
                "metadata": {"count": len(issued)}}


def _batch_refused(problems: list[dict[str, Any]], message: str) -> Refused:
    return Refused(f"{message} (first problem at index {problems[0]['index']}: "
                               f"{problems[0]['field']}: {problems[0]['message']})",
                               errors=problems, error_index=problems[0]["index"])


async def _find_assertion(session: AsyncSession, principal: Principal,
                          ref: str) -> tuple[Assertion, Issuer, str | None]:
    """The assertion ``ref`` (public id) with its issuer and the caller's role; 404 without a role."""
    if not is_public_id(ref):
        raise NotFound("no such assertion")
    row = (await session.execute(
        select(Assertion, Issuer.public_id).join(Issuer, Issuer.id == Assertion.issuer_id)
        .where(Assertion.public_id == ref))).first()
    if row is None:
        raise NotFound("no such assertion")
    assertion, issuer_public_id = row
    try:
        issuer, role = await find_issuer(session, principal, issuer_public_id)
    except NotFound:
        raise NotFound("no such assertion") from None
    return assertion, issuer, role


async def _view(session: AsyncSession, assertion: Assertion, issuer: Issuer, urls: PublicUrls,
                links: AcceptLinks | None = None) -> dict[str, Any]:
    badge = await session.get_one(BadgeClass, assertion.badge_class_id)
    replaced_by = None
    if assertion.replaced_by_id is not None:
        replaced_by = await session.scalar(
            select(Assertion.public_id).where(Assertion.id == assertion.replaced_by_id))
    token = None
    if links is not None and assertion.state == AssertionState.PENDING:
        token = await links.current(session, assertion.id)
    return assertion_json(assertion, badge=badge, issuer=issuer, replaced_by=replaced_by, urls=urls,
                          accept_token=token)


def _token(made: dict[int, NewLink], assertion: Assertion) -> str | None:
    link = made.get(assertion.id)
    return link.token if link is not None else None


class AssertionController(Controller):
    path = "/assertions"
    tags = ["assertions"]  # noqa: RUF012 - Litestar reads these class attributes
    opt = {"write_scope": "assertion:write"}  # noqa: RUF012 - reads need issuer:read (hosting/api/auth.py)

    @get("/{assertion_ref:str}", **api_doc(AssertionEnvelope, errors=(404,)))
    async def get_assertion(self, db_session: Db, principal: Caller, hosting: Hosting, urls: Urls,
                            assertion_ref: FromPath[str]) -> dict[str, Any]:
        """The private view: recipient in plaintext, state (and when it changed), the replacing assertion's id,
        and for a pending one its ``acceptUrl`` (while the link is unused and unexpired)."""
        assertion, issuer, _role = await _find_assertion(db_session, principal, assertion_ref)
        return {"assertion": await _view(db_session, assertion, issuer, urls, hosting.accept_links)}

    async def _revoke(self, request: Request[Any, Any, Any], db_session: AsyncSession, principal: Principal,
                      store: HostingStore, assertion_ref: str, *,
                      withdraw: bool) -> dict[str, Any]:
        assertion, issuer, role = await _find_assertion(db_session, principal, assertion_ref)
        action = "withdrawn" if withdraw else "revoked"
        require_role(principal, role, EDIT_ROLES, "withdrawing" if withdraw else "revoking")
        data = await read_body(request)
        body: RevokeInput | WithdrawInput = convert(data, WithdrawInput) if withdraw else convert(data, RevokeInput)
        reason = body.reason or None
        if (reason is None and not withdraw) or len(reason or "") > _MAX_REASON:
            raise InvalidInput("invalid fields: reason", details=[
                {"field": "reason", "message": f"1 to {_MAX_REASON} characters", "value": (reason or "")[:200]}])
        notify = body.notify if body.notify is not None else not withdraw
        await store.revoke(assertion, reason or WITHDRAWN, action="withdraw" if withdraw else "revoke")
        if notify:
            badge = await db_session.get_one(BadgeClass, assertion.badge_class_id)
            await queue_notification(db_session, "revoked", assertion, badge=badge, issuer=issuer)
        return {"status": action, "assertion": await _view(db_session, assertion, issuer, store.urls)}

    @post("/{assertion_ref:str}/revoke", status_code=200,
          **api_doc(AssertionChanged, body=RevokeInput, errors=(404, 409)))
    async def revoke(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller, store: Store,
                     assertion_ref: FromPath[str]) -> dict[str, Any]:
        """Revoke (``reason`` required, ``notify`` default true): the public URL answers 410 and the issuer's
        revocation list names it."""
        return await self._revoke(request, db_session, principal, store, assertion_ref,
                                  withdraw=False)

    @delete("/{assertion_ref:str}", status_code=200,
            **api_doc(AssertionChanged, body=WithdrawInput, body_required=False, errors=(404, 409)))
    async def withdraw(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller, store: Store,
                       assertion_ref: FromPath[str]) -> dict[str, Any]:
        """Withdraw (Badgr's DELETE): revoked with reason ``withdrawn`` (or the ``reason`` given); no email
        unless ``notify`` is true. The public URL answers 410."""
        return await self._revoke(request, db_session, principal, store, assertion_ref,
                                  withdraw=True)

    @post("/{assertion_ref:str}/replace", status_code=201,
          **api_doc(AssertionReplaced, status=201, body=ReplaceInput, errors=(404, 409, 503)))
    async def replace(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                      hosting: Hosting, store: Store, assertion_ref: FromPath[str]) -> Response[Any]:
        """Issue a new assertion in this one's place (Credly): the fields given, nothing else copied but the
        recipient (identity, name, earner id, locale), which can change only while the old one is pending.
        A pending assertion's replacement is pending too unless ``acceptance`` says otherwise. ``badge`` may
        name another badge class of the issuer. The old public URL then redirects (301)."""
        old, issuer, role = await _find_assertion(db_session, principal, assertion_ref)
        require_role(principal, role, EDIT_ROLES, "replacing")
        data = convert(await read_body(request), ReplaceInput)
        badge_ref = data.badge
        errors = FieldErrors()
        award, notify = parse_award(data, errors, recipient_required=False)
        proof = ob3_proof(data, None, errors)
        errors.raise_if_any()
        assert award is not None
        await store.lock_for(old, "replace")  # the loser of a race stops here, before issuing anything
        if old.recipient_plaintext is None and old.recipient_hashed:
            raise Conflict("the replaced assertion's recipient is only known hashed", details=[
                {"field": "recipient", "message": "unknown plaintext", "value": None}])
        given = data.recipient is not None or data.recipient_email is not None
        pending = old.state == AssertionState.PENDING
        changed = given and ((award.recipient_type, award.recipient)
                             != (old.recipient_type, old.recipient_plaintext))
        if changed and not pending:
            raise Conflict(
                "the recipient cannot change once the assertion is accepted (only while it is pending); "
                "revoke it and issue a new one instead",
                details=[{"field": "recipient", "message": "differs from the replaced assertion's",
                          "value": award.recipient}])
        if not changed:
            award = _carry_recipient(award, old, hashed_given=given)
        if award.acceptance is None:  # a pending assertion's replacement waits for its earner too
            award = dataclasses.replace(award, acceptance=Acceptance.EARNER if pending else Acceptance.ISSUER)
        badge = (await find_badge(db_session, issuer, badge_ref) if badge_ref
                 else await db_session.get_one(BadgeClass, old.badge_class_id))
        (award,) = await consume_claim_codes(db_session, badge, [dataclasses.replace(award, proof=proof,
                                                                                  created_by=principal.email)])
        (new,) = await store.award(badge, [award], replacing=old)
        await store.replace(old, new)
        made = await links_for_pending(db_session, hosting.accept_links, [new])
        if notify:
            kind, extra = notification_of(new, made, "replaced")
            await queue_notification(db_session, kind, old if kind == "replaced" else new, badge=badge,
                                     issuer=issuer, extra=extra)
        body: dict[str, Any] = {"status": "replaced",
                "assertion": assertion_json(new, badge=badge, issuer=issuer, replaced_by=None, urls=store.urls,
                                            accept_token=_token(made, new)),
                "replaced": await _view(db_session, old, issuer, store.urls)}
        return _created(body, body["assertion"]["publicUrl"])


def _carry_recipient(award: Award, old: Assertion, *, hashed_given: bool) -> Award:
    """The replacement's recipient: the old one's identity, and its name, earner id and locale unless given."""
    return dataclasses.replace(
        award, recipient=old.recipient_plaintext or old.recipient_identity, recipient_type=old.recipient_type,
        hashed=award.hashed if hashed_given else old.recipient_hashed,
        recipient_name=award.recipient_name or old.recipient_name,
        issuer_earner_id=award.issuer_earner_id or old.issuer_earner_id, locale=award.locale or old.locale)


ROUTE_HANDLERS: list[Any] = [IssueController, AssertionController]
