"""Public, unauthenticated endpoints (GET and HEAD) under ``/public``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, route
from litestar.enums import HttpMethod
from litestar.params import FromPath

from hosting._documents import revoked_body
from hosting._http import HTML, JSON, LD_JSON, cached_response, negotiate, strong_etag
from hosting._html import render_assertion_page
from hosting._public_service import ImageBytes, PublicReader, Redirect, Revoked, Served
from hosting._state import HostingState

__all__ = ["PublicController"]

_GET_HEAD = [HttpMethod.GET, HttpMethod.HEAD]
_PARAM_DOC = {"public_id": "the resource's public id"}


def _state(request: Request[Any, Any, Any]) -> HostingState:
    state: HostingState = request.app.state.hosting
    return state


def _reader(request: Request[Any, Any, Any]) -> PublicReader:
    reader = _state(request).reader
    assert reader is not None
    return reader


def _json_media_type(request: Request[Any, Any, Any]) -> str:
    fmt = request.query_params.get("format")
    if fmt == "json":
        return JSON
    if fmt in ("jsonld", "json-ld"):
        return LD_JSON
    media = negotiate(request)
    return JSON if media == JSON else LD_JSON if media == LD_JSON else HTML


def _document(request: Request[Any, Any, Any], served: Served, max_age: int) -> Response[Any]:
    media = _json_media_type(request)
    if media == HTML:
        media = LD_JSON
    etag = served.etag if media == LD_JSON else served.etag[:-1] + '-j"'
    return cached_response(request, served.body, media_type=media, etag=etag,
                           last_modified=served.last_modified, max_age=max_age)


def _redirect(request: Request[Any, Any, Any], location: str) -> Response[Any]:
    return Response(content=b"", status_code=301, media_type=LD_JSON,
                    headers={"location": location, "access-control-allow-origin": "*",
                             "cache-control": f"public, max-age={_state(request).settings.assertion_max_age}"})


def _gone(request: Request[Any, Any, Any], revoked: Revoked, body: bytes | None = None,
          media: str = LD_JSON) -> Response[Any]:
    urls = _state(request).urls
    if body is None:
        body = revoked_body(urls.assertion(revoked.public_id), revoked.reason)
        media = JSON if _json_media_type(request) == JSON else LD_JSON
    return cached_response(request, body, media_type=media, etag=strong_etag(body),
                           last_modified=revoked.revoked_at, max_age=_state(request).settings.assertion_max_age,
                           status_code=410)


def _image(request: Request[Any, Any, Any], image: ImageBytes) -> Response[Any]:
    return cached_response(request, image.data, media_type=image.content_type, etag=image.etag,
                           last_modified=image.last_modified,
                           max_age=_state(request).settings.image_max_age, vary_accept=False)


class PublicController(Controller):
    path = "/public"
    tags = ["public"]

    @route("/assertions/{public_id:str}", http_method=_GET_HEAD, summary="Hosted OB 2.0 Assertion")
    async def assertion(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> Response[Any]:
        """The Assertion as JSON-LD (or JSON, or an HTML page); 410 when revoked, 301 when replaced."""
        state = _state(request)
        media = _json_media_type(request)
        if media == HTML:
            return await self._assertion_page(request, public_id)
        result = await _reader(request).assertion(public_id)
        if isinstance(result, Served):
            return _document(request, result, state.settings.assertion_max_age)
        if isinstance(result, Redirect):
            return _redirect(request, state.urls.assertion(result.public_id))
        return _gone(request, result)

    async def _assertion_page(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> Response[Any]:
        state = _state(request)
        page = await _reader(request).assertion_page(public_id)
        if isinstance(page, Redirect):
            return _redirect(request, state.urls.assertion(page.public_id))
        body = render_assertion_page(page, state.urls)
        media = "text/html; charset=utf-8"
        if page.revoked is not None:
            return _gone(request, page.revoked, body, media)
        return cached_response(request, body, media_type=media, etag=strong_etag(body),
                               last_modified=page.assertion.updated_at,
                               max_age=state.settings.assertion_max_age)

    @route("/assertions/{public_id:str}/image", http_method=_GET_HEAD, summary="Baked assertion image")
    async def assertion_image(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> Response[Any]:
        """The badge image with the assertion baked in (PNG or SVG, like the badge image)."""
        result = await _reader(request).baked_image(public_id)
        if isinstance(result, ImageBytes):
            return _image(request, result)
        if isinstance(result, Redirect):
            return _redirect(request, _state(request).urls.assertion_image(result.public_id))
        return _gone(request, result)

    @route("/issuers/{public_id:str}", http_method=_GET_HEAD, summary="OB 2.0 Issuer Profile")
    async def issuer(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> Response[Any]:
        served = await _reader(request).issuer(public_id)
        return _document(request, served, _state(request).settings.document_max_age)

    @route("/issuers/{public_id:str}/image", http_method=_GET_HEAD, summary="Issuer image")
    async def issuer_image(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> Response[Any]:
        return _image(request, await _reader(request).issuer_image(public_id))

    @route("/issuers/{public_id:str}/revocations", http_method=_GET_HEAD, summary="OB 2.0 RevocationList")
    async def revocations(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> Response[Any]:
        served = await _reader(request).revocation_list(public_id)
        return _document(request, served, _state(request).settings.assertion_max_age)

    @route("/badges/{public_id:str}", http_method=_GET_HEAD, summary="OB 2.0 BadgeClass")
    async def badge(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> Response[Any]:
        served = await _reader(request).badge(public_id)
        return _document(request, served, _state(request).settings.document_max_age)

    @route("/badges/{public_id:str}/image", http_method=_GET_HEAD, summary="Badge class image")
    async def badge_image(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> Response[Any]:
        return _image(request, await _reader(request).badge_image(public_id))

    @route("/keys/{public_id:str}", http_method=_GET_HEAD, summary="OB 2.0 CryptographicKey")
    async def key(self, request: Request[Any, Any, Any], public_id: FromPath[str]) -> Response[Any]:
        served = await _reader(request).key(public_id)
        return _document(request, served, _state(request).settings.document_max_age)
