"""The API explorer (``/docs`` → ``/schema/swagger``) served wholly from the installed packages: Swagger UI's
files come from the ``swagger-ui-bundle-v2`` wheel and are answered by the app under ``/schema/assets/``, so the
page works offline and loads nothing from another origin (no CDN, no favicon, no online validator)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar import Response, get
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.params import FromPath
from litestar.serialization import encode_json
from swagger_ui_bundle import swagger_ui_path

from hosting.lib.errors import NotFound

if TYPE_CHECKING:
    from litestar import Request
    from litestar.router import Router

__all__ = ["ASSET_TYPES", "LocalSwaggerRenderPlugin", "swagger_ui_version"]

# The only files served (the wheel also holds source maps, a demo index.html pointing at the petstore, …).
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
_IMMUTABLE = {"cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff"}


def swagger_ui_version() -> str:
    """The bundled Swagger UI version (part of every asset URL, so a new version is a new URL)."""
    return Path(str(swagger_ui_path)).name.removeprefix("swagger-ui-")


@functools.cache
def _asset(name: str) -> bytes:
    return (Path(str(swagger_ui_path)) / name).read_bytes()


@get("/assets/{version:str}/{name:str}", include_in_schema=False, sync_to_thread=False)
def swagger_asset(version: FromPath[str], name: FromPath[str]) -> Response[bytes]:
    """One Swagger UI file from the installed wheel (allow-listed), cached for a year."""
    if version != swagger_ui_version() or name not in ASSET_TYPES:
        raise NotFound("no such API explorer asset")
    return Response(_asset(name), media_type=ASSET_TYPES[name], headers=_IMMUTABLE)


class LocalSwaggerRenderPlugin(SwaggerRenderPlugin):
    """Litestar's Swagger UI page with every URL on this origin, and the online validator off."""

    def __init__(self, path: str = "/swagger") -> None:
        super().__init__(path=path)

    def _asset_url(self, request: Request[Any, Any, Any], name: str) -> str:
        config = request.app.openapi_config
        base = str(request.scope.get("root_path", "")) + str(config.path if config else "/schema")
        return f"{base.rstrip('/')}/assets/{swagger_ui_version()}/{name}"

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        css, js, preset, icon = (self._asset_url(request, n) for n in (
            "swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"))
        title = str(openapi_schema["info"]["title"]).replace("&", "&amp;").replace("<", "&lt;")
        head = (f'<!DOCTYPE html><html><head><title>{title}</title><meta charset="utf-8"/>'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f'<link rel="icon" type="image/png" href="{icon}">'
                f'<link href="{css}" rel="stylesheet"><script src="{js}"></script>'
                f'<script src="{preset}"></script>{self.style}</head>')
        # The schema is inline JSON; "</" is escaped so no string in it can close the <script>.
        spec = self.render_json(request, openapi_schema).replace(b"</", b"<\\/")
        body = b"".join([
            b"<body><div id='swagger-container'></div><script>const ui = SwaggerUIBundle({spec: ", spec,
            (b", dom_id: '#swagger-container', validatorUrl: null, deepLinking: true, showExtensions: true,"
             b" showCommonExtensions: true,"
             b" presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]});"
             b" ui.initOAuth("), encode_json(self.init_oauth), b");</script></body></html>",
        ])
        return head.encode() + body

    def receive_router(self, router: Router) -> None:
        super().receive_router(router)
        router.register(swagger_asset)
