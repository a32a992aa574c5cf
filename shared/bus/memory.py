"""The in-memory bus: an append-only log per topic partition, in one process.

It keeps the same guarantees the services rely on from Kafka — per-key order
(a key always maps to one partition), one owner per partition within a group,
commit after handling, redelivery of what was not committed — so the same
contract suite runs against both buses.

Given a :class:`~shared.bus.sqlite_log.SqliteLog` (``airwarn up`` always gives one), it
is also durable: a message is appended to the log before any consumer can see it and
``publish`` returns, a group's offset is committed to the log before it moves here, and
``start`` reads both back, so a restart resumes every group where it had committed (the
design and its argument are in :mod:`shared.bus.sqlite_log`). Without one it forgets
everything when the process ends (replays and fast tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.bus.base import BatchHandler, EventHandler
from shared.bus.dispatch import Dispatcher
from shared.bus.sqlite_log import SqliteLog
from shared.contracts.envelope import Event, RawMessage, encode
from shared.contracts.topics import Topic
from shared.observability import metrics

logger = logging.getLogger(__name__)


@dataclass
class _Group:
    members: list[MemoryConsumer] = field(default_factory=list)
    committed: dict[int, int] = field(default_factory=dict)


class _TopicLog:
    def __init__(self, name: str, partitions: int) -> None:
        self.name = name
        self.partitions: list[list[RawMessage]] = [[] for _ in range(partitions)]
        self.changed = asyncio.Condition()
        self.groups: dict[str, _Group] = {}

    def partition_for(self, key: bytes | None) -> int:
        return zlib.crc32(key or b"") % len(self.partitions)

    def place(self, message: RawMessage, ahead: int = 0) -> RawMessage:
        """``message`` with the partition its key maps to and the offset it will get
        there, ``ahead`` messages of the same batch being appended before it."""
        index = self.partition_for(message.key)
        return RawMessage(
            topic=message.topic,
            key=message.key,
            value=message.value,
            headers=message.headers,
            partition=index,
            offset=len(self.partitions[index]) + ahead,
        )

    async def add(self, stored: RawMessage) -> None:
        """Make a placed message visible to the consumers."""
        partition = self.partitions[stored.partition]
        assert stored.offset == len(partition), "messages are added in offset order"
        partition.append(stored)
        for name, group in self.groups.items():
            self.report_lag(name, group, stored.partition)
        async with self.changed:
            self.changed.notify_all()

    def report_lag(self, group_name: str, group: _Group, partition: int) -> None:
        """Log end minus the group's committed offset, as Kafka's consumer lag."""
        behind = len(self.partitions[partition]) - group.committed.get(partition, 0)
        metrics.consumer_lag.labels(self.name, str(partition), group_name).set(behind)

    async def rebalance(self, group: _Group) -> None:
        """Hand the partitions round-robin to the group's live members."""
        for member in group.members:
            member.owned = frozenset(
                p
                for p in range(len(self.partitions))
                if p % len(group.members) == group.members.index(member)
            )
        async with self.changed:
            self.changed.notify_all()


class MemoryConsumer:
    def __init__(
        self,
        bus: InMemoryBus,
        topic: Topic,
        group: str,
        handler: EventHandler,
        *,
        batch: BatchHandler | None = None,
        max_batch: int = 1,
    ) -> None:
        self.topic = topic
        self.group = group
        self.owned: frozenset[int] = frozenset()
        self._bus = bus
        self._dispatcher = Dispatcher(
            topic,
            group,
            handler,
            bus.publish_raw,
            retry_max_seconds=bus.retry_max_seconds,
            batch=batch,
        )
        self._max_batch = max_batch if batch is not None else 1
        self._task: asyncio.Task[None] | None = None
        self._in_hand = asyncio.Lock()

    def assigned_partitions(self) -> frozenset[int]:
        return self.owned

    async def start(self) -> None:
        log = self._bus.log(self.topic.name)
        group = log.groups.setdefault(self.group, _Group())
        group.members.append(self)
        for partition in range(len(log.partitions)):
            log.report_lag(self.group, group, partition)
        await self._rebalance(log, group)
        self._task = asyncio.create_task(self._run(log, group), name=f"consume {self.topic.name}")

    async def stop(self) -> None:
        async with self._in_hand:
            await self.kill()

    async def kill(self) -> None:
        if self._task is None:
            return
        task, self._task = self._task, None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        log = self._bus.log(self.topic.name)
        group = log.groups[self.group]
        group.members.remove(self)
        self.owned = frozenset()
        if group.members:
            await self._rebalance(log, group)

    async def _rebalance(self, log: _TopicLog, group: _Group) -> None:
        # As Kafka does before revoking, let every other member finish the message in hand.
        async with contextlib.AsyncExitStack() as stack:
            for member in group.members:
                if member is not self:
                    await stack.enter_async_context(member._in_hand)
            await log.rebalance(group)

    async def _run(self, log: _TopicLog, group: _Group) -> None:
        while True:
            progressed = False
            for partition in sorted(self.owned):
                position = group.committed.get(partition, 0)
                if position >= len(log.partitions[partition]):
                    continue
                async with self._in_hand:
                    if partition not in self.owned:
                        continue
                    position = group.committed.get(partition, 0)
                    # what is there now, up to max_batch: as Kafka's getmany
                    end = min(len(log.partitions[partition]), position + self._max_batch)
                    await self._dispatcher.deliver_batch(log.partitions[partition][position:end])
                    if partition in self.owned:
                        try:
                            await self._bus.commit(self.topic.name, self.group, partition, end)
                        except Exception:
                            # Not committed: the message is handed over again, and the
                            # handler's inbox drops the repeat.
                            logger.exception("offset commit failed", extra={"group": self.group})
                            await asyncio.sleep(self._bus.retry_max_seconds / 10)
                            continue
                        group.committed[partition] = end
                        log.report_lag(self.group, group, partition)
                progressed = True
            if not progressed:
                async with log.changed:
                    if not self._has_work(log, group):
                        await log.changed.wait()

    def _has_work(self, log: _TopicLog, group: _Group) -> bool:
        return any(group.committed.get(p, 0) < len(log.partitions[p]) for p in self.owned)


