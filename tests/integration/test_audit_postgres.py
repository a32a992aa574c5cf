"""The audit log on a real PostgreSQL, migrated as in production: appends from many
transactions at once make one unbroken chain, the trigger refuses UPDATE, DELETE and
TRUNCATE, and a superuser who drops the trigger to tamper is still caught by verify."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.forecast.adapters.orm import messaging
from shared.db.audit import verify
from shared.db.audit_keys import KeyRing
from shared.db.engine import make_engine, make_session_factory
from shared.db.migrate import upgrade
from shared.db.uow import SqlUnitOfWork
from shared.observability import context

pytestmark = pytest.mark.postgres
SERVICE = "forecast"
TABLE = "forecast_audit_log"
KEYS = KeyRing.generate("test-key")


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


@pytest.fixture
async def database(postgres_url: str) -> AsyncIterator[str]:
    """A new database migrated to head, dropped afterwards."""
    name = f"airwarn_audit_{uuid.uuid4().hex[:10]}"
    admin = make_url(postgres_url).render_as_string(hide_password=False)
    await _admin(admin, f'CREATE DATABASE "{name}"')
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, SERVICE, url)
        yield url
    finally:
        await _admin(admin, f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
async def engine(database: str) -> AsyncIterator[AsyncEngine]:
    made = make_engine(database)
    yield made
    await made.dispose()


async def _append(engine: AsyncEngine, worker: int, transactions: int) -> None:
    sessions = make_session_factory(engine)
    context.actor.set(f"agency:worker-{worker}")  # this task's own context
    for n in range(transactions):
        async with SqlUnitOfWork(
            sessions, messaging, source="/airwarn/forecast", audit_keys=KEYS
        ) as uow:
            await uow.record("forecast", f"{worker}-{n}", "accepted", None, {"n": n})
            await uow.record("duty-fault", f"{worker}-{n}", "opened", None, {"n": n})
            await uow.commit()


async def _sql(engine: AsyncEngine, statement: str, **params: Any) -> None:
    async with engine.begin() as connection:
        await connection.execute(text(statement), params)


async def test_concurrent_transactions_make_one_unbroken_chain(
    engine: AsyncEngine, database: str
) -> None:
    workers, transactions = 8, 25
    started = time.perf_counter()
    await asyncio.gather(*(_append(engine, w, transactions) for w in range(workers)))
    elapsed = time.perf_counter() - started
    report = await verify(database, SERVICE, KEYS)
    assert report.intact, report.line()
    assert report.entries == workers * transactions * 2
    async with engine.connect() as connection:
        actors = (
            await connection.execute(text(f"SELECT count(DISTINCT actor) FROM {TABLE}"))
        ).scalar_one()
        # each transaction's two rows are adjacent: nothing chained in between them
        split = (
            await connection.execute(
                text(
                    f"SELECT count(*) FROM {TABLE} a JOIN {TABLE} b ON b.seq = a.seq + 1 "
                    "WHERE a.entity = 'forecast' AND (b.entity, b.key) <> ('duty-fault', a.key)"
                )
            )
        ).scalar_one()
    assert (actors, split) == (workers, 0)
    print(f"\n{report.entries} rows from {workers} concurrent writers in {elapsed:.2f}s")


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET actor = 'hq-commander:forged' WHERE seq = 1",
        f"DELETE FROM {TABLE} WHERE seq = 1",
        f"TRUNCATE {TABLE}",
    ],
)
async def test_the_trigger_refuses_changes(
    engine: AsyncEngine, database: str, statement: str
) -> None:
    await _append(engine, 0, 2)
    with pytest.raises(DBAPIError, match=f"{TABLE} is append-only: (UPDATE|DELETE|TRUNCATE)"):
        await _sql(engine, statement)
    report = await verify(database, SERVICE, KEYS)
    assert (report.intact, report.entries) == (True, 4)


async def test_tampering_with_the_trigger_dropped_is_still_caught(
    engine: AsyncEngine, database: str
) -> None:
    await _append(engine, 0, 3)
    await _sql(engine, f"DROP TRIGGER {TABLE}_append_only ON {TABLE}")
    await _sql(
        engine,
        f'UPDATE {TABLE} SET "after" = CAST(:after AS json) WHERE seq = 4',
        after='{"n": 41}',
    )
    report = await verify(database, SERVICE, KEYS)
    assert report.broken is not None
    assert (report.broken.seq, report.broken.problem[:12]) == (4, "MAC mismatch")

    await _sql(engine, f"DELETE FROM {TABLE} WHERE seq = 2")
    report = await verify(database, SERVICE, KEYS)
    assert report.broken is not None
    assert report.broken.seq == 2 and report.broken.problem.startswith("gap: seq 2 missing")
