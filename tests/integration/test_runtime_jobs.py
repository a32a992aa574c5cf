"""A service's scheduled jobs: one marked ``after_commit`` runs as soon as the service
commits an event, not only at its tick (notify's deliveries, so a bulletin goes out at
once; the benchmark's accepted → delivered latency depends on it)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from shared.bus.memory import InMemoryBus
from shared.contracts.payloads import DayValues, ForecastIssued
from shared.contracts.topics import FORECAST_ISSUED
from shared.db.audit_keys import KeyRing
from shared.db.engine import make_engine
from shared.db.uow import SqlUnitOfWork
from shared.runtime import Job, ServiceRuntime
from tests.conftest import eventually
from tests.contract.support import metadata, tables


async def test_a_job_woken_by_a_commit_runs_before_its_tick(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'jobs.db'}"
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    await engine.dispose()
    runs: dict[str, int] = {"ticking": 0, "woken": 0}

    def counting(name: str) -> Any:
        async def run(runtime: ServiceRuntime[Any]) -> None:
            runs[name] += 1

        return run

    bus = InMemoryBus()
    await bus.start()
    runtime: ServiceRuntime[Any] = ServiceRuntime(
        "contract",
        database_url=url,
        bus=bus,
        tables=tables,
        uow_class=SqlUnitOfWork,
        subscriptions=[],
        jobs=[
            Job("ticking", 60.0, counting("ticking")),
            Job("woken", 60.0, counting("woken"), after_commit=True),
        ],
        audit_keys=KeyRing.generate(),
        anchor_dir=tmp_path / "anchors",
    )
    await runtime.start(migrate=False, consume=False)
    try:
        await asyncio.sleep(0.2)
        assert runs == {"ticking": 0, "woken": 0}  # nothing committed, no tick yet
        async with runtime.uow() as uow:
            await uow.publish(
                FORECAST_ISSUED,
                ForecastIssued(
                    area="500103",
                    forecast_id="f-1",
                    source="test",
                    issued_at=dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC),
                    days=[DayValues(date=dt.date(2026, 1, 5), pm25=80.0)],
                ),
            )
            await uow.commit()
        await eventually(lambda: runs["woken"] == 1, timeout=5, what="the woken job to run")
        await asyncio.sleep(0.2)
        assert runs == {"ticking": 0, "woken": 1}  # once per wake, and the other still waits
    finally:
        await runtime.stop()
        await bus.stop()
