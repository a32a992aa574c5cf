"""A small real service for the bus contract: SQLite-backed, idempotent by event id."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from shared.bus.base import Bus
from shared.bus.kafka import KafkaBus
from shared.bus.memory import InMemoryBus
from shared.contracts.envelope import Event, RawMessage, new_event
from shared.contracts.payloads import DayValues, ForecastIssued
from shared.contracts.topics import FORECAST_ISSUED, Topic
from shared.db.audit_keys import KeyRing
from shared.db.engine import make_engine
from shared.db.tables import messaging_tables
from shared.db.uow import SqlUnitOfWork
from shared.runtime import ServiceRuntime, Subscription

metadata = MetaData()
effects = Table(
    "contract_effects",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("area", String(32), nullable=False),
    Column("source", String(100), nullable=False),
)
tables = messaging_tables(metadata, "contract")


def fresh_topic() -> Topic:
    """A topic of forecast payloads that no other test has used."""
    return Topic(
        f"contract-{uuid.uuid4().hex[:12]}.forecast.v1",
        FORECAST_ISSUED.event_type,
        ForecastIssued,
        "contract-test",
        "contract test topic",
    )


def forecast_event(topic: Topic, area: str, label: str) -> Event[Any]:
    payload = ForecastIssued(
        area=area,
        forecast_id=str(uuid.uuid4()),
        source=label,
        issued_at=dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC),
        days=[DayValues(date=dt.date(2026, 1, 5), pm25=120.0)],
    )
    event = new_event(FORECAST_ISSUED, payload, source="/contract")
    return Event(
        topic=topic.name,
        id=event.id,
        source=event.source,
        type=event.type,
        subject=event.subject,
        time=event.time,
        payload=event.payload,
        trace_id=event.trace_id,
    )


async def record_effect(payload: ForecastIssued, uow: SqlUnitOfWork) -> None:
    await uow.session.execute(insert(effects).values(area=payload.area, source=payload.source))


async def contract_runtime(bus: Bus, database_url: str, topic: Topic) -> ServiceRuntime[Any]:
    engine = make_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    await engine.dispose()
    runtime: ServiceRuntime[Any] = ServiceRuntime(
        "contract",
        database_url=database_url,
        bus=bus,
        tables=tables,
        uow_class=SqlUnitOfWork,
        subscriptions=[Subscription(topic, "record", record_effect)],
        outbox_poll_seconds=0.05,
        audit_keys=KeyRing.generate(),
        anchor_dir=Path(tempfile.mkdtemp(prefix="airwarn-contract-anchors-")),
    )
    await runtime.start(migrate=False, consume=False)
    return runtime


async def effect_sources(runtime: ServiceRuntime[Any]) -> list[str]:
    async with runtime.uow() as uow:
        rows = await uow.session.execute(select(effects.c.source).order_by(effects.c.seq))
        return [row.source for row in rows]


async def effect_count(runtime: ServiceRuntime[Any], source: str) -> int:
    async with runtime.uow() as uow:
        count = await uow.session.scalar(
            select(func.count()).select_from(effects).where(effects.c.source == source)
        )
        return int(count or 0)


async def read_raw(
    bus: Bus,
    topic: str,
    expected: int,
    timeout: float = 30.0,
    until: Callable[[list[RawMessage]], bool] | None = None,
) -> list[RawMessage]:
    """Messages on ``topic`` straight off the bus: at least ``expected`` of them, and
    (when given) until ``until`` holds for what was read."""
    if isinstance(bus, InMemoryBus):
        return bus.messages(topic)
    assert isinstance(bus, KafkaBus)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bus.bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: list[RawMessage] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (len(found) < expected or (until and not until(found))) and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                found.extend(
                    RawMessage(
                        topic=r.topic,
                        key=r.key,
                        value=r.value or b"",
                        headers=tuple(r.headers or ()),
                        partition=r.partition,
                        offset=r.offset,
                    )
                    for r in records
                )
    finally:
        await consumer.stop()
    return found
