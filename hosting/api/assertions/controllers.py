"""Issuer API: issue assertions (one, or a batch of up to 10,000 all or nothing) and manage one assertion
(read, revoke, replace, withdraw).

Roles: owners, editors and staff issue and read; owners and editors revoke, replace and withdraw; without a
role on the issuer the assertion does not exist (404). Scopes: ``assertion:write`` for writes, ``issuer:read``
for reads. The rules of the badge class (archived, ``limit``, ``unique``, duplicates) are enforced by
:meth:`hosting.storage.store.HostingStore.award` under a lock on the badge class row.

There is no claim step: an assertion is accepted once issued, so a replacement keeps the recipient (giving a
different one is a 409). ``DELETE`` withdraws: the assertion is revoked (reason ``withdrawn`` unless given).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal, cast

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from sqlalchemy import insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.auth import Principal
from hosting.api.listing.controllers import assertion_json
from hosting.api.lookup import (
    EDIT_ROLES,
    ISSUE_ROLES,
    find_badge,
    find_issuer,
    find_issuer_badge,
    require_role,
)
from hosting.api.openapi import Assertion as AssertionShape
from hosting.api.openapi import api_doc, changed, envelope
from hosting.app.state import HostingState, hosting_state
from hosting.lib.body import FieldErrors, read_body
from hosting.lib.errors import Conflict, InvalidInput, NotFound, Refused, Unavailable
from hosting.lib.ids import is_public_id
from hosting.lib.urls import PublicUrls
from hosting.notify.outbox import queue_notification
from hosting.ob3.credentials import make_credential
from hosting.storage.models import Assertion, AssertionState, BadgeClass, Issuer, utcnow
from hosting.storage.store import Award, AwardRefused, HostingStore

__all__ = ["ROUTE_HANDLERS", "AssertionController", "IssueController", "parse_award"]

MAX_BATCH = 10_000
MAX_BATCH_BODY_BYTES = 32 * 1024 * 1024
MAX_EVIDENCE = 50
WITHDRAWN = "withdrawn"

_TELEPHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
_AWARD_FIELDS = frozenset({
    "recipient", "recipient_email", "recipient_name", "issued_to_first_name", "issued_to_last_name",
    "issuedOn", "issued_at", "expires", "expires_at", "narrative", "evidence", "issuer_earner_id", "slug",
    "verification", "allowDuplicateAwards", "notify", "locale", "format", "proof",
})


# --- OpenAPI shapes (documentation only: bodies are parsed by parse_award) ------------------------------

class RecipientInput(msgspec.Struct, forbid_unknown_fields=True):
    identity: str
    type: Literal["email", "url", "telephone"] = "email"
    hashed: bool = True


class AssertionInput(msgspec.Struct, forbid_unknown_fields=True):
    """One assertion to issue: ``recipient`` (an email, or an object) or ``recipient_email`` is required."""

    recipient: str | RecipientInput | None = None
    recipient_email: str | None = None
    recipient_name: str | None = None
    issued_to_first_name: str | None = None
    issued_to_last_name: str | None = None
    issuedOn: str | None = None
    issued_at: str | None = None
    expires: str | None = None
    expires_at: str | None = None
    narrative: str | None = None
    evidence: list[str | dict[str, Any]] | str | None = None
    issuer_earner_id: str | None = None
    slug: str | None = None
    verification: Literal["hosted", "signed"] | None = None
    allowDuplicateAwards: bool | None = None
    notify: bool | None = None
    locale: str | None = None
    format: Literal["ob2", "ob3"] | None = None
    proof: Literal["di", "jwt"] | None = None


class BatchInput(msgspec.Struct, forbid_unknown_fields=True):
    assertions: list[AssertionInput]
    notify: bool | None = None
    allowDuplicateAwards: bool | None = None
    verification: Literal["hosted", "signed"] | None = None
    format: Literal["ob2", "ob3"] | None = None
    proof: Literal["di", "jwt"] | None = None


class ReplaceInput(AssertionInput, forbid_unknown_fields=True):
    badge: str | None = None


class RevokeInput(msgspec.Struct, forbid_unknown_fields=True):
    reason: str
    notify: bool | None = None


class WithdrawInput(msgspec.Struct, forbid_unknown_fields=True):
    reason: str | None = None
    notify: bool | None = None


class BatchCount(msgspec.Struct):
    count: int


class BatchIssued(msgspec.Struct):
    status: str
    assertions: list[AssertionShape]
    metadata: BatchCount


class AssertionReplaced(msgspec.Struct):
    status: str
    assertion: AssertionShape
    replaced: AssertionShape


AssertionChanged = changed("assertion", AssertionShape)
AssertionEnvelope = envelope("assertion", AssertionShape)



def _store(request: Request[Any, Any, Any], session: AsyncSession) -> HostingStore:
    state = hosting_state(request)
    return HostingStore(session, state.urls, state.keybox, max_image_bytes=state.settings.max_image_bytes)


# --- input ---------------------------------------------------------------------------------------------

def _flag(data: dict[str, Any], field: str, default: bool, errors: FieldErrors) -> bool:
    value = data.get(field, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
        return value.strip().lower() in ("true", "1")
    errors.add(field, "must be true or false", value)
    return default


def _moment(data: dict[str, Any], fields: tuple[str, ...], errors: FieldErrors) -> datetime | None:
    field = next((f for f in fields if f in data and data[f] is not None), None)
    if field is None:
        return None
    value = data[field]
    try:
        if not isinstance(value, str) or not value.strip():
            raise ValueError
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        errors.add(field, "must be an ISO 8601 date or date-time", value)
        return None
    if not 1900 <= moment.year <= 9999:
        errors.add(field, "year out of range", value)
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _recipient(data: dict[str, Any], errors: FieldErrors) -> tuple[str, str, bool] | None:
    """(normalised identity, type, hashed) from ``recipient`` (email string or object) or ``recipient_email``."""
    raw = data.get("recipient", data.get("recipient_email"))
    field = "recipient_email" if "recipient_email" in data and "recipient" not in data else "recipient"
    rtype, hashed = "email", True
    if isinstance(raw, dict):
        unknown = sorted(set(raw) - {"identity", "type", "hashed"})
        for name in unknown:
            errors.add(f"recipient.{name}", "unknown field", None)
        rtype = raw.get("type", "email")
        hashed_value = raw.get("hashed", True)
        if not isinstance(hashed_value, bool):
            errors.add("recipient.hashed", "must be true or false", hashed_value)
        hashed = hashed_value is not False
        raw, field = raw.get("identity"), "recipient.identity"
        if rtype not in ("email", "url", "telephone"):
            errors.add("recipient.type", "must be email, url or telephone", rtype)
            return None
    if raw is None:
        errors.add(field, "required", None)
        return None
    checked = {"email": errors.email, "url": errors.url}
    if rtype in checked:
        value = checked[rtype]({field: raw}, field, required=True)
    else:
        value = errors.text({field: raw}, field, required=True, max_len=64)
        if value is not None:
            value = re.sub(r"[\s().-]", "", value)
            if not _TELEPHONE.match(value):
                errors.add(field, "must be a telephone number in E.164 form (+ and 7-15 digits)", raw)
                return None
    return None if value is None else (value, rtype, hashed)


def _evidence_item(item: Any, where: str, errors: FieldErrors) -> dict[str, Any] | None:
    """Credly evidence (URL, plain text, key-value group) or an OB Evidence object → OB 2.0 Evidence."""
    if isinstance(item, str):
        url = errors.url({where: item}, where, required=True)
        return None if url is None else {"type": "Evidence", "id": url}
    if not isinstance(item, dict):
        errors.add(where, "must be a URL or an object", item)
        return None
    item = {k: v for k, v in item.items() if v is not None}
    before = len(errors.details)
    out = _evidence_fields(item, errors)
    for detail in errors.details[before:]:  # name the field inside the list: evidence[2].value
        detail["field"] = f"{where}.{detail['field']}"
    if len(errors.details) > before or out is None:
        return None
    return {"type": "Evidence", **{k: v for k, v in out.items() if v}}


def _evidence_fields(item: dict[str, Any], errors: FieldErrors) -> dict[str, Any] | None:
    kind = item.get("type", "Evidence")
    text = errors.text
    if kind == "UrlEvidence":  # Credly: {name, value: URL, description}
        return {"id": errors.url(item, "value", required=True), "name": text(item, "name", max_len=255),
                "description": text(item, "description", max_len=10_000)}
    if kind in ("IdEvidence", "InfoEvidence", "TextEvidence"):  # Credly plain text: {title|name, description}
        return {"name": text(item, "title", max_len=255) or text(item, "name", max_len=255),
                "narrative": text(item, "description", required=True, max_len=10_000)}
    if kind == "KeyValueEvidence":  # a titled group of key-value pairs: {title, items: [{key, value}]}
        pairs = item.get("items")
        if not isinstance(pairs, list) or not pairs or len(pairs) > 100 or not all(
                isinstance(p, dict) and isinstance(p.get("key"), str) and isinstance(p.get("value"), str)
                and p["key"].strip() for p in pairs):
            errors.add("items", "1-100 objects {key: string, value: string}", None)
            return None
        lines = [f"{p['key'].strip()}: {p['value'].strip()}" for p in pairs]
        return {"name": text(item, "title", max_len=255), "narrative": "\n".join(lines)[:10_000]}
    if kind == "Evidence":  # OB 2.0 Evidence as is
        out = {"id": errors.url(item, "id"), "narrative": text(item, "narrative", max_len=10_000),
               "name": text(item, "name", max_len=255), "description": text(item, "description", max_len=10_000),
               "genre": text(item, "genre", max_len=255), "audience": text(item, "audience", max_len=255)}
        if "id" not in item and "narrative" not in item:
            errors.add("id", "evidence needs an id (URL) or a narrative", None)
        return out
    errors.add("type", "UrlEvidence, IdEvidence, InfoEvidence, KeyValueEvidence or Evidence", kind)
    return None


def _evidence(data: dict[str, Any], errors: FieldErrors) -> tuple[dict[str, Any], ...]:
    value = data.get("evidence")
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_EVIDENCE:
        errors.add("evidence", f"at most {MAX_EVIDENCE} items", len(items))
        return ()
    where = "evidence[{}]" if isinstance(value, list) else "evidence"
    made = [_evidence_item(item, where.format(i), errors) for i, item in enumerate(items)]
    return tuple(m for m in made if m is not None)


def _verification(data: dict[str, Any], default: str, errors: FieldErrors) -> str:
    value = data.get("verification", default)
    if isinstance(value, dict):
        value = value.get("type")
    if value not in ("hosted", "signed"):
        errors.add("verification", "must be 'hosted' or 'signed'", value)
        return default
    return str(value)


def _ob3_proof(data: Any, defaults: dict[str, Any], errors: FieldErrors) -> str | None:
    """``None`` for OB 2.0 (``format`` "ob2", the default), else the OB 3.0 proof: "di" (default) or "jwt"."""
    if not isinstance(data, dict):
        return None
    fmt = data.get("format") or defaults.get("format") or "ob2"
    proof = data.get("proof") or (None if data.get("format") else defaults.get("proof"))
    if fmt not in ("ob2", "ob3"):
        errors.add("format", "must be 'ob2' or 'ob3'", fmt)
        return None
    if fmt == "ob2":
        if proof is not None:
            errors.add("proof", "only with format 'ob3'", proof)
        return None
    if proof not in (None, "di", "jwt"):
        errors.add("proof", "must be 'di' or 'jwt'", proof)
        return None
    if (data.get("verification") or defaults.get("verification")) == "signed":
        errors.add("verification", "an OB 3.0 credential carries its own proof: leave verification out", "signed")
    return str(proof or "di")


async def _make_ob3(request: Request[Any, Any, Any], session: AsyncSession, issued: list[Assertion],
                    proofs: list[str | None], badge: BadgeClass, issuer: Issuer) -> list[Assertion]:
    """Turn the freshly issued rows that asked for OB 3.0 into signed credentials (loaded rows replace copies)."""
    if not any(proofs):
        return issued
    state = hosting_state(request)
    out: list[Assertion] = []
    for made, proof in zip(issued, proofs, strict=True):
        if proof is None:
            out.append(made)
            continue
        row = await session.get_one(Assertion, made.id)
        await make_credential(session, state.urls, state.keybox, row, badge, issuer, proof=proof)
        out.append(row)
    return out


def parse_award(data: Any, errors: FieldErrors, *, defaults: dict[str, Any] | None = None,
                recipient_required: bool = True) -> tuple[Award | None, bool]:
    """An :class:`Award` and its ``notify`` flag from one request object; problems go to ``errors``."""
    defaults = defaults or {}
    if not isinstance(data, dict):
        errors.add("assertion", "must be an object", None)
        return None, False
    data = {k: v for k, v in data.items() if v is not None}  # null means "not given"
    for name in sorted(set(data) - _AWARD_FIELDS):
        errors.add(name, "unknown field", None)
    before = len(errors.details)
    recipient = _recipient(data, errors) if recipient_required or "recipient" in data or \
        "recipient_email" in data else None
    name = errors.text(data, "recipient_name", max_len=255)
    first = errors.text(data, "issued_to_first_name", max_len=120)
    last = errors.text(data, "issued_to_last_name", max_len=120)
    if name is None and (first or last):
        name = " ".join(part for part in (first, last) if part)
    issued_on = _moment(data, ("issuedOn", "issued_at"), errors)
    expires = _moment(data, ("expires", "expires_at"), errors)
    if expires is not None and expires <= (issued_on or utcnow()):
        errors.add("expires", "must be after issuedOn", data.get("expires", data.get("expires_at")))
    locale = errors.text(data, "locale", max_len=16)
    if locale and not _LOCALE.match(locale):
        errors.add("locale", "a language tag such as en or pt-BR", locale)
    award_fields: dict[str, Any] = {
        "recipient_name": name or None,
        "issued_on": issued_on,
        "expires": expires,
        "narrative": errors.text(data, "narrative", max_len=10_000) or None,
        "evidence": _evidence(data, errors),
        "verification": _verification(data, defaults.get("verification", "hosted"), errors),
        "issuer_earner_id": errors.text(data, "issuer_earner_id", max_len=255) or None,
        "slug": errors.slug(data),
        "locale": locale or None,
        "allow_duplicate": _flag(data, "allowDuplicateAwards", defaults.get("allowDuplicateAwards", False),
                                 errors),
    }
    notify = _flag(data, "notify", defaults.get("notify", True), errors)
    if len(errors.details) > before:
        return None, notify
    if recipient is None:
        return Award(recipient="", **award_fields), notify  # replace: the caller fills the recipient in
    identity, rtype, hashed = recipient
    return Award(recipient=identity, recipient_type=rtype, hashed=hashed, **award_fields), notify


async def _read_batch(request: Request[Any, Any, Any]) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BATCH_BODY_BYTES:
        raise InvalidInput(f"body larger than {MAX_BATCH_BODY_BYTES} bytes", details=[
            {"field": "body", "message": "too large", "value": len(raw)}])
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype not in ("application/json", "") and not ctype.endswith("+json"):
        raise InvalidInput("a batch is a JSON body", details=[
            {"field": "content-type", "message": "use application/json", "value": ctype}])
    try:
        data = json.loads(raw or b"{}")
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput(f"malformed JSON: {exc}", details=[
            {"field": "body", "message": "malformed JSON", "value": None}]) from exc
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", details=[
            {"field": "body", "message": "must be an object", "value": type(data).__name__}])
    return data


# --- writes --------------------------------------------------------------------------------------------

async def _award(store: HostingStore, badge: BadgeClass, awards: Sequence[Award],
                 replacing: Assertion | None = None) -> list[Assertion]:
    """:meth:`HostingStore.award`, with a busy database (SQLite lock wait exhausted) as a 503, not a 500."""
    try:
        return await store.award(badge, awards, replacing=replacing)
    except OperationalError as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text or "deadlock" in text:
            raise Unavailable("the database is busy; retry the request", details=[
                {"field": "database", "message": "busy", "value": None}]) from exc
        raise


def _created(body: dict[str, Any], location: str) -> Response[Any]:
    return Response(content=body, status_code=201, headers={"Location": location})


def _forget(state: HostingState, *public_ids: str) -> None:
    if state.reader is not None:
        for public_id in public_ids:
            state.reader.forget(public_id)


class IssueController(Controller):
    path = "/issuers/{issuer_ref:str}/badges/{badge_ref:str}/assertions"
    tags = ["assertions"]  # noqa: RUF012 - Litestar reads these class attributes

    @post("/", status_code=201, **api_doc(AssertionChanged, status=201, body=AssertionInput,
                                          errors=(404, 409, 503)))
    async def issue(self, request: Request[Any, Any, Any], db_session: AsyncSession, principal: Principal,
                    issuer_ref: str, badge_ref: str) -> Response[Any]:
        """Issue one assertion; 201 with ``Location:`` its public URL. 409 when the badge class is archived,
        its ``limit`` is reached, it is ``unique`` and already held, or the award duplicates an active one."""
        principal.require("assertion:write")
        issuer, role, badge = await find_issuer_badge(db_session, principal, issuer_ref, badge_ref)
        require_role(principal, role, ISSUE_ROLES, "issuing")
        errors = FieldErrors()
        data = await read_body(request)
        award, notify = parse_award(data, errors)
        proof = _ob3_proof(data, {}, errors)
        errors.raise_if_any()
        assert award is not None
        state = hosting_state(request)
        (assertion,) = await _make_ob3(request, db_session, await _award(_store(request, db_session), badge,
                                                                         [award]), [proof], badge, issuer)
        if notify:
            await queue_notification(db_session, "issued", assertion, badge=badge, issuer=issuer)
        body = assertion_json(assertion, badge=badge, issuer=issuer, replaced_by=None, urls=state.urls)
        return _created({"status": "created", "assertion": body}, body["publicUrl"])

    @post("/batch", status_code=201, request_max_body_size=MAX_BATCH_BODY_BYTES,
          **api_doc(BatchIssued, status=201, body=BatchInput, media_types=("application/json",),
                    errors=(404, 409, 422, 503)))
    async def issue_batch(self, request: Request[Any, Any, Any], db_session: AsyncSession,
                          principal: Principal, issuer_ref: str, badge_ref: str) -> dict[str, Any]:
        """Issue up to 10,000 assertions in one transaction, all or nothing: any invalid or refused item
        answers 422 with ``errors`` (each with its ``index``) and ``error_index`` (the first), storing nothing.
        ``notify``, ``allowDuplicateAwards`` and ``verification`` at the top level are defaults for the items."""
        principal.require("assertion:write")
        issuer, role, badge = await find_issuer_badge(db_session, principal, issuer_ref, badge_ref)
        require_role(principal, role, ISSUE_ROLES, "issuing")
        data = await _read_batch(request)
        top = FieldErrors()
        for name in sorted(set(data) - {"assertions", "notify", "allowDuplicateAwards", "verification", "format",
                                        "proof"}):
            top.add(name, "unknown field", None)
        defaults = {"notify": _flag(data, "notify", True, top),
                    "allowDuplicateAwards": _flag(data, "allowDuplicateAwards", False, top),
                    "verification": _verification(data, "hosted", top),
                    "format": data.get("format"), "proof": data.get("proof")}
        items = data.get("assertions")
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
            top.add("assertions", f"a list of 1 to {MAX_BATCH} assertions", None)
        top.raise_if_any()
        assert isinstance(items, list)
        awards: list[Award] = []
        notify_flags: list[bool] = []
        proofs: list[str | None] = []
        problems: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            errors = FieldErrors()
            award, notify = parse_award(item, errors, defaults=defaults)
            proof = _ob3_proof(item, defaults, errors)
            problems.extend({"index": index, **detail} for detail in errors.details)
            if award is not None and not errors.details:
                awards.append(award)
                notify_flags.append(notify)
                proofs.append(proof)
        if problems:
            raise _batch_refused(problems, "invalid assertions in the batch; nothing was issued")
        try:
            issued = await _award(_store(request, db_session), badge, awards)
        except AwardRefused as exc:
            raise _batch_refused(exc.problems, "the badge class's rules refuse assertions in the batch; "
                                               "nothing was issued") from exc
        issued = await _make_ob3(request, db_session, issued, proofs, badge, issuer)
        outbox = _OneFlush(db_session)
        for assertion, notify in zip(issued, notify_flags, strict=True):
            if notify:
                await queue_notification(cast(AsyncSession, outbox), "issued", assertion, badge=badge,
                                         issuer=issuer)
        await outbox.write()
        urls = hosting_state(request).urls
        return {"status": "created",
                "assertions": [assertion_json(a, badge=badge, issuer=issuer, replaced_by=None, urls=urls)
                               for a in issued],
                "metadata": {"count": len(issued)}}


class _OneFlush:
    """The session as :func:`queue_notification` sees it during a batch: the rows it adds are kept and written
    by :meth:`write` in one executemany per table (a flush per message made 10,000 notifications take seconds)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._pending: list[object] = []

    def add(self, instance: object) -> None:
        self._pending.append(instance)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return await self._session.get(*args, **kwargs)

    async def flush(self) -> None:
        return None

    async def write(self) -> None:
        groups: dict[tuple[Any, tuple[str, ...]], list[dict[str, Any]]] = {}
        for instance in self._pending:
            state = sa_inspect(instance)
            columns = {attr.key for attr in state.mapper.column_attrs}
            values = {key: value for key, value in state.dict.items() if key in columns}
            groups.setdefault((state.mapper.class_, tuple(sorted(values))), []).append(values)
        for (model, _keys), rows in groups.items():
            await self._session.execute(insert(model), rows)
        self._pending.clear()


