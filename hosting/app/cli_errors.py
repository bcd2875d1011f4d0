"""How ``openbadges-server`` fails: one line on stderr and exit status 2, never a traceback.

:class:`OneLineErrors` is the command group's class: whatever a command raises (a bad or unreachable database
URL, a file it cannot write, bad settings, a missing server dependency) is turned into :class:`CliError` with a
sentence saying what is wrong. ``OPENBADGES_DEBUG=1`` lets unexpected errors through with their traceback.
Database URLs are shown without their password.
"""

from __future__ import annotations

import os
from typing import IO, Any

import click
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from hosting.app.install import EXIT_ERROR, MISSING_SERVER_EXTRA
from hosting.lib.db import is_unavailable_error

__all__ = ["EXIT_ERROR", "MISSING_SERVER_EXTRA", "CliError", "OneLineErrors", "describe_error", "redact_url"]

_URL_EXAMPLES = "e.g. postgresql+asyncpg://user@host/db or sqlite+aiosqlite:///openbadges.db"


class CliError(click.ClickException):
    """A failed command: ``openbadges-server: error: <message>`` on stderr, exit status 2."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))  # one line, whatever the cause's text held

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"openbadges-server: error: {self.format_message()}", err=True)


def redact_url(url: str) -> str:
    """``url`` with its password masked (or a placeholder when it does not parse)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (sa_exc.ArgumentError, ValueError):
        return "(unparsable URL)"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def describe_error(exc: BaseException, database_url: str | None = None) -> str:
    """One sentence for ``exc`` as a user of the command should read it."""
    url = database_url if database_url is not None else os.environ.get("OPENBADGES_DATABASE_URL", "")
    shown = redact_url(url) if url else "the default database"
    if isinstance(exc, ModuleNotFoundError):
        name = (exc.name or "").partition(".")[0]
        if name in {"psycopg2", "psycopg", "pysqlite2", "sqlite3", "pymysql", "MySQLdb"}:
            return f"OPENBADGES_DATABASE_URL must name an async driver ({_URL_EXAMPLES}), got {shown}"
        return MISSING_SERVER_EXTRA.format(module=exc.name)
    if isinstance(exc, sa_exc.NoSuchModuleError):
        return f"OPENBADGES_DATABASE_URL names an unknown database driver ({_URL_EXAMPLES}), got {shown}"
    if isinstance(exc, sa_exc.ArgumentError):
        # SQLAlchemy's message repeats the whole URL, password included: not shown.
        return f"OPENBADGES_DATABASE_URL is not a database URL ({_URL_EXAMPLES})"
    if isinstance(exc, sa_exc.InvalidRequestError) and "async" in str(exc).lower():
        return f"OPENBADGES_DATABASE_URL must name an async driver ({_URL_EXAMPLES}), got {shown}"
    if isinstance(exc, sa_exc.DBAPIError):
        cause = _first_line(exc.orig) if exc.orig is not None else _first_line(exc)
        return f"cannot use the database {shown}: {cause}"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"cannot write or open {exc.filename}: {exc.strerror or _first_line(exc)}"
    if is_unavailable_error(exc) or type(exc).__module__.startswith("asyncpg"):
        return f"cannot reach the database {shown}: {_first_line(exc)}"
    return f"{type(exc).__name__}: {_first_line(exc)} (OPENBADGES_DEBUG=1 shows the traceback)"


class OneLineErrors(click.Group):
    """A command group whose commands fail with :class:`CliError` (one line, exit 2) whatever they raise."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort, click.UsageError, CliError):
            raise
        except click.ClickException as exc:
            raise CliError(exc.format_message()) from exc
        except Exception as exc:
            if os.environ.get("OPENBADGES_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
                raise
            raise CliError(describe_error(exc)) from exc

