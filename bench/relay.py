"""The baseline: a bare aiokafka consume → produce relay on the same broker, carrying
messages of the size of forecast.issued.v1 (the same encoded value and CloudEvents
headers the forecast service publishes), with the bus's producer settings."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.workload import ORANGE, forecast
from services.forecast.domain.model import with_aqi
from shared.contracts.envelope import RawMessage, encode, new_event
from shared.contracts.payloads import DayValues, ForecastIssued
from shared.contracts.topics import FORECAST_ISSUED


def forecast_message(area: str = "500103") -> RawMessage:
    """A forecast.issued.v1 message as the forecast service would publish it."""
    body = forecast(area, dt.datetime.now(dt.UTC), ORANGE)
    days = [with_aqi(DayValues.model_validate(day)) for day in body["days"]]  # type: ignore[attr-defined]
    payload = ForecastIssued(
        area=area,
        forecast_id=str(uuid.uuid4()),
        source="bench",
        issued_at=dt.datetime.fromisoformat(str(body["issued_at"])),
        days=days,
    )
    return encode(new_event(FORECAST_ISSUED, payload, source="/airwarn/forecast"))


def _producer(bootstrap: str) -> AIOKafkaProducer:
    # as shared.bus.kafka.KafkaBus: idempotent, acks from every in-sync replica
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=2
    )


async def relay(bootstrap: str, messages: int, *, partitions: int = 6) -> dict[str, Any]:
    """Fill an input topic, then time a consumer group relaying it to an output topic:
    read a batch, send each message on, wait for the acks, commit the batch."""
    sample = forecast_message()
    run = uuid.uuid4().hex[:8]
    source, target = f"bench.relay.{run}.in", f"bench.relay.{run}.out"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in (source, target)]
        )
        producer = _producer(bootstrap)
        await producer.start()
        try:
            sent = [
                await producer.send(
                    source,
                    sample.value,
                    key=f"area-{i % 38}".encode(),
                    headers=list(sample.headers),
                )
                for i in range(messages)
            ]
            await asyncio.gather(*sent)
        finally:
            await producer.stop()
        seconds = await _relay(bootstrap, source, target, messages)
    finally:
        await admin.delete_topics([source, target])
        await admin.close()
    return {
        "messages": messages,
        "value_bytes": len(sample.value),
        "header_bytes": sum(len(k) + len(v) for k, v in sample.headers),
        "seconds": seconds,
        "messages_per_s": messages / seconds,
    }


async def _relay(bootstrap: str, source: str, target: str, messages: int) -> float:
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=f"{source}.relay",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = _producer(bootstrap)
    await consumer.start()
    await producer.start()
    try:
        relayed = 0
        started: float | None = None
        while relayed < messages:
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            if started is None and batches:
                started = time.perf_counter()
            pending = [
                await producer.send(target, r.value, key=r.key, headers=list(r.headers))
                for records in batches.values()
                for r in records
            ]
            await asyncio.gather(*pending)
            if batches:
                await consumer.commit()
            relayed += len(pending)
        if started is None:
            raise RuntimeError(f"nothing to relay on {source}")
        return time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()
