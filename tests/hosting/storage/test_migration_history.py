"""Migrations are history: every revision that existed at ``BASELINE`` sends the database the SQL it sent then,
upgrading and downgrading, on SQLite and on PostgreSQL, except the steps ``CHANGED_ON_PURPOSE`` lists.

The revisions' scripts as they were at ``BASELINE`` come from git (``git show``) into a temporary script folder
next to today's ``env.py``; both folders migrate an empty database up and down through every revision, one
revision a transaction, and every statement that writes (DDL, data fixes, Alembic's own bookkeeping) is recorded
with its parameters, step by step. Each step's two recordings must be equal, statement for statement (to the byte
on PostgreSQL; on SQLite up to the orders its batch mode leaves to chance), the upgrades and the downgrades checked
by a test each: a refactor of an old revision, or a change to a helper an old revision calls, cannot change what it
does without failing here. A deliberate change goes into ``CHANGED_ON_PURPOSE`` with its reason (and
``test_migration_round_trip.py`` checks the schema it leaves).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

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


#: The steps (backend, "upgrade" | "downgrade", revision) whose SQL differs from ``BASELINE`` on purpose, each with a
#: comment saying why.
CHANGED_ON_PURPOSE: frozenset[tuple[str, str, str]] = frozenset({
    # SQLite: the downgrade drops ``assertions.claim_code_id`` by a batch-mode table copy. At the baseline the
    # column stayed (SQLite cannot drop a REFERENCES column in place), referring to the dropped ``claim_codes``:
    # the schema was not 0007's, and 0003's batch copy of ``assertions`` then failed (it cannot reflect the missing
    # table), so no SQLite database that had been at 0008 could go down past 0003.
    ("sqlite", "downgrade", "0008_earners"),
})


class Step(NamedTuple):
    """One revision applied or undone: ``command.<direction>(config, target)``."""

    direction: str  # "upgrade" | "downgrade"
    revision: str
    target: str


def _steps(scripts: Path, targets: list[str]) -> list[Step]:
    """One step a revision, from an empty database through each of ``targets`` in turn."""
    order = ["base", *reversed([s.revision for s in ScriptDirectory(str(scripts)).walk_revisions()])]
    steps: list[Step] = []
    at = 0
    for target in targets:
        to = order.index(target)
        while at < to:
            at += 1
            steps.append(Step("upgrade", order[at], order[at]))
        while at > to:
            steps.append(Step("downgrade", order[at], order[at - 1]))
            at -= 1
    return steps


def _recorded(url: str, scripts: Path, steps: list[Step]) -> list[list[str]]:
    """Every statement that writes (with its parameters) sent to the empty database ``url`` while the revisions in
    ``scripts`` take the ``steps``, each in one transaction as ``migrate`` runs them; one list a step. Reads
    (reflection, PRAGMA queries) are left out: what they ask depends on set orders in SQLAlchemy, and what they find
    can only matter through the writes."""
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

    recorded: list[list[str]] = []
    for step in steps:
        sent.clear()
        asyncio.run(run(step.direction, step.target))
        recorded.append(list(sent))
    return recorded


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


class Recordings:
    """One backend's recordings: the steps taken, what the baseline's scripts sent and what today's sent."""

    def __init__(self, backend: str, steps: list[Step], then: list[list[str]], now: list[list[str]]) -> None:
        canonical = _sqlite_canonical if backend == "sqlite" else list
        self.backend, self.steps = backend, steps
        self.then, self.now = [canonical(s) for s in then], [canonical(s) for s in now]

    def sent(self, direction: str) -> list[str]:
        """Everything the baseline's scripts sent in the steps going ``direction``."""
        return [s for step, sent in zip(self.steps, self.then, strict=True) if step.direction == direction
                for s in sent]

    def check(self, direction: str) -> None:
        """Each step going ``direction`` sent what it sent at the baseline, or differs and is ``CHANGED_ON_PURPOSE``
        (an entry that no longer differs must go)."""
        changed: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
        for step, then, now in zip(self.steps, self.then, self.now, strict=True):
            if step.direction == direction and now != then:
                changed.setdefault((direction, step.revision), (then, now))
        allowed = {(d, r) for b, d, r in CHANGED_ON_PURPOSE if b == self.backend and d == direction}
        unexpected = []
        for (d, revision), (then, now) in changed.items():
            if (d, revision) not in allowed:
                first = next((i for i, (a, b) in enumerate(zip(then, now)) if a != b), min(len(then), len(now)))
                unexpected.append(f"{d} {revision}: statement {first} was {then[first:first + 1]}, "
                                  f"now {now[first:first + 1]}")
        assert not unexpected, "\n".join(unexpected)
        stale = sorted(allowed - set(changed))
        assert not stale, f"CHANGED_ON_PURPOSE lists {stale}, which send the baseline's SQL again: remove them"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def recordings(request: pytest.FixtureRequest, baseline_scripts: Path,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recordings]:
    """Both folders' recordings on two empty databases of one backend (shared by the upgrade and downgrade tests)."""
    head = ScriptDirectory(str(baseline_scripts)).get_current_head()
    assert head is not None
    # Every upgrade and every downgrade. The baseline's scripts cannot take a SQLite database from the head down past
    # 0003 (see CHANGED_ON_PURPOSE): there 0003 … 0001 go down before 0008 exists, then up to the head and down.
    targets = ["0007_users_oauth", "base", head, "0003"] if request.param == "sqlite" else [head, "base"]
    steps = _steps(baseline_scripts, targets)
    revisions = {s.revision for s in ScriptDirectory(str(baseline_scripts)).walk_revisions()}
    assert {s.revision for s in steps if s.direction == "upgrade"} == revisions
    assert {s.revision for s in steps if s.direction == "downgrade"} == revisions

    def record(then_url: str, now_url: str) -> Recordings:
        return Recordings(request.param, steps, _recorded(then_url, baseline_scripts, steps),
                          _recorded(now_url, MIGRATIONS, steps))

    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("history")
        yield record(f"sqlite+aiosqlite:///{folder / 'then.db'}", f"sqlite+aiosqlite:///{folder / 'now.db'}")
        return
    with empty_postgres("obhist") as then, empty_postgres("obhist") as now:
        yield record(then, now)


def test_old_revisions_upgrade_with_the_sql_they_sent_at_the_baseline(recordings: Recordings) -> None:
    sent = recordings.sent("upgrade")
    created = {m.group(1) for s in sent if (m := re.match(r"CREATE TABLE (\w+)", s))}
    assert {"images", "assertions", "users", "badgekit_programs"} <= created  # the recording saw the DDL
    recordings.check("upgrade")


def test_old_revisions_downgrade_with_the_sql_they_sent_at_the_baseline(recordings: Recordings) -> None:
    sent = recordings.sent("downgrade")
    assert sum(s.startswith("DROP TABLE") for s in sent) >= 10  # the recording saw the DDL
    recordings.check("downgrade")
