"""Issuer API: claim codes of a badge class (BadgeKit), ``/v1/issuers/{issuer}/badges/{badge}/codes``.

``POST`` makes ``count`` random codes or stores the ``codes`` given (all or nothing: a code this badge class
holds already is a 409; codes are unique per badge class, so another issuer's or badge's code is no conflict),
single-use unless ``multiuse``, optionally expiring (``expires``); ``GET`` lists the badge's codes (not the
deleted ones); ``GET``/``DELETE`` ``/codes/{code}`` read and withdraw one (a deleted code's claim page answers
410; the assertions claimed with it keep their reference). Roles: any role reads; owners and editors write.
Scopes as the badge class routes: ``issuer:read`` reads, ``issuer:write`` writes. Claiming is the public page
``claimUrl``, ``/claim/{badge}/{code}`` (:mod:`hosting.earners.pages`), or ``claimCode`` on an issue request.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, QueryParameter

from hosting.api.assertions.inputs import parse_moment
from hosting.api.deps import Caller, Db, Urls
from hosting.api.lookup import EDIT_ROLES, find_issuer_badge, require_role
from hosting.api.openapi import api_doc
from hosting.earners.codes import MAX_CODES, code_json, create_codes, find_code, is_code, list_codes, new_code
from hosting.lib.body import FieldErrors, read_body
from hosting.lib.convert import convert_into
from hosting.lib.urls import PublicUrls
from hosting.storage.models import BadgeClass, ClaimCode, utcnow

__all__ = ["ROUTE_HANDLERS", "ClaimCodesController"]

_MAX_PER_PAGE = 1000


class _BadgeRef(msgspec.Struct):
    id: str
    slug: str


class ClaimCodeShape(msgspec.Struct):
    """One claim code (``used``: a single-use code that has been claimed)."""

    code: str
    badge: _BadgeRef
    multiuse: bool
    expires: str | None
    expired: bool
    uses: int
    used: bool
    claimUrl: str
    createdAt: str | None


class CodesInput(msgspec.Struct, forbid_unknown_fields=True):
    """Either ``count`` (1-1000 random codes) or ``codes`` (1-1000 given codes: 4-64 letters, digits, ``-``,
    ``_``, starting with a letter or digit)."""

    count: int | None = None
    codes: list[str] | None = None
    multiuse: bool | None = None
    expires: str | None = None


class CodesCreated(msgspec.Struct):
    status: str
    codes: list[ClaimCodeShape]


class CodesPage(msgspec.Struct):
    codes: list[ClaimCodeShape]
    metadata: dict[str, int]


class CodeEnvelope(msgspec.Struct):
    code: ClaimCodeShape


class CodeDeleted(msgspec.Struct):
    status: str
    code: ClaimCodeShape


def _view(code: ClaimCode, badge: BadgeClass, urls: PublicUrls) -> dict[str, Any]:
    return code_json(code, badge, urls.claim(badge.public_id, code.code))


def _parse(data: dict[str, Any], errors: FieldErrors) -> tuple[list[str], bool, Any]:
    body = convert_into(data, CodesInput, errors)
    if body is None:
        return [], False, None
    codes: list[str] = []
    if (body.count is None) == (body.codes is None):
        errors.add("count", "give either count or codes", None)
    elif body.count is not None:
        if not 1 <= body.count <= MAX_CODES:
            errors.add("count", f"an integer from 1 to {MAX_CODES}", body.count)
        else:
            codes = [new_code() for _ in range(body.count)]
    elif not 1 <= len(body.codes or ()) <= MAX_CODES:
        errors.add("codes", f"a list of 1 to {MAX_CODES} codes", None)
    else:
        codes = list(body.codes or ())
        for i, code in enumerate(codes):
            if not is_code(code):
                errors.add(f"codes[{i}]", "4-64 letters, digits, - or _ (starting with a letter or digit)", code)
    expires = parse_moment("expires", body.expires, errors)
    if expires is not None and expires <= utcnow():
        errors.add("expires", "must be in the future", body.expires)
    return codes, bool(body.multiuse), expires


class ClaimCodesController(Controller):
    path = "/issuers/{issuer_ref:str}/badges/{badge_ref:str}/codes"
    tags = ["claim codes"]  # noqa: RUF012 - Litestar reads these class attributes
    opt = {"write_scope": "issuer:write"}  # noqa: RUF012 - reads need issuer:read (hosting/api/auth.py)

    @post("/", status_code=201, **api_doc(CodesCreated, status=201, body=CodesInput, errors=(404, 409)))
    async def create(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller, urls: Urls,
                     issuer_ref: FromPath[str], badge_ref: FromPath[str]) -> dict[str, Any]:
        """Create claim codes (owner, editor): ``count`` random ones (12 characters) or the ``codes`` given;
        ``multiuse`` (default false), ``expires`` (ISO 8601). 409 when this badge class holds a given code already."""
        _issuer, role, badge = await find_issuer_badge(db_session, principal, issuer_ref, badge_ref)
        require_role(principal, role, EDIT_ROLES, "creating claim codes")
        errors = FieldErrors()
        codes, multiuse, expires = _parse(await read_body(request), errors)
        errors.raise_if_any()
        made = await create_codes(db_session, badge, codes, multiuse=multiuse, expires=expires)
        return {"status": "created", "codes": [_view(code, badge, urls) for code in made]}

    @get("/", **api_doc(CodesPage, errors=(404,)))
    async def list_all(self, db_session: Db, principal: Caller, urls: Urls, issuer_ref: FromPath[str],
                       badge_ref: FromPath[str],
                       offset: Annotated[int, QueryParameter(ge=0, le=2_000_000_000)] = 0,
                       limit: Annotated[int, QueryParameter(ge=1, le=_MAX_PER_PAGE)] = 100) -> dict[str, Any]:
        """The badge class's codes (deleted ones left out), oldest first; ``offset``/``limit`` page them."""
        _issuer, _role, badge = await find_issuer_badge(db_session, principal, issuer_ref, badge_ref)
        codes = await list_codes(db_session, badge, offset=offset, limit=limit)
        return {"codes": [_view(code, badge, urls) for code in codes],
                "metadata": {"offset": offset, "limit": limit, "count": len(codes)}}

    @get("/{code:str}", **api_doc(CodeEnvelope, errors=(404,)))
    async def get_code(self, db_session: Db, principal: Caller, urls: Urls, issuer_ref: FromPath[str],
                       badge_ref: FromPath[str], code: FromPath[str]) -> dict[str, Any]:
        _issuer, _role, badge = await find_issuer_badge(db_session, principal, issuer_ref, badge_ref)
        return {"code": _view(await find_code(db_session, code, badge), badge, urls)}

    @delete("/{code:str}", status_code=200, **api_doc(CodeDeleted, errors=(404,)))
    async def delete_code(self, db_session: Db, principal: Caller, urls: Urls, issuer_ref: FromPath[str],
                          badge_ref: FromPath[str], code: FromPath[str]) -> dict[str, Any]:
        """Withdraw a code (owner, editor): it can no longer be claimed (its page answers 410)."""
        _issuer, role, badge = await find_issuer_badge(db_session, principal, issuer_ref, badge_ref)
        require_role(principal, role, EDIT_ROLES, "deleting claim codes")
        found = await find_code(db_session, code, badge)
        found.deleted_at = utcnow()
        await db_session.flush()
        return {"status": "deleted", "code": _view(found, badge, urls)}


ROUTE_HANDLERS: list[Any] = [ClaimCodesController]
