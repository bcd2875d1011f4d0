"""The BadgeKit API at the root paths of Mozilla's BadgeKit (``/systems/…``): one :class:`~litestar.Router` with
its own auth dependency (a BadgeKit JWT, :mod:`hosting.badgekit.auth`) and BadgeKit's error shapes
(:mod:`hosting.badgekit.errors`); the store and services are ``/v1``'s."""

from __future__ import annotations

from litestar import Router

from hosting.api.deps import compat_router
from hosting.badgekit import badges, codes, instances, issuers, programs, systems
from hosting.badgekit.auth import provide_caller
from hosting.badgekit.errors import exception_handlers
from hosting.badgekit.openapi import document

__all__ = ["badgekit_router"]

_AREAS = (systems, issuers, programs, badges, instances, codes)


def badgekit_router() -> Router:
    """The BadgeKit router (a new one per app)."""
    return compat_router("/", _AREAS, provide_caller=provide_caller, exception_handlers=exception_handlers,
                         decorate=document, tags=["badgekit"])
