"""Checks ``openbadges-server run`` makes before it starts uvicorn, so a mistake is one line and exit 2 in the
terminal instead of a traceback in every worker: the database answers, the address is free, the list of
trusted proxies parses."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from sqlalchemy import text

from hosting.app.cli_errors import CliError
from hosting.app.settings import Settings
from hosting.lib.db import create_engine

__all__ = ["check_database", "check_listen", "parse_forwarded_allow_ips"]


def parse_forwarded_allow_ips(value: str) -> list[str]:
    """``--forwarded-allow-ips``: ``*`` or comma-separated IP addresses / networks; anything else is a usage
    error, one line (uvicorn would take an unknown word for a Unix socket name and trust nobody, silently)."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise CliError("--forwarded-allow-ips: give '*' or at least one address or network")
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise CliError(f"--forwarded-allow-ips: not an IP address or network: {item!r}") from exc
    return items


def check_database(settings: Settings) -> None:
    """Open one connection and run ``SELECT 1`` within the connect + statement timeouts; errors propagate
    (the command group turns them into one line)."""

    async def _probe() -> None:
        engine = create_engine(settings.database_url, pool_size=1, limits=settings.db_limits, must_exist=True)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    async def _bounded() -> None:
        await asyncio.wait_for(_probe(), settings.db_connect_timeout + settings.db_statement_timeout)

    asyncio.run(_bounded())


def check_listen(host: str, port: int) -> None:
    """Fail now if ``host:port`` cannot be bound (in use, not an address of this machine)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
