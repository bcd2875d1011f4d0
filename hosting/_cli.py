"""``openbadges-server``: migrate, run, seed-demo."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import click

from hosting._settings import Settings, SettingsError

__all__ = ["cli", "main"]


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        if record.name == "hosting.access":
            return msg
        return json.dumps({"event": "log", "level": record.levelname.lower(), "logger": record.name,
                           "message": msg})


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter())
    root = logging.getLogger("hosting")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def cli() -> None:
    """Host Open Badges: migrate the database, seed demo data, run the server."""
    _configure_logging()


@cli.command()
def migrate() -> None:
    """Apply the database migrations (Alembic) to OPENBADGES_DATABASE_URL."""
    from hosting._db import migrate as _migrate

    settings = _settings()
    _migrate(settings.database_url)
    click.echo("database migrated", err=True)


@cli.command("seed-demo")
@click.option("--slug", default="demo", show_default=True, help="Slug of the demo issuer.")
def seed_demo(slug: str) -> None:
    """Create a demo issuer, badges and assertions; print each public URL on its own line."""
    from hosting._crypto import KeyBox
    from hosting._db import create_engine
    from hosting._demo import demo_urls
    from hosting._demo import seed_demo as _seed
    from hosting._errors import ResourceConflict
    from hosting._urls import PublicUrls

    settings = _settings()
    urls = PublicUrls(settings.base_url)

    async def _run() -> list[tuple[str, str]]:
        from sqlalchemy.ext.asyncio import async_sessionmaker

        engine = create_engine(settings.database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                data = await _seed(session, urls, KeyBox(settings.secret_key), slug=slug)
                await session.commit()
                return demo_urls(data, urls)
        finally:
            await engine.dispose()

    try:
        pairs = asyncio.run(_run())
    except ResourceConflict as exc:
        raise click.ClickException(f"{exc.message} (already seeded? use --slug)") from exc
    for label, url in pairs:
        click.echo(f"{label}: {url}", err=True)
        click.echo(url)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def run(host: str, port: int, workers: int) -> None:
    """Serve the app with uvicorn (graceful shutdown on SIGTERM/SIGINT)."""
    import uvicorn

    _settings()  # fail early with a clear message
    click.echo(f"serving on http://{host}:{port} (docs: http://{host}:{port}/docs)", err=True)
    uvicorn.run("hosting._cli:app_from_env", factory=True, host=host, port=port, workers=workers,
                access_log=False, log_level="warning", timeout_graceful_shutdown=10)


@cli.command("send-notifications")
@click.option("--once", is_flag=True, help="Send what is due now and exit (for cron), instead of polling.")
def send_notifications(once: bool) -> None:
    """Deliver queued recipient emails over SMTP (OPENBADGES_SMTP_*); the app does this itself when SMTP is set."""
    from hosting._db import create_engine
    from hosting._notify import NotificationSender

    settings = _settings()
    if not settings.notifications_enabled:
        raise click.ClickException("notifications are off: set OPENBADGES_SMTP_HOST (and OPENBADGES_SMTP_FROM)")

    async def _run() -> int:
        from sqlalchemy.ext.asyncio import async_sessionmaker

        engine = create_engine(settings.database_url, pool_size=1)
        try:
            sender = NotificationSender(settings, async_sessionmaker(engine, expire_on_commit=False))
            if once:
                return await sender.drain()
            await sender.run(asyncio.Event())
            return 0
        finally:
            await engine.dispose()

    try:
        count = asyncio.run(_run())
    except KeyboardInterrupt:
        return
    click.echo(f"{count} notification(s) attempted", err=True)


def app_from_env() -> object:
    """uvicorn factory: the app for the environment (used by ``run``, also with several workers)."""
    from hosting._app import create_app

    _configure_logging()
    from hosting._api import api_route_handlers

    settings = Settings.from_env()
    return create_app(settings, route_handlers=api_route_handlers())


def _register_api_commands() -> None:
    from hosting._api_cli import register

    register(cli)


_register_api_commands()


def main() -> None:
    cli()
