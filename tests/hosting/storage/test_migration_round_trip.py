"""Every migration downgrades to exactly the schema it upgraded from, on SQLite and on PostgreSQL.

An empty database goes up one revision at a time to the head, its schema read after each step; then down one
revision at a time to the base, and up again to the head. After every step the schema must be the one read at that
revision on the first way up: the same tables, and in each the same columns (type as the database names it,
nullability, server default), primary key, indexes, unique constraints, foreign keys (with their ON DELETE/ON
UPDATE) and check constraints. Column order is not compared: a column a downgrade adds back comes last (PostgreSQL
cannot place one; 0019's downgrade adds ``issued_as_accepted`` and ``acceptance`` at the end of ``badge_classes``).
The head itself must be what the models declare (Alembic's autogenerate comparison finds nothing to do).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import run_on_connection
from sqlalchemy import inspect

from hosting.storage.migrate import MIGRATIONS, alembic_config, migrate, migration_engine
from hosting.storage.models import Base

Schema = dict[str, dict[str, Any]]


def _listed(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """``rows`` in a fixed order (SQLite reports some constraints without a name: ``None`` does not sort)."""
    return sorted(rows, key=repr)


def _options(options: dict[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((options or {}).items()))


def _schema(connection: Any) -> Schema:
    """Every table of the database but Alembic's own, as the database describes it."""
    inspector = inspect(connection)
    dialect = connection.dialect
    schema: Schema = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        primary_key = inspector.get_pk_constraint(table)
        schema[table] = {
            "columns": {c["name"]: (c["type"].compile(dialect=dialect), c["nullable"], c.get("default"))
                        for c in inspector.get_columns(table)},
            "primary key": (primary_key.get("name"), tuple(primary_key["constrained_columns"])),
            "indexes": _listed((i["name"], tuple(i["column_names"]), bool(i["unique"]),
                                _options(i.get("dialect_options"))) for i in inspector.get_indexes(table)),
            "unique constraints": _listed((u["name"], tuple(u["column_names"]))
                                          for u in inspector.get_unique_constraints(table)),
            "foreign keys": _listed((f["name"], tuple(f["constrained_columns"]), f["referred_table"],
                                     tuple(f["referred_columns"]), _options(f.get("options")))
                                    for f in inspector.get_foreign_keys(table)),
            "check constraints": _listed((c["name"], c["sqltext"]) for c in inspector.get_check_constraints(table)),
        }
    return schema


def _differences(after: str, expected: Schema, found: Schema) -> list[str]:
    """What ``found`` has otherwise than ``expected``, one line each, prefixed with the step taken (``after``)."""
    lines = [f"{after}: table {t} {'missing' if t in expected else 'left over'}"
             for t in sorted(set(expected) ^ set(found))]
    for table in sorted(set(expected) & set(found)):
        for part, want in expected[table].items():
            have = found[table][part]
            if part == "columns":
                for column in sorted(set(want) | set(have)):
                    if column not in have:
                        lines.append(f"{after}: column {table}.{column} missing")
                    elif column not in want:
                        lines.append(f"{after}: column {table}.{column} left over")
                    elif have[column] != want[column]:
                        lines.append(f"{after}: column {table}.{column} should be {want[column]}, is {have[column]}")
            elif have != want:
                lines.append(f"{after}: {table} {part} lack {[x for x in want if x not in have]}, "
                             f"should not have {[x for x in have if x not in want]}")
    return lines


def test_every_downgrade_restores_the_schema_of_the_revision_before(empty_database_url: str) -> None:
    url = empty_database_url
    order = ["base", *reversed([s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()])]
    assert len(order) >= 20  # 0001 … 0019 and later

    async def run() -> list[str]:
        engine = migration_engine(url)  # one engine, each step in one transaction as ``migrate`` runs it

        async def step(label: str, move: Callable[[Config, str], None], target: str) -> Schema:
            def on_connection(connection: Any) -> None:
                config = alembic_config(url)
                config.attributes["connection"] = connection
                move(config, target)

            try:
                async with engine.begin() as connection:
                    await connection.run_sync(on_connection)
            except Exception as exc:
                exc.add_note(f"migration step failed: {label}")
                raise
            async with engine.connect() as connection:
                return await connection.run_sync(_schema)

        try:
            async with engine.connect() as connection:
                expected = {"base": await connection.run_sync(_schema)}
            for revision in order[1:]:
                expected[revision] = await step(f"upgrade {revision}", command.upgrade, revision)
            assert {"assertions", "badge_classes", "claim_codes"} <= set(expected[order[-1]])  # it sees tables

            problems: list[str] = []
            for at in range(len(order) - 1, 0, -1):
                label = f"downgrade {order[at]} (to {order[at - 1]})"
                found = await step(label, command.downgrade, order[at - 1])
                problems += _differences(label, expected[order[at - 1]], found)
            for revision in order[1:]:
                label = f"upgrade {revision} again"
                problems += _differences(label, expected[revision], await step(label, command.upgrade, revision))
            return problems
        finally:
            await engine.dispose()

    problems = asyncio.run(run())
    assert not problems, "\n".join(problems)


def test_the_head_is_the_schema_the_models_declare(empty_database_url: str) -> None:
    migrate(empty_database_url)

    def changes(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    assert run_on_connection(empty_database_url, changes, migrating=True) == []
