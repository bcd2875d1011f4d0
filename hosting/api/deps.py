"""What the ``/v1`` handlers receive by injection (declared once, on the router): the caller, the shared
state, the public URLs and the store bound to the request's database session."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from litestar import Request, Router
from litestar.di import NamedDependency, Provide
from litestar.types import ExceptionHandlersMap
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.auth import Principal, provide_principal
from hosting.app.state import HostingState, hosting_state
from hosting.lib.urls import PublicUrls
from hosting.storage.store import HostingStore

__all__ = ["DEPENDENCIES", "Caller", "Db", "Hosting", "Store", "Urls", "compat_router"]

# The injected values a handler asks for, named explicitly (Litestar 3 drops inferred dependencies): the
# parameter's name picks the dependency, the alias gives its type.
Db = NamedDependency[AsyncSession]  # db_session: the request's session (the app's SQLAlchemy plugin)
Caller = NamedDependency[Principal]  # principal (/v1), caller (Credly): who is calling, with which scopes
Hosting = NamedDependency[HostingState]  # hosting: the app's settings, URLs, key box and engine
Store = NamedDependency[HostingStore]  # store: the store bound to db_session
Urls = NamedDependency[PublicUrls]  # urls: the public URLs


def _provide_hosting(request: Request[Any, Any, Any]) -> HostingState:
    return hosting_state(request)


def _provide_urls(hosting: Hosting) -> PublicUrls:
    return hosting.urls


def _provide_store(hosting: Hosting, db_session: Db) -> HostingStore:
    settings = hosting.settings
    return HostingStore(db_session, hosting.urls, hosting.keybox, max_image_bytes=settings.max_image_bytes)


DEPENDENCIES: dict[str, Any] = {
    "principal": Provide(provide_principal),
    "hosting": Provide(_provide_hosting, sync_to_thread=False),
    "urls": Provide(_provide_urls, sync_to_thread=False),
    "store": Provide(_provide_store, sync_to_thread=False),
}


def compat_router(path: str, areas: Iterable[ModuleType], *, provide_caller: Callable[..., Any],
                  exception_handlers: ExceptionHandlersMap, decorate: Callable[[Any], Any] | None = None,
                  dependencies: dict[str, Provide] | None = None, **options: Any) -> Router:
    """The router of a compatibility API: the ``ROUTE_HANDLERS`` of each of its ``areas`` (modules), each passed
    through ``decorate`` if given (e.g. to add its OpenAPI description), ``/v1``'s dependencies (store, state,
    URLs) with the API's own ``caller`` (from ``provide_caller``) in place of ``/v1``'s principal, plus its own
    ``dependencies``, and the API's exception handlers; ``options`` go to :class:`~litestar.Router` (tags,
    security …)."""
    handlers: list[Any] = [decorate(handler) if decorate else handler
                           for area in areas for handler in area.ROUTE_HANDLERS]
    provided = {name: dep for name, dep in DEPENDENCIES.items() if name != "principal"}
    provided["caller"] = Provide(provide_caller)
    return Router(path=path, route_handlers=handlers, dependencies={**provided, **(dependencies or {})},
                  exception_handlers=exception_handlers, **options)
