"""``openbadges-server``: migrate, run, seed-demo, send-notifications, create-token, revoke-token, create-user,
create-oauth-client, create-badgekit-key."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.app.cli_errors import OneLineErrors
from hosting.app.logs import configure_logging
from hosting.app.preflight import check_database, check_listen, parse_forwarded_allow_ips
from hosting.app.settings import Settings, SettingsError

__all__ = ["cli", "main"]

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


# OneLineErrors: every failure is one line on stderr with exit status 2 (hosting/app/cli_errors.py).
@click.group(cls=OneLineErrors)
@click.version_option(package_name="openbadges", prog_name="openbadges-server")
def cli() -> None:
    """Host Open Badges: migrate the database, seed demo data, run the server."""
    configure_logging()


@cli.command()
def migrate() -> None:
    """Apply the database migrations (Alembic) to OPENBADGES_DATABASE_URL."""
    from hosting.storage.migrate import migrate as _migrate

    settings = _settings()
    _migrate(settings.database_url)
    click.echo("database migrated", err=True)


@cli.command("seed-demo")
@click.option("--slug", default="demo", show_default=True, help="Slug of the demo issuer.")
def seed_demo(slug: str) -> None:
    """Create a demo issuer, badges and assertions; print each public URL on its own line (stdout), and on
    stderr the labelled URLs and a ready-to-paste ``openbadges verify`` line per demo badge."""
    from hosting.app.demo import DemoCheck, demo_urls, demo_verify_commands
    from hosting.app.demo import seed_demo as _seed
    from hosting.lib.crypto import KeyBox
    from hosting.lib.db import create_engine
    from hosting.lib.errors import Conflict
    from hosting.lib.urls import PublicUrls

    settings = _settings()
    urls = PublicUrls(settings.base_url)

    async def _run() -> tuple[list[tuple[str, str]], list[DemoCheck]]:
        from sqlalchemy.ext.asyncio import async_sessionmaker

        engine = create_engine(settings.database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                data = await _seed(session, urls, KeyBox(settings.secret_key), slug=slug)
                await session.commit()
                return demo_urls(data, urls), demo_verify_commands(data, urls)
        finally:
            await engine.dispose()

    try:
        pairs, checks = asyncio.run(_run())
    except Conflict as exc:
        raise click.ClickException(f"{exc.message} (already seeded? use --slug)") from exc
    for label, url in pairs:
        click.echo(f"{label}: {url}", err=True)
        click.echo(url)
    click.echo("\nVerify the demo badges (ready to paste; exit 0 = valid, 1 = not valid):", err=True)
    for check in checks:
        click.echo(f"# {check.label}: expect {check.expect.upper()}", err=True)
        click.echo(check.command, err=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option("--timeout-keep-alive", default=5, show_default=True, type=click.IntRange(min=1),
              help="Seconds an idle keep-alive connection is kept open.")
@click.option("--limit-concurrency", default=200, show_default=True, type=click.IntRange(min=1),
              help="Connections and tasks at once per worker; beyond it new requests get 503.")
@click.option("--max-header-bytes", default=16384, show_default=True, type=click.IntRange(min=1024),
              help="Largest request head (request line and headers) h11 buffers; larger is refused.")
@click.option("--proxy-headers/--no-proxy-headers", default=False, show_default=True,
              help="Trust X-Forwarded-For/-Proto (client address, https) from --forwarded-allow-ips.")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True,
              help="Comma-separated addresses or networks (CIDR) of the reverse proxies, or '*'.")
def run(host: str, port: int, workers: int, timeout_keep_alive: int, limit_concurrency: int,
        max_header_bytes: int, proxy_headers: bool, forwarded_allow_ips: str) -> None:
    """Serve the app with uvicorn (graceful shutdown on SIGTERM/SIGINT). See docs/operations.md and
    docs/deployment.md."""
    import uvicorn

    from hosting.lib.db import sqlite_path

    settings = _settings()  # fail early with a clear message
    path = sqlite_path(settings.database_url)
    if path is not None and not path.is_file():
        raise click.ClickException(f"the SQLite database {path} does not exist: run `openbadges-server migrate`")
    allowed = parse_forwarded_allow_ips(forwarded_allow_ips)  # a bad list: one line here, not a worker crash
    check_database(settings)  # a bad or unreachable database is one line and exit 2, before any worker starts
    check_listen(host, port)
    click.echo(f"serving on http://{host}:{port} with {workers} worker(s) (docs: http://{host}:{port}/docs)",
               err=True)
    uvicorn.run("hosting.app.cli:app_from_env", factory=True, host=host, port=port, workers=workers,
                access_log=False, log_level="warning", timeout_graceful_shutdown=10,
                timeout_keep_alive=timeout_keep_alive, limit_concurrency=limit_concurrency,
                h11_max_incomplete_event_size=max_header_bytes, proxy_headers=proxy_headers,
                forwarded_allow_ips=allowed)


@cli.command("send-notifications")
@click.option("--once", is_flag=True, help="Send what is due now and exit (for cron), instead of polling.")
def send_notifications(once: bool) -> None:
    """Deliver queued recipient emails over SMTP (OPENBADGES_SMTP_*); the app does this itself when SMTP is set."""
    from hosting.lib.db import create_engine
    from hosting.notify.outbox import NotificationSender

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
            # SIGTERM (docker stop, systemd) and SIGINT end the loop after the batch in flight.
            stop = asyncio.Event()
            for signum in (signal.SIGTERM, signal.SIGINT):
                asyncio.get_running_loop().add_signal_handler(signum, stop.set)
            await sender.run(stop)
            return -1
        finally:
            await engine.dispose()

    try:
        count = asyncio.run(_run())
    except KeyboardInterrupt:
        return
    click.echo("notification sender stopped" if count < 0 else f"{count} notification(s) attempted", err=True)


def app_from_env() -> object:
    """uvicorn factory: the app for the environment (used by ``run``, also with several workers)."""
    from hosting.app.factory import create_app

    configure_logging()
    return create_app(Settings.from_env())


def _run_in_session(fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from hosting.lib.db import create_engine, take_public_changes
    from hosting.public.invalidation import announce_public_changes

    settings = _settings()

    async def _go() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                result = await fn(session)
                # a command that changes public answers: the running servers evict them (on COMMIT)
                await announce_public_changes(session, take_public_changes(session))
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(_go())


@cli.command("create-token")
@click.option("--email", required=True, help="The user the token acts for.")
@click.option("--admin", is_flag=True, help="An admin token: sees and may change every issuer.")
@click.option("--scopes", default="issuer:read,issuer:write,assertion:write", show_default=True,
              help="Comma-separated: issuer:read, issuer:write, assertion:write, admin.")
@click.option("--expires-in-days", type=click.IntRange(min=1), default=None, help="Expire after N days.")
def create_token_command(email: str, admin: bool, scopes: str, expires_in_days: int | None) -> None:
    """Create an API token and print it (alone, on stdout). It is stored hashed: this is the only copy."""
    from hosting.api.auth import create_token, parse_scopes
    from hosting.lib.body import normalise_email

    try:
        scope_list = parse_scopes(scopes)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if "@" not in email:
        raise click.UsageError(f"--email: not an email address: {email!r}")
    expires = timedelta(days=expires_in_days) if expires_in_days else None
    token = _run_in_session(lambda s: create_token(s, email, scopes=scope_list, admin=admin, expires_in=expires))
    click.echo(f"token created for {normalise_email(email)} (scopes: {','.join(scope_list)}"
               f"{', admin' if admin else ''}); store it now, it is not shown again", err=True)
    click.echo(token)


@cli.command("revoke-token")
@click.argument("token")
def revoke_token_command(token: str) -> None:
    """Revoke an API token (given in full)."""
    from hosting.api.auth import revoke_token

    if not _run_in_session(lambda s: revoke_token(s, token)):
        raise click.ClickException("no such active token")
    click.echo("token revoked", err=True)


@cli.command("create-user")
@click.option("--email", required=True, help="The user's email (unique, compared case-insensitively).")
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the password from standard input (first line); it never appears in argv.")
@click.option("--first-name", default="", help="First name.")
@click.option("--last-name", default="", help="Last name.")
@click.option("--admin", is_flag=True, help="A server administrator (may be granted rw:serverAdmin).")
def create_user_command(email: str, password_stdin: bool, first_name: str, last_name: str, admin: bool) -> None:
    """Create a user account (password hashed with Argon2id). Roles on issuers are the issuer staff roles."""
    import sys

    from hosting.lib.errors import HostingError
    from hosting.oauth.accounts import create_user

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = _run_in_session(lambda s: create_user(s, email, password, first_name=first_name,
                                                     last_name=last_name, admin=admin))
    except HostingError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"user {user.email} created{' (admin)' if admin else ''}", err=True)


@cli.command("create-oauth-client")
@click.option("--client-id", required=True, help="The client's id (what clients send as client_id).")
@click.option("--public", is_flag=True, help="A public client: no secret (PKCE required for the code grant).")
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="An allowed redirect URI (repeatable; exact match).")
@click.option("--scopes", default="rw:issuer rw:profile r:profile", show_default=True,
              help="Scopes the client may ask for (space-separated).")
@click.option("--grant-types", default="password refresh_token", show_default=True,
              help="Space- or comma-separated: password, refresh_token, authorization_code, client_credentials.")
@click.option("--user", "user_email", default=None, help="The user client_credentials tokens act for.")
@click.option("--name", default="", help="Shown on the consent page.")
def create_oauth_client_command(client_id: str, public: bool, redirect_uris: tuple[str, ...], scopes: str,
                                grant_types: str, user_email: str | None, name: str) -> None:
    """Register an OAuth2 client; prints its id and, for a confidential client, its secret (shown once)."""
    from hosting.lib.errors import HostingError
    from hosting.oauth.accounts import create_client

    try:
        made = _run_in_session(lambda s: create_client(
            s, client_id, public=public, redirect_uris=redirect_uris, scopes=scopes,
            grant_types=grant_types.replace(",", " ").split(), user_email=user_email, name=name))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    except HostingError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"client_id: {made.client.client_id}")
    if made.secret is not None:
        click.echo(f"client_secret: {made.secret}")
        click.echo("store the secret now, it is not shown again", err=True)


@cli.command("create-badgekit-key")
@click.option("--key", "name", default="master", show_default=True, help="The key's name (the JWT's key claim).")
@click.option("--system", "system", default=None, help="Bind the key to this system's slug (default: every system).")
def create_badgekit_key_command(name: str, system: str | None) -> None:
    """Create a BadgeKit API key and print its secret (alone, on stdout); it is stored encrypted."""
    from hosting.badgekit.auth import create_key
    from hosting.lib.crypto import KeyBox
    from hosting.lib.errors import HostingError

    keybox = KeyBox(_settings().secret_key)
    try:
        secret = _run_in_session(lambda s: create_key(s, keybox, name, system))
    except HostingError as exc:
        raise click.UsageError(exc.message) from exc
    click.echo(f"BadgeKit key {name!r} created ({'system ' + system if system else 'every system'}); "
               "store the secret now", err=True)
    click.echo(secret)


def main() -> None:
    cli()
