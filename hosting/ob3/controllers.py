"""Public Open Badges 3.0 endpoints: issuer DID documents and Profiles, Achievements, status list
credentials, and each credential as JSON, as a VC-JWT and as a baked image.

A revoked or withdrawn credential answers 410 (its status bit is set as well, which is what verifiers
check); a replaced one redirects (301) to its replacement, like OB 2.0 assertions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

from litestar import Controller, Request, route
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.types import ASGIApp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.app.state import hosting_state
from hosting.lib.errors import NotFound
from hosting.lib.http import (
    GET_HEAD,
    JSON,
    LD_JSON,
    cached_response,
    redirect_response,
    request_info,
    strong_etag,
)
from hosting.ob3 import credentials as _ob3
from hosting.pages import reads
from hosting.pages.award import award_page_response
from hosting.pages.respond import wants_page
from hosting.public.baking import ImageRef, image_response
from hosting.public.service import Redirect
from hosting.storage.models import AssertionState, SigningKey, StoredImage

__all__ = ["Ob3PublicController"]

_DID_JSON = "application/did+ld+json"
_VC_JSON = "application/vc+ld+json"
_JWT = "application/vc+jwt"



def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _respond(request: Request[Any, Any, Any], body: bytes, media_type: str, *, max_age: int,
             status_code: int = 200, vary: bool = False) -> ASGIApp:
    """``vary``: the URL also answers an HTML page (content negotiation), so caches must key on Accept."""
    return cached_response(request_info(request.scope), body, media_type=media_type, etag=strong_etag(body),
                           last_modified=None, max_age=max_age, status_code=status_code, vary_accept=vary)


class Ob3PublicController(Controller):
    path = "/public"
    tags: ClassVar[list[str]] = ["public", "ob3"]  # type: ignore[misc]

    @route("/issuers/{public_id:str}/did.json", http_method=GET_HEAD, summary="Issuer DID document (did:web)")
    async def did_document(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                           public_id: FromPath[str]) -> ASGIApp:
        """The issuer's ``did:web`` document: every key it signs with (retired keys too), as JsonWebKey2020."""
        state = hosting_state(request)
        issuer = await reads.issuer_row(db_session, public_id)
        keys = list((await db_session.scalars(
            select(SigningKey).where(SigningKey.issuer_id == issuer.id).order_by(SigningKey.id))).all())
        return _respond(request, _ob3.did_document(issuer, keys, state.urls), _DID_JSON,
                        max_age=state.settings.document_max_age)

    @route("/issuers/{public_id:str}/profile", http_method=GET_HEAD, summary="OB 3.0 issuer Profile")
    async def profile(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                      public_id: FromPath[str]) -> ASGIApp:
        state = hosting_state(request)
        issuer = await reads.issuer_row(db_session, public_id)
        body = {"@context": [_ob3.VC2_CONTEXT, _ob3.OB3_CONTEXT], **_ob3.issuer_profile(issuer, state.urls)}
        return _respond(request, _json(body), LD_JSON, max_age=state.settings.document_max_age)

    @route("/issuers/{public_id:str}/status/revocation", http_method=GET_HEAD,
           summary="Revocation BitstringStatusListCredential")
    async def status_list(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                          public_id: FromPath[str]) -> ASGIApp:
        """The issuer's revocation status list, signed (eddsa-rdfc-2022); short-lived in caches. 404 when the
        issuer has issued no OB 3.0 credential."""
        state = hosting_state(request)
        issuer = await reads.issuer_row(db_session, public_id)
        body = await _ob3.status_list_credential(db_session, state.urls, state.keybox, issuer)
        return _respond(request, body, _VC_JSON, max_age=state.settings.assertion_max_age)

    @route("/badges/{public_id:str}/achievement", http_method=GET_HEAD, summary="OB 3.0 Achievement")
    async def achievement(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                          public_id: FromPath[str]) -> ASGIApp:
        state = hosting_state(request)
        rows = await reads.badge_rows(db_session, public_id, noun="achievement")
        body = {"@context": [_ob3.VC2_CONTEXT, _ob3.OB3_CONTEXT],
                **_ob3.achievement(rows.badge, rows.issuer, state.urls)}
        return _respond(request, _json(body), LD_JSON, max_age=state.settings.document_max_age)

    async def _served(self, request: Request[Any, Any, Any], db_session: AsyncSession, public_id: str,
                      location: Callable[[str], str]) -> reads.AwardRows | ASGIApp:
        """The published credential's rows, or the answer instead: 301 to its replacement, 410 when revoked."""
        state = hosting_state(request)
        row = await reads.award(db_session, public_id, "ob3")
        if isinstance(row, Redirect):
            return redirect_response(request_info(request.scope), location(row.public_id),
                                     state.settings.assertion_max_age)
        if row.assertion.state == AssertionState.REVOKED:
            gone = {"id": state.urls.credential(public_id), "revoked": True,
                    "revocationReason": row.assertion.revocation_reason or ""}
            return _respond(request, _json(gone), JSON, max_age=state.settings.assertion_max_age,
                            status_code=410, vary=True)
        return row

    @route("/credentials/{public_id:str}", http_method=GET_HEAD, summary="OB 3.0 credential (JSON)")
    async def credential(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                         public_id: FromPath[str]) -> ASGIApp:
        """The signed credential (Data Integrity proof inside; for VC-JWT credentials, the JWT's payload —
        ``/jwt`` has the token). 410 when revoked, 301 to the replacement when replaced. Browsers
        (``Accept: text/html``) get the credential's page instead."""
        state = hosting_state(request)
        info = request_info(request.scope)
        if wants_page(info):
            return award_page_response(info, await reads.award_rows(db_session, public_id, "ob3"), state.urls,
                                       max_age=state.settings.assertion_max_age, moved_to=state.urls.credential)
        row = await self._served(request, db_session, public_id, state.urls.credential)
        if not isinstance(row, reads.AwardRows):
            return row
        return _respond(request, row.assertion.credential or b"", _VC_JSON, max_age=state.settings.assertion_max_age,
                        vary=True)

    @route("/credentials/{public_id:str}/jwt", http_method=GET_HEAD, summary="OB 3.0 credential (VC-JWT)")
    async def credential_jwt(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                             public_id: FromPath[str]) -> ASGIApp:
        state = hosting_state(request)
        row = await self._served(request, db_session, public_id, lambda p: state.urls.credential(p) + "/jwt")
        if not isinstance(row, reads.AwardRows):
            return row
        if row.assertion.proof_type != "jwt" or not row.assertion.jws:
            raise NotFound("this credential is signed with a Data Integrity proof, not as a VC-JWT")
        return _respond(request, row.assertion.jws.encode(), _JWT, max_age=state.settings.assertion_max_age)

    @route("/credentials/{public_id:str}/image", http_method=GET_HEAD, summary="Baked OB 3.0 credential image")
    async def credential_image(self, request: Request[Any, Any, Any],
                               db_session: NamedDependency[AsyncSession],
                               public_id: FromPath[str]) -> ASGIApp:
        """The badge image (PNG or SVG) with the credential baked in: the JWT for VC-JWT credentials, the
        JSON credential otherwise. Baked on request and kept in memory, never written (hosting/public/baking.py)."""
        state = hosting_state(request)
        row = await self._served(request, db_session, public_id, lambda p: state.urls.credential(p) + "/image")
        if not isinstance(row, reads.AwardRows):
            return row
        assertion = row.assertion
        payload = assertion.jws if assertion.proof_type == "jwt" and assertion.jws else \
            (assertion.credential or b"").decode()
        source = (await db_session.execute(
            select(StoredImage.id, StoredImage.etag, StoredImage.content_type, StoredImage.created_at)
            .where(StoredImage.id == row.badge.image_id))).one()
        assert state.reader is not None
        image = await state.reader.baked.image(public_id, payload, ImageRef(*source), assertion.updated_at)
        return image_response(request_info(request.scope), image, state.settings.image_max_age)

