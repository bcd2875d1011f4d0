"""The app factory: wiring only (plugins, the public controllers and the ``/v1`` router, error handlers,
lifespan)."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from sqlalchemy.ext.asyncio import async_sessionmaker

from hosting.api.openapi import API_COMPONENTS
from hosting.api.router import api_router
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
from hosting.lib.crypto import KeyBox
from hosting.lib.db import WriteIntentMiddleware, install_sqlite_pragmas, is_sqlite
from hosting.lib.urls import PublicUrls
from hosting.notify.outbox import NotificationWorker
from hosting.ob3.controllers import Ob3PublicController
from hosting.public.controllers import PublicController
from hosting.public.service import PublicReader

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the Litestar app for ``settings`` (default: :meth:`Settings.from_env`).

    The database engine is created inside the app (on start-up), never shared across event loops.
    The schema is **not** created here: run ``openbadges-server migrate`` (Alembic) first.
    """
    settings = settings or Settings.from_env()
    # SQLite: a fixed pool (no overflow: an overflow connection is opened and closed per request, which costs
    # a thread and the pragmas every time). PostgreSQL: a pool with overflow and pre-ping.
    engine_config = EngineConfig(pool_size=settings.db_pool_size, max_overflow=0) if is_sqlite(
        settings.database_url) else EngineConfig(
        pool_size=settings.db_pool_size, max_overflow=settings.db_pool_size, pool_pre_ping=True
    )
    db_config = SQLAlchemyAsyncConfig(
        connection_string=settings.database_url,
        engine_config=engine_config,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        before_send_handler="autocommit",
        create_all=False,
    )
    state = HostingState(settings=settings, urls=PublicUrls(settings.base_url), keybox=KeyBox(settings.secret_key))

    def _on_startup(app: Litestar) -> None:
        engine = db_config.get_engine()
        install_sqlite_pragmas(engine)
        state.engine = engine
        state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        state.reader = PublicReader(state.sessionmaker, state.urls,
                                    cache_seconds=settings.public_cache_seconds,
                                    cache_entries=settings.public_cache_entries)

    # Recipient emails: a background sender, only when SMTP is configured (see hosting/_notify.py).
    notifier = NotificationWorker(settings) if settings.notifications_enabled else None
    middleware = [DefineMiddleware(AccessLogMiddleware)] if settings.access_log else []
    middleware.append(DefineMiddleware(PublicPreflightMiddleware))
    middleware.append(DefineMiddleware(DocsHtmlHeadersMiddleware))
    middleware.append(DefineMiddleware(WriteIntentMiddleware))
    return Litestar(
        route_handlers=[PublicController, Ob3PublicController, healthz, readyz, hello, docs_redirect, api_router()],
        plugins=[SQLAlchemyPlugin(config=db_config)],
        on_startup=[_on_startup, *([notifier.start] if notifier else [])],
        on_shutdown=[notifier.stop] if notifier else [],
        exception_handlers=exception_handlers,
        middleware=middleware,
        openapi_config=OpenAPIConfig(
            title="openbadges hosting",
            version="0.1.0",
            description="Hosted Open Badges 2.0 documents and images, and the issuer API.",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
            components=API_COMPONENTS,  # the bearer scheme the /v1 operations name (hosting/_api_openapi.py)
        ),
        state=State({"hosting": state}),
        debug=settings.debug,
        logging_config=None,
    )
