"""``GET /`` for BadgeKit clients: a request carrying a BadgeKit JWT (``Authorization: JWT token="…"``) is
answered ``{"app": "BadgeKit API", "version": <server version>}`` once the token checks out (BadgeKit's error
shapes otherwise); any other request to ``/`` keeps the app's answer (404, as an unrouted path), every method."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, route
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.exceptions import NotFoundException
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.app.state import hosting_state
from hosting.badgekit.auth import is_badgekit_request, provide_caller
from hosting.badgekit.errors import render_error
from hosting.badgekit.openapi import ROOT_DOC
from hosting.lib.errors import HostingError

__all__ = ["ROOT_HANDLERS"]


@get("/", **ROOT_DOC)
async def badgekit_root(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Response[Any]:
    """BadgeKit clients ping the root with a signed GET; others get the app's 404 unchanged."""
    if not is_badgekit_request(request):
        raise NotFoundException()
    try:
        await provide_caller(request, db_session, hosting_state(request))
    except HostingError as exc:
        return render_error(request, exc)
    version = request.app.openapi_config.version if request.app.openapi_config else "0+unknown"
    return Response({"app": "BadgeKit API", "version": version}, headers={"cache-control": "no-store"})


@route("/", http_method=[method for method in HttpMethod if method != HttpMethod.GET], include_in_schema=False)
async def root_other_methods() -> None:
    """The other methods on ``/`` answer as before the BadgeKit ``GET /`` existed: an unrouted 404."""
    raise NotFoundException()


ROOT_HANDLERS: list[Any] = [root_other_methods, badgekit_root]  # first: its OPTIONS replaces the automatic one
