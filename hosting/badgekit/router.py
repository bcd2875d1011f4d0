"""The BadgeKit API at the root paths of Mozilla's BadgeKit (``/systems/…``): one :class:`~litestar.Router` with
its own auth dependency (a BadgeKit JWT, :mod:`hosting.badgekit.auth`) and BadgeKit's error shapes
(:mod:`hosting.badgekit.errors`); the store and services are ``/v1``'s."""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar.di import Provide

from hosting.api.deps import DEPENDENCIES
from hosting.badgekit import badges, codes, instances, issuers, programs, systems
from hosting.badgekit.auth import provide_caller
from hosting.badgekit.errors import exception_handlers
from hosting.badgekit.openapi import document

__all__ = ["badgekit_router"]

_AREAS = (systems, issuers, programs, badges, instances, codes)


def badgekit_router() -> Router:
    """The BadgeKit router (a new one per app)."""
    handlers: list[Any] = [document(handler) for area in _AREAS for handler in area.ROUTE_HANDLERS]
    dependencies = {name: dep for name, dep in DEPENDENCIES.items() if name != "principal"}
    dependencies["caller"] = Provide(provide_caller)
    return Router(path="/", route_handlers=handlers, dependencies=dependencies,
                  exception_handlers=exception_handlers, tags=["badgekit"])
