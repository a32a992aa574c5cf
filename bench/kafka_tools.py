"""What the benchmark reads off the broker: the warnings as they are published, and how
far behind each consumer group of the services is."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.contracts.topics import WARNING_CHANGED


@dataclass(frozen=True)
class Change:
    at: float  # time.perf_counter() when the benchmark read it
    warning_id: str
    area: str
    action: str
    cause: str
    cause_ref: str | None
    cause_at: dt.datetime  # the issue time of the forecast behind it


@dataclass
class WarningWatch:
    """Every warning.changed.v1 published after :meth:`start`, in the order read."""

    bootstrap: str
    changes: list[Change] = field(default_factory=list)
    by_warning: dict[str, Change] = field(default_factory=dict)
    _consumer: AIOKafkaConsumer | None = None
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        partitions = await partitions_of(self.bootstrap, WARNING_CHANGED.name)
        tps = [TopicPartition(WARNING_CHANGED.name, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:  # resolve the end offsets now, not at the first fetch
            await consumer.position(tp)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run(consumer))

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=1000)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    data: dict[str, Any] = json.loads(record.value)
                    change = Change(
                        now,
                        data["warning_id"],
                        data["area"],
                        data["action"],
                        data["cause"],
                        data.get("cause_ref"),
                        dt.datetime.fromisoformat(data["cause_at"]),
                    )
                    self.changes.append(change)
                    self.by_warning[change.warning_id] = change

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()


async def partitions_of(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described.get("error_code") or not described.get("partitions"):
        raise RuntimeError(f"topic {topic} does not exist on {bootstrap}")
    return sorted(int(p["partition"]) for p in described["partitions"])


async def group_lag(bootstrap: str, prefix: str = "airwarn.") -> dict[str, int]:
    """Messages not yet committed by each consumer group whose name starts with ``prefix``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        groups = [g[0] for g in await admin.list_consumer_groups() if g[0].startswith(prefix)]
        lag: dict[str, int] = {}
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group)
            if not committed:
                continue
            ends = await consumer.end_offsets(list(committed))
            lag[group] = sum(
                max(0, ends[tp] - max(meta.offset, 0)) for tp, meta in committed.items()
            )
        return lag
    finally:
        await consumer.stop()
        await admin.close()


async def skip_to_end(bootstrap: str, prefix: str = "airwarn.") -> int:
    """Move every consumer group of the services to the end of its topics, so that a new
    stack starts on what it is fed, not on what an earlier run left unread. Only while
    no member is in the group (the stack is down). Returns how many messages were skipped."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    skipped = 0
    try:
        groups = [g[0] for g in await admin.list_consumer_groups() if g[0].startswith(prefix)]
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group)
            topics = {tp.topic for tp in committed}
            tps = [
                TopicPartition(topic, p)
                for topic in sorted(topics)
                for p in await partitions_of(bootstrap, topic)
            ]
            if not tps:
                continue
            consumer = AIOKafkaConsumer(
                bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
            )
            await consumer.start()
            try:
                consumer.assign(tps)
                ends = await consumer.end_offsets(tps)
                skipped += sum(
                    max(0, ends[tp] - committed[tp].offset) if tp in committed else ends[tp]
                    for tp in tps
                )
                await consumer.commit(ends)
            finally:
                await consumer.stop()
    finally:
        await admin.close()
    return skipped
