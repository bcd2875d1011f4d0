"""The issuer API (``/v1``): one :class:`~litestar.Router` carrying what every handler depends on.

Each area (issuers, staff, keys, badges, assertions, listing) exports ``ROUTE_HANDLERS`` with paths relative to
``/v1``; the router provides ``principal`` (the bearer token's user, with the scope the handler declares in
``opt={"scope": ...}`` checked once), ``state``, ``urls`` and ``store``. See ``docs/architecture.md``.
"""

from __future__ import annotations

from typing import Any

from litestar import Router

from hosting.api import codes, issuers, keys, staff
from hosting.api.assertions import controllers as assertions
from hosting.api.badges import controllers as badges
from hosting.api.deps import DEPENDENCIES
from hosting.api.listing import controllers as listing

__all__ = ["api_router"]

# Order matters once: the listing's plain GET handler shares its path with the assertions' controller, and
# Litestar accepts a handler function after a controller on one path, not before it.
_AREAS = (issuers, staff, keys, badges, codes, assertions, listing)


def api_router() -> Router:
    """The ``/v1`` router (a new one per app: Litestar binds a router to the app it is registered on)."""
    handlers: list[Any] = [handler for area in _AREAS for handler in area.ROUTE_HANDLERS]
    return Router(path="/v1", route_handlers=handlers, dependencies=DEPENDENCIES)