class InMemoryBus:
    def __init__(
        self,
        partitions: int = 4,
        retry_max_seconds: float = 30.0,
        store: SqliteLog | None = None,
    ) -> None:
        self._partitions = partitions
        self.retry_max_seconds = retry_max_seconds
        self._logs: dict[str, _TopicLog] = {}
        #: every message this process published, in order, across topics and partitions
        self.journal: list[RawMessage] = []
        self.store = store
        # Offsets are handed out in append order: one batch at a time.
        self._appending = asyncio.Lock()

    def log(self, topic: str) -> _TopicLog:
        if topic not in self._logs:
            self._logs[topic] = _TopicLog(topic, self._partitions)
        return self._logs[topic]

    def messages(self, topic: str) -> list[RawMessage]:
        """Everything published on ``topic``, partition by partition (for tests and replay)."""
        return [message for part in self.log(topic).partitions for message in part]

    async def start(self) -> None:
        if self.store is None:
            return
        restored = await self.store.open(self._partitions)
        for message in restored.messages:
            await self.log(message.topic).add(message)
        for (topic, name), committed in restored.offsets.items():
            self.log(topic).groups.setdefault(name, _Group()).committed.update(committed)

    async def stop(self) -> None:
        if self.store is not None:
            await self.store.close()

    async def ready(self) -> bool:
        return True

    async def publish(self, events: Sequence[Event[Any]]) -> None:
        await self._append([encode(event) for event in events])
        for event in events:
            metrics.published.labels(event.topic).inc()

    async def publish_raw(self, message: RawMessage) -> None:
        await self._append([message])

    async def _append(self, messages: Sequence[RawMessage]) -> None:
        async with self._appending:
            placed: list[RawMessage] = []
            ahead: dict[tuple[str, int], int] = {}
            for message in messages:
                topic_log = self.log(message.topic)
                where = (message.topic, topic_log.partition_for(message.key))
                placed.append(topic_log.place(message, ahead.get(where, 0)))
                ahead[where] = ahead.get(where, 0) + 1
            if self.store is not None:
                # Durable before any consumer sees it and before the publisher's
                # outbox row is marked published.
                await self.store.append(placed)
            for stored in placed:
                await self.log(stored.topic).add(stored)
                self.journal.append(stored)

    async def commit(self, topic: str, group: str, partition: int, offset: int) -> None:
        """Record durably that ``group`` handled ``topic``'s ``partition`` up to ``offset``."""
        if self.store is not None:
            await self.store.commit(topic, group, partition, offset)

    def unhandled(self) -> int:
        """Messages some consumer group has not yet committed, over all topics."""
        return sum(
            len(log.partitions[p]) - group.committed.get(p, 0)
            for log in self._logs.values()
            for group in log.groups.values()
            if group.members
            for p in range(len(log.partitions))
        )

    def consumer(
        self,
        topic: Topic,
        group: str,
        handler: EventHandler,
        *,
        batch: BatchHandler | None = None,
        max_batch: int = 1,
    ) -> MemoryConsumer:
        return MemoryConsumer(self, topic, group, handler, batch=batch, max_batch=max_batch)
