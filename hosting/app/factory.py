"""The app factory: wiring only (plugins, the public controllers, the ``/v1`` and ``/v2`` routers, the OAuth2
server's ``/o`` routes, error handlers, lifespan)."""

from __future__ import annotations

import gc
import logging
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from sqlalchemy.ext.asyncio import async_sessionmaker

from hosting.api.assertions.inputs import MAX_BATCH_BODY_BYTES
from hosting.api.openapi import API_COMPONENTS
from hosting.api.router import api_router
from hosting.app.apidocs import LocalSwaggerRenderPlugin
from hosting.app.errors import exception_handlers
from hosting.app.ops import (
    AccessLogMiddleware,
    DocsHtmlHeadersMiddleware,
    PublicPreflightMiddleware,
    docs_redirect,
    healthz,
    hello,
    readyz,
)
from hosting.app.settings import Settings
from hosting.app.state import HostingState
from hosting.app.transaction import SessionScopeMiddleware, provide_db_session
from hosting.badgekit.openapi import BADGEKIT_COMPONENTS
from hosting.badgekit.root import ROOT_HANDLERS as BADGEKIT_ROOT
from hosting.badgekit.router import badgekit_router
from hosting.badgr.envelope import unrouted_v2
from hosting.badgr.openapi import BADGR_COMPONENTS
from hosting.badgr.router import badgr_router
from hosting.credly.openapi import CREDLY_COMPONENTS
from hosting.credly.router import credly_router
from hosting.earners.pages import earner_router
from hosting.lib.body import MAX_FIELDS
from hosting.lib.crypto import KeyBox
from hosting.lib.db import WriteIntentMiddleware, create_engine, sqlite_path
from hosting.lib.prefetch import BodyPrefetchMiddleware
from hosting.lib.urls import PublicUrls
from hosting.notify.outbox import NotificationWorker
from hosting.oauth.controllers import oauth_routers
from hosting.ob3.controllers import Ob3PublicController
from hosting.public.controllers import PublicController
from hosting.public.invalidation import Invalidation
from hosting.public.rows import StoredRows
from hosting.public.service import PublicReader

__all__ = ["create_app"]

_log = logging.getLogger("hosting")


def _version() -> str:
    try:
        return package_version("openbadges")
    except PackageNotFoundError:  # a source tree on sys.path, not installed
        return "0+unknown"


def _freeze_startup_objects(app: Litestar) -> None:
    """The last start-up hook: move everything alive now (modules, classes, the app and its routes, the engine:
    ~180,000 objects, alive as long as the server) out of the cyclic garbage collector's sight (:func:`gc.freeze`).
    A full collection then walks only what requests made: measured, one went from 0.16-0.18 s of CPU (a stall of
    every request in flight: the p99 at 64 connections; a 10,000-assertion batch triggers two) to a few ms. The
    price, a frozen object that becomes cyclic garbage is not freed, lasts until :func:`gc.unfreeze` at shutdown
    (tests start and stop many apps in one process)."""
    gc.collect(1)  # the young garbage of start-up is not kept for the server's life
    gc.freeze()


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the Litestar app for ``settings`` (default: :meth:`Settings.from_env`).

    The database engine is created inside the app (on start-up), never shared across event loops.
    The schema is **not** created here: run ``openbadges-server migrate`` (Alembic) first.
    """
    settings = settings or Settings.from_env()
    state = HostingState(settings=settings, urls=PublicUrls(settings.base_url), keybox=KeyBox(settings.secret_key))

    invalidation: list[Invalidation] = []

    def _on_startup(app: Litestar) -> None:
        # The engine (pool sizes and timeouts per backend: hosting/lib/db.py). A SQLite file is opened mode=rw:
        # a missing file is reported here and answered 503, never replaced by a new empty database.
        path = sqlite_path(settings.database_url)
        if path is not None and not path.is_file():
            _log.error("the SQLite database %s does not exist: run `openbadges-server migrate` first; "
                       "requests are answered 503 until it exists", path)
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size, limits=settings.db_limits,
                               must_exist=True)
        state.engine = engine
        state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        state.reader = PublicReader(state.sessionmaker, state.urls,
                                    cache_seconds=settings.public_cache_seconds,
                                    cache_entries=settings.public_cache_entries,
                                    rows=StoredRows(settings.database_url, limits=settings.db_limits))
        # Changes committed by other processes evict this one's cache within 1 s (hosting/public/invalidation.py).
        invalidation.append(Invalidation(engine, settings.database_url, state.reader))

    async def _start_invalidation(app: Litestar) -> None:
        for signal in invalidation:
            await signal.start()

    async def _on_shutdown(app: Litestar) -> None:
        while invalidation:
            await invalidation.pop().stop()
        if state.reader is not None:
            await state.reader.close()
        if state.engine is not None:
            await state.engine.dispose()
        gc.unfreeze()  # what start-up froze may become garbage now (tests start and stop many apps)

    # Recipient emails: a background sender, only when SMTP is configured (see hosting/_notify.py).
    notifier = NotificationWorker(settings) if settings.notifications_enabled else None
    middleware = [DefineMiddleware(AccessLogMiddleware)] if settings.access_log else []
    middleware.append(DefineMiddleware(PublicPreflightMiddleware))
    middleware.append(DefineMiddleware(DocsHtmlHeadersMiddleware))
    middleware.append(DefineMiddleware(BodyPrefetchMiddleware, timeout=settings.body_timeout,
                                       max_bytes=MAX_BATCH_BODY_BYTES))  # the largest body any route takes
    middleware.append(DefineMiddleware(WriteIntentMiddleware))
    middleware.append(DefineMiddleware(SessionScopeMiddleware))
    return Litestar(
        route_handlers=[PublicController, Ob3PublicController, healthz, readyz, hello, docs_redirect, *BADGEKIT_ROOT,
                        api_router(), badgr_router(), credly_router(), badgekit_router(), *oauth_routers(settings),
                        earner_router(settings)],
        # The request's unit of work: committed before the response is sent (hosting/app/transaction.py).
        dependencies={"db_session": Provide(provide_db_session)},
        on_startup=[_on_startup, _start_invalidation, *([notifier.start] if notifier else []),
                    _freeze_startup_objects],
        on_shutdown=[*([notifier.stop] if notifier else []), _on_shutdown],
        # Unrouted ``/v2`` paths (404, 405) answer in Badgr's envelope; the rest as the app does.
        exception_handlers={**exception_handlers, HTTPException: unrouted_v2(exception_handlers[HTTPException])},
        middleware=middleware,
        multipart_form_part_limit=MAX_FIELDS,
        openapi_config=OpenAPIConfig(
            title="openbadges hosting",
            version=_version(),
            description="Hosted Open Badges 2.0 documents and images, and the issuer API.",
            path="/schema",
            render_plugins=[LocalSwaggerRenderPlugin()],  # served offline (hosting/app/apidocs.py)
            # the bearer scheme the /v1 operations name, the OAuth2 scheme of /v2, Basic for the Credly API,
            # BadgeKit's signed JWT
            components=[API_COMPONENTS, BADGR_COMPONENTS, CREDLY_COMPONENTS, BADGEKIT_COMPONENTS],
        ),
        state=State({"hosting": state}),
        debug=settings.debug,
        logging_config=None,
    )
