"""``openbadges-server create-token`` / ``revoke-token``: API tokens for the issuer API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

__all__ = ["register"]


def register(group: click.Group) -> None:
    group.add_command(create_token_command)
    group.add_command(revoke_token_command)


def _run_in_session(fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from hosting._cli import _settings
    from hosting._db import create_engine

    settings = _settings()

    async def _go() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                result = await fn(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(_go())


@click.command("create-token")
@click.option("--email", required=True, help="The user the token acts for.")
@click.option("--admin", is_flag=True, help="An admin token: sees and may change every issuer.")
@click.option("--scopes", default="issuer:read,issuer:write,assertion:write", show_default=True,
              help="Comma-separated: issuer:read, issuer:write, assertion:write, admin.")
@click.option("--expires-in-days", type=click.IntRange(min=1), default=None, help="Expire after N days.")
def create_token_command(email: str, admin: bool, scopes: str, expires_in_days: int | None) -> None:
    """Create an API token and print it (alone, on stdout). It is stored hashed: this is the only copy."""
    from hosting._api_auth import create_token, parse_scopes

    try:
        scope_list = parse_scopes(scopes)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if "@" not in email:
        raise click.UsageError(f"--email: not an email address: {email!r}")
    expires = timedelta(days=expires_in_days) if expires_in_days else None
    token = _run_in_session(lambda s: create_token(s, email, scopes=scope_list, admin=admin, expires_in=expires))
    click.echo(f"token created for {email.strip().lower()} (scopes: {','.join(scope_list)}"
               f"{', admin' if admin else ''}); store it now, it is not shown again", err=True)
    click.echo(token)


@click.command("revoke-token")
@click.argument("token")
def revoke_token_command(token: str) -> None:
    """Revoke an API token (given in full)."""
    from hosting._api_auth import revoke_token

    if not _run_in_session(lambda s: revoke_token(s, token)):
        raise click.ClickException("no such active token")
    click.echo("token revoked", err=True)
