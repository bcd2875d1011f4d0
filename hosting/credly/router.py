"""The Credly (Acclaim) API (``/v1/organizations``): one :class:`~litestar.Router` with its own auth dependency
(HTTP Basic with an API token, :mod:`hosting.credly.auth`) and its own exception handlers (Credly's envelope,
:mod:`hosting.credly.envelope`); the services are ``/v1``'s (store, lookups, state machine, outbox, accept links).
Its path shares the ``/v1`` prefix with the native API, whose routes start ``/v1/issuers`` and never collide."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from hosting.api.deps import DEPENDENCIES
from hosting.credly import badges, batch, search, templates
from hosting.credly.auth import provide_credly_principal
from hosting.credly.envelope import exception_handlers

__all__ = ["credly_router"]

def credly_router() -> Router:
    """The ``/v1/organizations`` router (a new one per app). Its routes are in the OpenAPI document (tag
    ``credly``) once documented: each handler's :func:`~hosting.credly.openapi.credly_doc` includes it, the
    router leaves out the others."""
    dependencies = {**DEPENDENCIES, "principal": Provide(provide_credly_principal)}
    handlers = [*batch.ROUTE_HANDLERS, *badges.ROUTE_HANDLERS, *search.ROUTE_HANDLERS, *templates.ROUTE_HANDLERS]
    return Router(path="/v1/organizations", route_handlers=handlers, dependencies=dependencies,
                  exception_handlers=exception_handlers, tags=["credly"], include_in_schema=False)
