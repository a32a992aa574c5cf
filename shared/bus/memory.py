"""The in-memory bus: an append-only log per topic partition, in one process.

It keeps the same guarantees the services rely on from Kafka — per-key order
(a key always maps to one partition), one owner per partition within a group,
commit after handling, redelivery of what was not committed — so the same
contract suite runs against both buses.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.bus.base import EventHandler
from shared.bus.dispatch import Dispatcher
from shared.contracts.envelope import Event, RawMessage, encode
from shared.contracts.topics import Topic
from shared.observability import metrics


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

    async def append(self, message: RawMessage) -> RawMessage:
        index = self.partition_for(message.key)
        log = self.partitions[index]
        stored = RawMessage(
            topic=message.topic,
            key=message.key,
            value=message.value,
            headers=message.headers,
            partition=index,
            offset=len(log),
        )
        log.append(stored)
        for name, group in self.groups.items():
            self.report_lag(name, group, index)
        async with self.changed:
            self.changed.notify_all()
        return stored

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
    def __init__(self, bus: InMemoryBus, topic: Topic, group: str, handler: EventHandler) -> None:
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
        )
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
                    await self._dispatcher.deliver(log.partitions[partition][position])
                    if partition in self.owned:
                        group.committed[partition] = position + 1
                        log.report_lag(self.group, group, partition)
                progressed = True
            if not progressed:
                async with log.changed:
                    if not self._has_work(log, group):
                        await log.changed.wait()

    def _has_work(self, log: _TopicLog, group: _Group) -> bool:
        return any(group.committed.get(p, 0) < len(log.partitions[p]) for p in self.owned)


class InMemoryBus:
    def __init__(self, partitions: int = 4, retry_max_seconds: float = 30.0) -> None:
        self._partitions = partitions
        self.retry_max_seconds = retry_max_seconds
        self._logs: dict[str, _TopicLog] = {}
        #: every message in the order it was published, across topics and partitions
        self.journal: list[RawMessage] = []

    def log(self, topic: str) -> _TopicLog:
        if topic not in self._logs:
            self._logs[topic] = _TopicLog(topic, self._partitions)
        return self._logs[topic]

    def messages(self, topic: str) -> list[RawMessage]:
        """Everything published on ``topic``, partition by partition (for tests and replay)."""
        return [message for part in self.log(topic).partitions for message in part]

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ready(self) -> bool:
        return True

    async def publish(self, events: Sequence[Event[Any]]) -> None:
        for event in events:
            self.journal.append(await self.log(event.topic).append(encode(event)))
            metrics.published.labels(event.topic).inc()

    async def publish_raw(self, message: RawMessage) -> None:
        self.journal.append(await self.log(message.topic).append(message))

    def unhandled(self) -> int:
        """Messages some consumer group has not yet committed, over all topics."""
        return sum(
            len(log.partitions[p]) - group.committed.get(p, 0)
            for log in self._logs.values()
            for group in log.groups.values()
            if group.members
            for p in range(len(log.partitions))
        )

    def consumer(self, topic: Topic, group: str, handler: EventHandler) -> MemoryConsumer:
        return MemoryConsumer(self, topic, group, handler)
