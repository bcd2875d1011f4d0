"""The Badgr v2 API (``/v2``): one :class:`~litestar.Router` with its own auth dependency (OAuth2 access tokens
and Badgr scopes, :mod:`hosting.badgr.auth`) and its own exception handlers (Badgr's envelope,
:mod:`hosting.badgr.envelope`); the services are ``/v1``'s (store, lookups, state machine, outbox)."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from hosting.api.deps import compat_router
from hosting.badgr import assertions, badgeclasses, issuers, users
from hosting.badgr.auth import provide_call, provide_caller
from hosting.badgr.envelope import exception_handlers
from hosting.badgr.openapi import BADGR_SECURITY

__all__ = ["badgr_router"]

_AREAS = (issuers, badgeclasses, assertions, users)


def badgr_router() -> Router:
    """The ``/v2`` router (a new one per app)."""
    return compat_router("/v2", _AREAS, provide_caller=provide_caller, exception_handlers=exception_handlers,
                         dependencies={"v2": Provide(provide_call, sync_to_thread=False)},
                         security=BADGR_SECURITY, tags=["badgr v2"])