def _batch_refused(problems: list[dict[str, Any]], message: str) -> Refused:
    return Refused(f"{message} (first problem at index {problems[0]['index']}: "
                               f"{problems[0]['field']}: {problems[0]['message']})",
                               errors=problems[:100], error_index=problems[0]["index"])


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


async def _view(session: AsyncSession, assertion: Assertion, issuer: Issuer, urls: PublicUrls) -> dict[str, Any]:
    badge = await session.get_one(BadgeClass, assertion.badge_class_id)
    replaced_by = None
    if assertion.replaced_by_id is not None:
        replaced_by = await session.scalar(
            select(Assertion.public_id).where(Assertion.id == assertion.replaced_by_id))
    return assertion_json(assertion, badge=badge, issuer=issuer, replaced_by=replaced_by, urls=urls)


def _require_active(assertion: Assertion, action: str) -> None:
    if assertion.state != AssertionState.ACTIVE:
        hint = " (act on its replacement instead)" if assertion.state == AssertionState.REPLACED else ""
        raise Conflict(f"the assertion is {assertion.state}: it cannot be {action}{hint}", details=[
            {"field": "state", "message": f"must be active to be {action}", "value": assertion.state}])


class AssertionController(Controller):
    path = "/assertions"
    tags = ["assertions"]  # noqa: RUF012 - Litestar reads these class attributes

    @get("/{assertion_ref:str}", **api_doc(AssertionEnvelope, errors=(404,)))
    async def get_assertion(self, request: Request[Any, Any, Any], db_session: AsyncSession,
                            principal: Principal, assertion_ref: str) -> dict[str, Any]:
        """The private view: recipient in plaintext, state, the replacing assertion's id."""
        principal.require("issuer:read")
        assertion, issuer, _role = await _find_assertion(db_session, principal, assertion_ref)
        return {"assertion": await _view(db_session, assertion, issuer, hosting_state(request).urls)}

    async def _revoke(self, request: Request[Any, Any, Any], db_session: AsyncSession, principal: Principal,
                      assertion_ref: str, *, withdraw: bool) -> dict[str, Any]:
        principal.require("assertion:write")
        assertion, issuer, role = await _find_assertion(db_session, principal, assertion_ref)
        action = "withdrawn" if withdraw else "revoked"
        require_role(principal, role, EDIT_ROLES, "withdrawing" if withdraw else "revoking")
        data = await read_body(request)
        errors = FieldErrors()
        for name in sorted(set(data) - {"reason", "notify"}):
            errors.add(name, "unknown field", None)
        reason = errors.text(data, "reason", required=not withdraw, max_len=1000)
        notify = _flag(data, "notify", not withdraw, errors)
        errors.raise_if_any()
        _require_active(assertion, action)
        state = hosting_state(request)
        await _store(request, db_session).revoke(assertion, reason or WITHDRAWN)
        _forget(state, assertion.public_id)
        if notify:
            badge = await db_session.get_one(BadgeClass, assertion.badge_class_id)
            await queue_notification(db_session, "revoked", assertion, badge=badge, issuer=issuer)
        return {"status": action, "assertion": await _view(db_session, assertion, issuer, state.urls)}

    @post("/{assertion_ref:str}/revoke", status_code=200,
          **api_doc(AssertionChanged, body=RevokeInput, errors=(404, 409)))
    async def revoke(self, request: Request[Any, Any, Any], db_session: AsyncSession, principal: Principal,
                     assertion_ref: str) -> dict[str, Any]:
        """Revoke (``reason`` required, ``notify`` default true): the public URL answers 410 and the issuer's
        revocation list names it."""
        return await self._revoke(request, db_session, principal, assertion_ref, withdraw=False)

    @delete("/{assertion_ref:str}", status_code=200,
            **api_doc(AssertionChanged, body=WithdrawInput, body_required=False, errors=(404, 409)))
    async def withdraw(self, request: Request[Any, Any, Any], db_session: AsyncSession, principal: Principal,
                       assertion_ref: str) -> dict[str, Any]:
        """Withdraw (Badgr's DELETE): revoked with reason ``withdrawn`` (or the ``reason`` given); no email
        unless ``notify`` is true. The public URL answers 410."""
        return await self._revoke(request, db_session, principal, assertion_ref, withdraw=True)

    @post("/{assertion_ref:str}/replace", status_code=201,
          **api_doc(AssertionReplaced, status=201, body=ReplaceInput, errors=(404, 409, 503)))
    async def replace(self, request: Request[Any, Any, Any], db_session: AsyncSession, principal: Principal,
                      assertion_ref: str) -> Response[Any]:
        """Issue a new assertion in this one's place (Credly): the fields given, nothing else copied but the
        recipient (identity, name, earner id, locale), which cannot change — assertions are accepted when
        issued. ``badge`` may name another badge class of the issuer. The old public URL then redirects (301)."""
        principal.require("assertion:write")
        old, issuer, role = await _find_assertion(db_session, principal, assertion_ref)
        require_role(principal, role, EDIT_ROLES, "replacing")
        data = await read_body(request)
        badge_ref = data.pop("badge", None)
        errors = FieldErrors()
        award, notify = parse_award(data, errors, recipient_required=False)
        proof = _ob3_proof(data, {}, errors)
        if badge_ref is not None and not isinstance(badge_ref, str):
            errors.add("badge", "a badge class id or slug", None)
        errors.raise_if_any()
        assert award is not None
        _require_active(old, "replaced")
        if old.recipient_plaintext is None and old.recipient_hashed:
            raise Conflict("the replaced assertion's recipient is only known hashed", details=[
                {"field": "recipient", "message": "unknown plaintext", "value": None}])
        given = "recipient" in data or "recipient_email" in data
        if given and (award.recipient_type, award.recipient) != (old.recipient_type, old.recipient_plaintext):
            raise Conflict(
                "the recipient cannot change: an assertion is accepted when issued (there is no claim step); "
                "revoke it and issue a new one instead",
                details=[{"field": "recipient", "message": "differs from the replaced assertion's",
                          "value": award.recipient}])
        award = _carry_recipient(award, old, hashed_given=given)
        badge = (await find_badge(db_session, issuer, badge_ref) if badge_ref
                 else await db_session.get_one(BadgeClass, old.badge_class_id))
        store = _store(request, db_session)
        (new,) = await _make_ob3(request, db_session, await _award(store, badge, [award], replacing=old),
                                 [proof], badge, issuer)
        await store.replace(old, new)
        state = hosting_state(request)
        _forget(state, old.public_id)
        if notify:
            await queue_notification(db_session, "replaced", old, badge=badge, issuer=issuer)
        body: dict[str, Any] = {"status": "replaced",
                "assertion": assertion_json(new, badge=badge, issuer=issuer, replaced_by=None, urls=state.urls),
                "replaced": await _view(db_session, old, issuer, state.urls)}
        return _created(body, body["assertion"]["publicUrl"])


def _carry_recipient(award: Award, old: Assertion, *, hashed_given: bool) -> Award:
    """The replacement's recipient: the old one's identity, and its name, earner id and locale unless given."""
    return dataclasses.replace(
        award, recipient=old.recipient_plaintext or old.recipient_identity, recipient_type=old.recipient_type,
        hashed=award.hashed if hashed_given else old.recipient_hashed,
        recipient_name=award.recipient_name or old.recipient_name,
        issuer_earner_id=award.issuer_earner_id or old.issuer_earner_id, locale=award.locale or old.locale)


ROUTE_HANDLERS: list[Any] = [IssueController, AssertionController]
