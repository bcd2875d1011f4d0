"""``among``: the rows whose column is one of many values, as statements fit for each backend (one ``unnest``
join on PostgreSQL, ``IN`` lists of 500 on SQLite) — the same rows either way, however many values."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from hosting.app.demo import DemoData
from hosting.lib.db import create_engine
from hosting.storage.awards import among
from hosting.storage.models import Assertion


def test_among_finds_exactly_the_rows_named(database_url: str, demo: DemoData) -> None:
    async def go() -> None:
        engine = create_engine(database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                rows = dict((await session.execute(select(Assertion.public_id, Assertion.id))).all())
                assert demo.active in rows and len(rows) >= 3
                wanted = sorted(rows)[::2]
                # more values than one IN list takes, most of them absent, the wanted ones last
                values = [f"absent-{i}" for i in range(1200)] + wanted
                statements = list(among(session, select(Assertion.public_id, Assertion.id), Assertion.public_id,
                                        values))
                expected = 1 if engine.dialect.name == "postgresql" else -(-len(values) // 500)  # IN lists of 500
                assert len(statements) == expected
                found: dict[str, int] = {}
                for statement in statements:
                    found.update((await session.execute(statement)).all())
                assert found == {public_id: rows[public_id] for public_id in wanted}
                assert list(among(session, select(Assertion.id), Assertion.public_id, [])) == []
                ints = list(among(session, select(Assertion.id), Assertion.id, [rows[wanted[0]], -1]))
                assert [i for s in ints for i in await session.scalars(s)] == [rows[wanted[0]]]
        finally:
            await engine.dispose()

    asyncio.run(go())
