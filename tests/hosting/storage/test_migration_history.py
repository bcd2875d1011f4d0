"""Migrations are history: every revision that existed at ``BASELINE`` sends the database the SQL it sent then,
upgrading and downgrading, on SQLite and on PostgreSQL.

The revisions' scripts as they were at ``BASELINE`` come from git (``git show``) into a temporary script folder
next to today's ``env.py``; both folders migrate an empty database up and down through every revision, and every
statement that writes (DDL, data fixes, Alembic's own bookkeeping) is recorded with its parameters. The two
recordings must be equal, statement for statement (to the byte on PostgreSQL; on SQLite up to the orders its batch
mode leaves to chance): a refactor of an old revision, or a change to a helper an old revision calls, cannot change
what it does without failing here.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from conftest import empty_postgres
from sqlalchemy import event

from hosting.storage.migrate import MIGRATIONS, alembic_config, migration_engine

#: main before the migrations' shared columns were factored out (revisions 0001 to 0018, as first written).
BASELINE = "ff294a46d661686ceab4d91680c21fae5a9bdf95"
REPO = Path(__file__).resolve().parents[3]
VERSIONS = "hosting/storage/migrations/versions"
_READ = re.compile(r"(SELECT|PRAGMA [\w.]+(\(|$))")
_CONSTRAINT = re.compile(r"\t(CONSTRAINT|PRIMARY KEY|UNIQUE|FOREIGN KEY|CHECK)\b")
_ORDER_FREE = re.compile(r"(CREATE (UNIQUE )?INDEX|DROP INDEX)\b")


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True,
                          timeout=60).stdout


@pytest.fixture(scope="module")
def baseline_scripts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A script folder: today's ``env.py`` with the revision files as they were at ``BASELINE``."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    try:
        _git("cat-file", "-e", f"{BASELINE}^{{commit}}")
    except subprocess.CalledProcessError:
        pytest.skip(f"not a git checkout holding {BASELINE}")
    root = tmp_path_factory.mktemp("baseline") / "migrations"
    (root / "versions").mkdir(parents=True)
    for name in ("env.py", "script.py.mako"):
        shutil.copy(MIGRATIONS / name, root / name)
    for path in _git("ls-tree", "--name-only", BASELINE, f"{VERSIONS}/").split():
        (root / "versions" / Path(path).name).write_text(_git("show", f"{BASELINE}:{path}"), encoding="utf-8")
    return root


def _recorded(url: str, scripts: Path, steps: list[tuple[str, str]]) -> list[str]:
    """Every statement that writes (with its parameters) sent to the empty database ``url`` while the revisions in
    ``scripts`` take the ``steps`` (``("upgrade" | "downgrade", revision)``), each in one transaction as ``migrate``
    runs them. Reads (reflection, PRAGMA queries) are left out: what they ask depends on set orders in SQLAlchemy,
    and what they find can only matter through the writes."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if not _READ.match(statement.lstrip()):
            sent.append(f"{statement.strip()} -- {parameters!r}")

    async def run(step: str, revision: str) -> None:
        engine = migration_engine(url)
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        cfg = alembic_config(url)
        cfg.set_main_option("script_location", str(scripts))

        def on_connection(sync_conn: Any) -> None:
            cfg.attributes["connection"] = sync_conn
            getattr(command, step)(cfg, revision)

        try:
            async with engine.begin() as conn:
                await conn.run_sync(on_connection)
        finally:
            await engine.dispose()

    for step, revision in steps:
        sent.append(f"-- {step} {revision}")
        asyncio.run(run(step, revision))
    return sent


def _sqlite_canonical(sent: list[str]) -> list[str]:
    """``sent`` without the orders SQLite's batch mode leaves to chance (Alembic rebuilds a table from sets of
    reflected constraints and indexes): a CREATE TABLE's constraints sorted after its columns (which keep their
    order), and each run of consecutive CREATE INDEX or DROP INDEX statements sorted."""
    out: list[str] = []
    for statement in sent:
        if statement.startswith("CREATE TABLE"):
            head, *body = statement.split("\n")
            lines = [line.rstrip(", ") for line in body[:-1]]
            columns = [line for line in lines if not _CONSTRAINT.match(line)]
            statement = "\n".join([head, *columns, *sorted(set(lines) - set(columns)), body[-1]])
        out.append(statement)
    runs: list[list[str]] = []
    for statement in out:
        kind = m.group(1) if (m := _ORDER_FREE.match(statement)) else None
        if kind and runs and runs[-1][0].startswith(kind):
            runs[-1].append(statement)
        else:
            runs.append([statement])
    return [statement for run in runs for statement in sorted(run)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases of one backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'then.db'}", f"sqlite+aiosqlite:///{tmp_path / 'now.db'}"
        return
    with empty_postgres("obhist") as then, empty_postgres("obhist") as now:
        yield then, now


def test_old_revisions_send_the_sql_they_sent_at_the_baseline(baseline_scripts: Path,
                                                              backend: tuple[str, str]) -> None:
    head = ScriptDirectory(str(baseline_scripts)).get_current_head()
    assert head is not None
    then_url, now_url = backend
    sqlite = then_url.startswith("sqlite")
    # Every upgrade and every downgrade. SQLite cannot downgrade from the head past 0003: 0008's downgrade keeps
    # ``assertions.claim_code_id`` (SQLite cannot drop a REFERENCES column in place), and 0003's batch copy of
    # ``assertions`` then cannot reflect the ``claim_codes`` it refers to; 0003 … 0001 go down before 0008 exists.
    steps = ([("upgrade", "0007_users_oauth"), ("downgrade", "base"), ("upgrade", head), ("downgrade", "0003")]
             if sqlite else [("upgrade", head), ("downgrade", "base")])
    then = _recorded(then_url, baseline_scripts, steps)
    now = _recorded(now_url, MIGRATIONS, steps)
    created = {m.group(1) for s in then if (m := re.match(r"CREATE TABLE (\w+)", s))}
    assert {"images", "assertions", "users", "badgekit_programs"} <= created  # the recording saw the DDL
    assert sum(s.startswith("DROP TABLE") for s in then) >= 10
    if sqlite:
        then, now = _sqlite_canonical(then), _sqlite_canonical(now)
    assert now == then
