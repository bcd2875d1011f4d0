"""Badgr v2 assertions: list and issue under ``/v2/issuers/{id}/assertions`` and
``/v2/badgeclasses/{id}/assertions``; read, update (a replacement), revoke one (DELETE) or many
(``POST /v2/assertions/revoke``). Issuing goes through :meth:`HostingStore.award` (the badge class's rules under
its row lock); revoking and replacing through the state machine (``storage/transitions.py``).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.lookup import EDIT_ROLES, ISSUE_ROLES, find_badge, find_issuer, require_role
from hosting.app.state import HostingState
from hosting.badgr.auth import BadgrCall
from hosting.badgr.badgeclasses import find_badgeclass
from hosting.badgr.envelope import envelope, ok
from hosting.badgr.inputs import award_from, flag, moment
from hosting.badgr.lookup import find_in_issuer
from hosting.badgr.views import assertion_entity, creators
from hosting.earners.awards import links_for_pending, notification_of
from hosting.lib.body import FieldErrors, read_body
from hosting.lib.errors import InvalidInput, Refused
from hosting.lib.numbers import ascii_int
from hosting.lib.times import iso
from hosting.notify.outbox import queue_notification
from hosting.storage.models import Acceptance, Assertion, AssertionState, BadgeClass, Issuer, utcnow
from hosting.storage.store import Award, AwardRefused

__all__ = ["ROUTE_HANDLERS"]

_ISSUER = {"badgr_scope": "issuer"}
MAX_BATCH = 1000
_MAX_BATCH_BYTES = 8 * 1024 * 1024
DEFAULT_NUM, MAX_NUM = 100, 500


# --- listing ---------------------------------------------------------------------------------------------

def _cursor(row: Assertion) -> str:
    return base64.urlsafe_b64encode(f"{iso(row.created_at)}|{row.id}".encode()).decode().rstrip("=")


def _position(value: str, name: str) -> tuple[datetime, int]:
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        stamp, _, ident = text.partition("|")
        row_id = ascii_int(ident)
        if row_id is None:
            raise ValueError(ident)
        return datetime.fromisoformat(stamp), row_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput(f"{name}: not a cursor from a Link header", details=[
            {"field": name, "message": "malformed cursor", "value": value[:100]}]) from None


def _older(moment_: datetime, row_id: int) -> ColumnElement[bool]:
    return or_(Assertion.created_at < moment_, and_(Assertion.created_at == moment_, Assertion.id < row_id))


def _newer(moment_: datetime, row_id: int) -> ColumnElement[bool]:
    return or_(Assertion.created_at > moment_, and_(Assertion.created_at == moment_, Assertion.id > row_id))


async def _listing(request: Request[Any, Any, Any], session: AsyncSession, hosting: HostingState,
                   where: ColumnElement[bool]) -> Response[Any]:
    """Newest first; ``num`` per page (default 100, at most 500); ``Link`` carries the cursors of the next
    (older, ``after``) and previous (newer, ``before``) pages."""
    params = request.query_params
    errors = FieldErrors()
    include_expired = flag(dict(params), "include_expired", False, errors)
    include_revoked = flag(dict(params), "include_revoked", False, errors)
    num_text = params.get("num") or str(DEFAULT_NUM)
    num = ascii_int(num_text) or 0
    if not 1 <= num <= MAX_NUM:
        errors.add("num", f"an integer from 1 to {MAX_NUM}", num_text)
    if params.get("after") and params.get("before"):
        errors.add("before", "give after or before, not both", None)
    errors.raise_if_any()
    conditions = [where]
    if not include_revoked:  # pending ones (not yet accepted) are listed too, as Badgr's "Unaccepted"
        conditions.append(Assertion.state.in_((AssertionState.ACTIVE, AssertionState.PENDING)))
    if not include_expired:
        conditions.append(or_(Assertion.expires.is_(None), Assertion.expires > utcnow()))
    recipient = (params.get("recipient") or "").strip()
    if recipient:
        conditions.append(Assertion.recipient_plaintext == (recipient.lower() if "@" in recipient else recipient))
    backwards = bool(params.get("before"))
    if params.get("after"):
        conditions.append(_older(*_position(str(params["after"]), "after")))
    if backwards:
        conditions.append(_newer(*_position(str(params["before"]), "before")))
    order = (Assertion.created_at.asc(), Assertion.id.asc()) if backwards \
        else (Assertion.created_at.desc(), Assertion.id.desc())
    rows = list((await session.execute(
        select(Assertion, BadgeClass.public_id, Issuer.public_id)
        .join(BadgeClass, BadgeClass.id == Assertion.badge_class_id).join(Issuer, Issuer.id == Assertion.issuer_id)
        .where(*conditions).order_by(*order).limit(num + 1))).all())
    more = len(rows) > num
    rows = rows[:num]
    if backwards:
        rows.reverse()
    has_next, has_prev = (True, more) if backwards else (more, bool(params.get("after")))
    links = []
    query = {k: v for k, v in params.items() if k not in ("after", "before")} | {"num": str(num)}
    base = f"{hosting.settings.base_url}{request.url.path}"
    if rows and has_next:
        links.append(f'<{base}?{urlencode({**query, "after": _cursor(rows[-1][0])})}>; rel="next"')
    if rows and has_prev:
        links.append(f'<{base}?{urlencode({**query, "before": _cursor(rows[0][0])})}>; rel="prev"')
    headers = {"link": ", ".join(links)} if links else {}
    by = await creators(session, (a.created_by for a, _, _ in rows))
    return envelope([assertion_entity(a, b, i, hosting.urls, by) for a, b, i in rows], headers=headers)


# --- issuing ---------------------------------------------------------------------------------------------

async def _read_issue_body(request: Request[Any, Any, Any]) -> Any:
    """One assertion (an object), or a batch: a JSON list or ``{"assertions": [...]}``."""
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype in ("application/json", "") or ctype.endswith("+json"):
        raw = await request.body()
        if len(raw) > _MAX_BATCH_BYTES:
            raise InvalidInput(f"body larger than {_MAX_BATCH_BYTES} bytes")
        try:
            data = json.loads(raw or b"{}")
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise InvalidInput(f"malformed JSON: {exc}") from exc
        if isinstance(data, dict) and isinstance(data.get("assertions"), list):
            return data["assertions"]
        return data
    return await read_body(request)


async def _issue(request: Request[Any, Any, Any], v2: BadgrCall, issuer: Issuer, role: str | None,
                 badge: BadgeClass | None) -> Response[Any]:
    require_role(v2.principal, role, ISSUE_ROLES, "issuing")
    hosting = v2.hosting
    data = await _read_issue_body(request)
    items = data if isinstance(data, list) else [data]
    if not 1 <= len(items) <= MAX_BATCH:
        raise InvalidInput(f"a batch holds 1 to {MAX_BATCH} assertions")
    if badge is None:  # issued under the issuer: the body names the badge class
        first = items[0] if isinstance(items[0], dict) else {}
        ref = first.get("badgeclass") or _badge_from_url(first.get("badgeclassOpenBadgeId"), hosting)
        if not isinstance(ref, str) or not ref:
            raise InvalidInput("badgeclass or badgeclassOpenBadgeId is required", details=[
                {"field": "badgeclass", "message": "required", "value": None}])
        badge = await find_badge(v2.session, issuer, ref)
    awards: list[Award] = []
    notify: list[bool] = []
    problems: list[dict[str, Any]] = []
    names = {None, badge.public_id, badge.slug, hosting.urls.badge(badge.public_id)}
    for index, item in enumerate(items):
        errors = FieldErrors()
        for field in ("badgeclass", "badgeclassOpenBadgeId"):  # one badge class per request
            if isinstance(item, dict) and item.get(field) not in names:
                errors.add(field, "names another badge class than this request's", str(item.get(field))[:200])
        award, wants_mail = award_from(item, errors, badge=badge, created_by=v2.principal.email)
        problems.extend({"index": index, **d} if len(items) > 1 else d for d in errors.details)
        if award is not None and not errors.details:
            awards.append(award)
            notify.append(wants_mail)
    if problems:
        raise InvalidInput("invalid assertion(s); nothing was issued", details=problems)
    try:
        issued = await v2.store.award(badge, awards)
    except AwardRefused as exc:
        if len(items) == 1:
            raise
        raise Refused("the badge class's rules refuse assertions in the batch; nothing was issued",
                      details=exc.problems) from exc
    made = await links_for_pending(v2.session, hosting.accept_links, issued)
    for assertion, wanted in zip(issued, notify, strict=True):
        if wanted:  # a pending one's mail carries its accept link
            kind, extra = notification_of(assertion, made)
            await queue_notification(v2.session, kind, assertion, badge=badge, issuer=issuer, extra=extra)
    by = await creators(v2.session, [v2.principal.email])
    entities = [assertion_entity(a, badge.public_id, issuer.public_id, hosting.urls, by) for a in issued]
    return envelope(entities, status=201)


def _badge_from_url(value: Any, hosting: HostingState) -> str | None:
    prefix = hosting.urls.badge("")
    if isinstance(value, str) and value.startswith(prefix) and "/" not in value[len(prefix):]:
        return value[len(prefix):]
    return None


class IssuerAssertionsController(Controller):
    """Badgr's ``/v2/{scope}/{idOrEntityId}/assertions`` with ``{scope}`` ``issuers``; the subclass below serves
    ``badgeclasses`` with the same handlers."""

    path = "/issuers/{entity_ref:str}/assertions"
    opt = _ISSUER
    by_badge_class: ClassVar[bool] = False

    async def _scope(self, v2: BadgrCall, ref: str) -> tuple[Issuer, str | None, BadgeClass | None]:
        if self.by_badge_class:
            return await find_badgeclass(v2, ref)
        issuer, role = await find_issuer(v2.session, v2.principal, ref)
        return issuer, role, None

    @get("/")
    async def list_assertions(self, request: Request[Any, Any, Any], v2: NamedDependency[BadgrCall],
                              entity_ref: FromPath[str]) -> Response[Any]:
        """The issuer's or badge class's assertions: ``recipient``, ``include_expired``, ``include_revoked``
        (default false), ``num`` and the ``after``/``before`` cursors of the ``Link`` header."""
        issuer, _, badge = await self._scope(v2, entity_ref)
        where = Assertion.issuer_id == issuer.id if badge is None else Assertion.badge_class_id == badge.id
        return await _listing(request, v2.session, v2.hosting, where)

    @post("/", status_code=201)
    async def issue(self, request: Request[Any, Any, Any], v2: NamedDependency[BadgrCall],
                    entity_ref: FromPath[str]) -> Response[Any]:
        """Issue one assertion (an object) or a batch (a list, or ``{"assertions": [...]}``), all or nothing;
        under an issuer, ``badgeclass`` or ``badgeclassOpenBadgeId`` in the body names the badge class.
        ``allowDuplicateAwards: false`` refuses a recipient who already holds the badge class."""
        issuer, role, badge = await self._scope(v2, entity_ref)
        return await _issue(request, v2, issuer, role, badge)


class BadgeClassAssertionsController(IssuerAssertionsController):
    path = "/badgeclasses/{entity_ref:str}/assertions"
    by_badge_class = True


async def _find_assertion(v2: BadgrCall, ref: str) -> tuple[Assertion, Issuer, str | None, BadgeClass]:
    assertion, issuer, role = await find_in_issuer(v2, Assertion, ref, "assertion")
    return assertion, issuer, role, await v2.session.get_one(BadgeClass, assertion.badge_class_id)


async def _view(v2: BadgrCall, assertion: Assertion, badge: BadgeClass, issuer: Issuer) -> dict[str, Any]:
    by = await creators(v2.session, [assertion.created_by])
    return assertion_entity(assertion, badge.public_id, issuer.public_id, v2.hosting.urls, by)


async def _revoke(v2: BadgrCall, ref: str, reason: str) -> dict[str, Any]:
    assertion, issuer, role, badge = await _find_assertion(v2, ref)
    require_role(v2.principal, role, EDIT_ROLES, "revoking")
    await v2.store.revoke(assertion, reason)  # evicted from the public cache once committed
    return await _view(v2, assertion, badge, issuer)


def _reason(data: dict[str, Any], errors: FieldErrors, *names: str) -> str:
    for name in names:
        if name in data and data[name] is not None:
            return errors.text(data, name, max_len=1000) or "revoked"
    return "revoked"


class AssertionsController(Controller):
    path = "/assertions"
    opt = _ISSUER

    @post("/revoke", status_code=200)
    async def revoke_many(self, request: Request[Any, Any, Any], v2: NamedDependency[BadgrCall]) -> Response[Any]:
        """Revoke a list of ``{entityId, revocationReason}``, all or nothing (404/409 names the first problem)."""
        data = await _read_issue_body(request)
        items = data if isinstance(data, list) else [data]
        if not 1 <= len(items) <= MAX_BATCH or not all(isinstance(i, dict) for i in items):
            raise InvalidInput(f"a list of 1 to {MAX_BATCH} objects {{entityId, revocationReason}}")
        results = []
        for item in items:
            errors = FieldErrors()
            ref = errors.text(item, "entityId", required=True, max_len=64)
            reason = _reason(item, errors, "revocationReason", "revocation_reason")
            errors.raise_if_any()
            entity = await _revoke(v2, str(ref), reason)
            results.append({"entityId": entity["entityId"], "revoked": True, "revocationReason": reason})
        return envelope(results)

    @get("/{assertion_ref:str}")
    async def get_assertion(self, v2: NamedDependency[BadgrCall], assertion_ref: FromPath[str]) -> Response[Any]:
        assertion, issuer, _, badge = await _find_assertion(v2, assertion_ref)
        return ok(await _view(v2, assertion, badge, issuer))

    @delete("/{assertion_ref:str}", status_code=200)
    async def revoke(self, request: Request[Any, Any, Any], v2: NamedDependency[BadgrCall],
                     assertion_ref: FromPath[str]) -> Response[Any]:
        """Revoke (owners, editors) with ``revocation_reason``: the openBadgeId answers 410 from now on."""
        data = await read_body(request)
        errors = FieldErrors()
        reason = _reason(data, errors, "revocation_reason", "revocationReason")
        errors.raise_if_any()
        return ok(await _revoke(v2, assertion_ref, reason))

    @put("/{assertion_ref:str}")
    async def update(self, request: Request[Any, Any, Any], v2: NamedDependency[BadgrCall],
                     assertion_ref: FromPath[str]) -> Response[Any]:
        """Change ``issuedOn``, ``expires``, ``narrative``, ``evidence`` (owners, editors). A hosted assertion's
        document is immutable here, so the change is a replacement: a new assertion (new entityId) for the
        same recipient; the old openBadgeId redirects (301) to the new one."""
        old, issuer, role, badge = await _find_assertion(v2, assertion_ref)
        require_role(v2.principal, role, EDIT_ROLES, "changing assertions")
        data = await read_body(request)
        errors = FieldErrors()
        current = {"recipient": {"identity": old.recipient_plaintext or old.recipient_identity,
                                 "type": old.recipient_type, "hashed": old.recipient_hashed},
                   "issuedOn": iso(old.issued_on), "expires": iso(old.expires), "narrative": old.narrative,
                   "evidence": [{"url": e.get("id"), "narrative": e.get("narrative")} for e in old.evidence or ()]}
        given = {k: v for k, v in data.items() if k in ("issuedOn", "expires", "narrative", "evidence")}
        award, _ = award_from({**current, **given}, errors, created_by=v2.principal.email)
        for name in sorted(set(data) - set(current) - {"badgeclass", "issuer", "entityId", "entityType",
                                                       "openBadgeId", "createdAt", "createdBy", "image",
                                                       "badgeclassOpenBadgeId", "issuerOpenBadgeId", "revoked",
                                                       "revocationReason", "acceptance", "extensions", "notify",
                                                       "allowDuplicateAwards"}):
            errors.add(name, "unknown field", None)
        if "expires" in given and given["expires"] is None:
            moment(given, "expires", errors)
        errors.raise_if_any()
        assert award is not None
        if old.recipient_plaintext is None:
            raise InvalidInput("the recipient of this assertion is only known hashed: revoke it and issue anew")
        await v2.store.lock_for(old, "replace")
        # accepted stays accepted, pending stays pending (with a new accept link), whatever the badge class's default
        pending = old.state == AssertionState.PENDING
        award = dataclasses.replace(award, acceptance=Acceptance.EARNER if pending else Acceptance.ISSUER)
        (new,) = await v2.store.award(badge, [award], replacing=old)
        await v2.store.replace(old, new)  # the old URL's redirect is published once committed
        await links_for_pending(v2.session, v2.hosting.accept_links, [new])
        return ok(await _view(v2, new, badge, issuer))


ROUTE_HANDLERS: list[Any] = [IssuerAssertionsController, BadgeClassAssertionsController, AssertionsController]
