"""Public, unauthenticated endpoints (GET and HEAD) under ``/public``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

import anyio
from litestar import Controller, Request, route
from litestar.params import FromPath
from litestar.types import ASGIApp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hosting.app.state import hosting_state
from hosting.lib.http import (
    GET_HEAD,
    HTML,
    JOSE,
    JSON,
    LD_JSON,
    RequestInfo,
    cached_response,
    negotiate,
    redirect_response,
    request_info,
    strong_etag,
    wants_jose,
)
from hosting.lib.urls import PublicUrls
from hosting.pages import reads
from hosting.pages.award import award_page_response
from hosting.pages.catalog import render_badge_page, render_issuer_page
from hosting.pages.og import og_png
from hosting.pages.respond import is_preview_bot, page_response, wants_page
from hosting.public.baking import image_response
from hosting.public.documents import revoked_body
from hosting.public.service import ImageBytes, PublicReader, Redirect, Revoked, Served

__all__ = ["PublicController"]

_Rows = TypeVar("_Rows")


def _reader(request: Request[Any, Any, Any]) -> PublicReader:
    reader = hosting_state(request).reader
    assert reader is not None
    return reader


def _document(info: RequestInfo, media: str, served: Served, max_age: int) -> ASGIApp:
    if media != JSON:
        media = LD_JSON
    # Each representation has its own strong validator.
    etag = served.etag if media == LD_JSON else served.etag[:-1] + '-j"'
    return cached_response(info, served.body, media_type=media, etag=etag, last_modified=served.last_modified,
                           max_age=max_age, last_modified_http=served.last_modified_http)


def _gone(request: Request[Any, Any, Any], info: RequestInfo, revoked: Revoked) -> ASGIApp:
    state = hosting_state(request)
    body = revoked_body(state.urls.assertion(revoked.public_id), revoked.reason)
    media = JSON if negotiate(info) == JSON else LD_JSON
    return cached_response(info, body, media_type=media, etag=strong_etag(body), last_modified=revoked.revoked_at,
                           max_age=state.settings.assertion_max_age, status_code=410)


def _image(request: Request[Any, Any, Any], image: ImageBytes) -> ASGIApp:
    return image_response(request_info(request.scope), image, hosting_state(request).settings.image_max_age)



def _serve(request: Request[Any, Any, Any], served: Served, max_age: int) -> ASGIApp:
    """A stored document, negotiated (JSON-LD / JSON) and cache-validated for this request."""
    info = request_info(request.scope)
    return _document(info, negotiate(info), served, max_age)


def _sessions(request: Request[Any, Any, Any]) -> async_sessionmaker[AsyncSession]:
    sessions = hosting_state(request).sessionmaker
    assert sessions is not None
    return sessions


async def _catalog(request: Request[Any, Any, Any], public_id: str,
                   rows: Callable[[AsyncSession, str], Awaitable[_Rows]],
                   render: Callable[[_Rows, PublicUrls], bytes],
                   document: Callable[[str], Awaitable[Served]]) -> ASGIApp:
    """An issuer or badge class: its page for browsers (its ``rows``, rendered), else its stored ``document``."""
    state = hosting_state(request)
    info = request_info(request.scope)
    if wants_page(info):
        async with _sessions(request)() as session:
            found = await rows(session, public_id)
        return page_response(info, render(found, state.urls), base_url=state.urls.base,
                             max_age=state.settings.document_max_age)
    return _document(info, negotiate(info), await document(public_id), state.settings.document_max_age)


async def _og_image(request: Request[Any, Any, Any], source: ImageBytes) -> ASGIApp:
    """The PNG card of a badge (or issuer) image for link previews; rendered off the event loop, cached."""
    data = await anyio.to_thread.run_sync(og_png, source.data, source.content_type, source.etag)
    return _image(request, ImageBytes(data, "image/png", source.etag[:-1] + '-og"', source.last_modified))


class PublicController(Controller):
    path = "/public"
    tags: ClassVar[list[str]] = ["public"]  # type: ignore[misc]

    @route("/assertions/{public_id:str}", http_method=GET_HEAD, summary="Hosted OB 2.0 Assertion")
    async def assertion(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> ASGIApp:
        """The Assertion as JSON-LD (or JSON when asked, or an HTML page for browsers; a signed one as its compact
        JWS for ``Accept: application/jose`` or ``?format=jws``).

        410 Gone with ``{"revoked": true, "revocationReason": ...}`` when revoked; 301 to the newest
        replacement when replaced; 404 ``ResourceNotFound`` for unknown ids.
        """
        state = hosting_state(request)
        info = request_info(request.scope)
        if wants_jose(info):
            signed = await _reader(request).signed_jws(public_id)
            if isinstance(signed, Served):
                return cached_response(info, signed.body, media_type=JOSE, etag=signed.etag[:-1] + '-s"',
                                       last_modified=signed.last_modified, max_age=state.settings.assertion_max_age,
                                       last_modified_http=signed.last_modified_http)
            # A hosted assertion has no signed form: its JSON-LD answers (the verifier then sees the type).
        media = negotiate(info)
        if media == HTML or (info.user_agent is not None and is_preview_bot(info)):
            return await self._assertion_page(request, info, public_id)
        result = await _reader(request).assertion(public_id)
        if isinstance(result, Served):
            return _document(info, media, result, state.settings.assertion_max_age)
        if isinstance(result, Redirect):
            return redirect_response(info, state.urls.assertion(result.public_id), state.settings.assertion_max_age)
        return _gone(request, info, result)

    async def _assertion_page(self, request: Request[Any, Any, Any], info: RequestInfo,
                              public_id: str) -> ASGIApp:
        state = hosting_state(request)
        async with _sessions(request)() as session:
            rows = await reads.award_rows(session, public_id, "ob2")
        return award_page_response(info, rows, state.urls, max_age=state.settings.assertion_max_age,
                                   moved_to=state.urls.assertion)

    @route("/assertions/{public_id:str}/image", http_method=GET_HEAD, summary="Baked assertion image")
    async def assertion_image(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> ASGIApp:
        """The badge image with the assertion baked in (PNG or SVG, like the badge image); baked on request
        and cached in memory, never stored. 410 when revoked, 301 to the newest replacement's image when replaced."""
        state = hosting_state(request)
        result = await _reader(request).baked_image(public_id)
        if isinstance(result, ImageBytes):
            return _image(request, result)
        info = request_info(request.scope)
        if isinstance(result, Redirect):
            return redirect_response(info, state.urls.assertion_image(result.public_id),
                                     state.settings.assertion_max_age)
        return _gone(request, info, result)

    @route("/issuers/{public_id:str}", http_method=GET_HEAD, summary="OB 2.0 Issuer Profile")
    async def issuer(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> ASGIApp:
        """The issuer Profile as JSON-LD (JSON when asked); browsers get its page with its badge classes."""
        return await _catalog(request, public_id, reads.issuer_rows, render_issuer_page, _reader(request).issuer)

    @route("/badges/{public_id:str}", http_method=GET_HEAD, summary="OB 2.0 BadgeClass")
    async def badge(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> ASGIApp:
        """The BadgeClass as JSON-LD (JSON when asked); browsers get its page."""
        return await _catalog(request, public_id, reads.badge_rows, render_badge_page, _reader(request).badge)

    @route("/issuers/{public_id:str}/revocations", http_method=GET_HEAD, summary="OB 2.0 RevocationList")
    async def revocations(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> ASGIApp:
        return _serve(request, await _reader(request).revocation_list(public_id),
                      hosting_state(request).settings.assertion_max_age)

    @route("/keys/{public_id:str}", http_method=GET_HEAD, summary="OB 2.0 CryptographicKey")
    async def key(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> ASGIApp:
        return _serve(request, await _reader(request).key(public_id),
                      hosting_state(request).settings.document_max_age)

    @route("/issuers/{public_id:str}/image", http_method=GET_HEAD, summary="Issuer image")
    async def issuer_image(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> ASGIApp:
        return _image(request, await _reader(request).issuer_image(public_id))

    @route("/badges/{public_id:str}/image", http_method=GET_HEAD, summary="Badge class image")
    async def badge_image(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> ASGIApp:
        return _image(request, await _reader(request).badge_image(public_id))

    @route("/issuers/{public_id:str}/og.png", http_method=GET_HEAD, summary="Issuer link-preview image (PNG)")
    async def issuer_og_image(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> ASGIApp:
        return await _og_image(request, await _reader(request).issuer_image(public_id))

    @route("/badges/{public_id:str}/og.png", http_method=GET_HEAD, summary="Badge link-preview image (PNG)")
    async def badge_og_image(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> ASGIApp:
        """A 1200×630 PNG with the badge image, for ``og:image`` (SVG badges rasterised); cached in-process."""
        return await _og_image(request, await _reader(request).badge_image(public_id))
