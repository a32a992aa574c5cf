"""The Kafka bus (aiokafka): idempotent producer with acks=all, consumers that
commit each message's offset only after its handler's transaction committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
)
from aiokafka.errors import CommitFailedError, IllegalStateError

from shared.bus.base import BatchHandler, EventHandler
from shared.bus.dispatch import Dispatcher
from shared.bus.topics import check_topics, ensure_topics
from shared.contracts.envelope import Event, RawMessage, encode
from shared.contracts.topics import TOPICS, Topic
from shared.observability import metrics

log = logging.getLogger(__name__)


class KafkaBus:
    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str = "airwarn",
        partitions: int = 6,
        retry_max_seconds: float = 30.0,
        lag_every_seconds: float = 5.0,
    ) -> None:
        self.bootstrap = bootstrap
        self.client_id = client_id
        self.partitions = partitions
        self.retry_max_seconds = retry_max_seconds
        #: how often each consumer asks the broker for its lag while it may be stuck
        self.lag_every_seconds = lag_every_seconds
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        # Topics are declared by `airwarn topics ensure`, never made on the way (issue 12);
        # the producer keys by the topic's own partition count, whatever this bus was given.
        await check_topics(self.bootstrap, client_id=self.client_id)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=2,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(producer.stop(), timeout=10)

    async def ready(self) -> bool:
        if self._producer is None:
            return False
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout=5)
        except Exception:
            return False
        return True

    async def ensure_topics(self, topics: Iterable[Topic] = TOPICS.values()) -> None:
        """Create each topic and its DLQ twin, partitioned for per-area keys: the routine
        of ``airwarn topics ensure`` (shared.bus.topics), for tools and tests."""
        await ensure_topics(self.bootstrap, self.partitions, topics, client_id=self.client_id)

    @property
    def producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("KafkaBus.start() has not been awaited")
        return self._producer

    async def publish(self, events: Sequence[Event[Any]]) -> None:
        pending = [await self._send(encode(event)) for event in events]
        await asyncio.gather(*pending)
        for event in events:
            metrics.published.labels(event.topic).inc()

    async def publish_raw(self, message: RawMessage) -> None:
        await (await self._send(message))

    async def _send(self, message: RawMessage) -> asyncio.Future[Any]:
        sent: asyncio.Future[Any] = await self.producer.send(
            message.topic, value=message.value, key=message.key, headers=list(message.headers)
        )
        return sent

    def consumer(
        self,
        topic: Topic,
        group: str,
        handler: EventHandler,
        *,
        batch: BatchHandler | None = None,
        max_batch: int = 1,
    ) -> KafkaConsumer:
        return KafkaConsumer(self, topic, group, handler, batch=batch, max_batch=max_batch)


class _FinishInHand(ConsumerRebalanceListener):  # type: ignore[misc]
    """Before partitions are taken away, let the batch in hand finish and commit."""

    def __init__(self, in_hand: asyncio.Lock) -> None:
        self._in_hand = in_hand

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self._in_hand:
            return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        return None


class KafkaConsumer:
    def __init__(
        self,
        bus: KafkaBus,
        topic: Topic,
        group: str,
        handler: EventHandler,
        *,
        batch: BatchHandler | None = None,
        max_batch: int = 1,
    ) -> None:
        self.topic = topic
        self.group = group
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
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._lag_task: asyncio.Task[None] | None = None
        self._in_hand = asyncio.Lock()

    def assigned_partitions(self) -> frozenset[int]:
        if self._consumer is None:
            return frozenset()
        return frozenset(tp.partition for tp in self._consumer.assignment())

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bus.bootstrap,
            client_id=f"{self._bus.client_id}-{self.group}",
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
        )
        self._consumer.subscribe([self.topic.name], listener=_FinishInHand(self._in_hand))
        await self._consumer.start()
        self._task = asyncio.create_task(
            self._run(self._consumer), name=f"consume {self.topic.name}"
        )
        self._lag_task = asyncio.create_task(self._watch_lag(), name=f"lag {self.topic.name}")

    async def stop(self) -> None:
        async with self._in_hand:
            await self._halt()

    async def kill(self) -> None:
        await self._halt()

    async def _halt(self) -> None:
        for task in (self._lag_task, self._task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._lag_task = None
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(consumer.stop(), timeout=10)

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        delay = 0.1
        while True:
            try:
                await self._next(consumer)
                delay = 0.1
            except asyncio.CancelledError:
                raise
            except Exception:
                # Never let the loop die: a dead consumer task would stop this service
                # consuming without a sound. The message in hand was not committed and
                # is read again (see _next).
                log.exception("consumer loop error; retrying", extra={"group": self.group})
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._bus.retry_max_seconds)

    async def _next(self, consumer: AIOKafkaConsumer) -> None:
        # What the fetcher holds now, up to max_batch; waits only while nothing is there,
        # so light load keeps its latency.
        fetched = await consumer.getmany(timeout_ms=1000, max_records=self._max_batch)
        if not fetched:
            return
        parts = sorted(fetched.items(), key=lambda item: item[0].partition)
        raws = [
            RawMessage(
                topic=record.topic,
                key=record.key,
                value=record.value or b"",
                headers=tuple(record.headers or ()),
                partition=record.partition,
                offset=record.offset,
            )
            for _, records in parts
            for record in records
        ]
        async with self._in_hand:
            try:
                await self._dispatcher.deliver_batch(raws)
            except Exception:
                for tp, records in parts:
                    consumer.seek(tp, records[0].offset)
                raise
            try:
                await consumer.commit({tp: records[-1].offset + 1 for tp, records in parts})
            except (CommitFailedError, IllegalStateError) as exc:
                # The partition moved during a rebalance: its new owner reads the
                # messages again and the idempotent handler ignores them.
                log.warning("offset commit refused: %s", exc)
                return
        for tp, records in parts:
            highwater = consumer.highwater(tp)
            if highwater is not None:
                self._report_lag(tp.partition, highwater - (records[-1].offset + 1))

    def _report_lag(self, partition: int, behind: int) -> None:
        metrics.consumer_lag.labels(self.topic.name, str(partition), self.group).set(behind)

    async def refresh_lag(self) -> None:
        """Ask the broker: log end minus the group's committed offset, per assigned partition.

        The loop updates the lag after each message from the fetch's high watermark; this
        also covers a consumer that is stuck in a handler or is not being fed at all.
        """
        consumer = self._consumer
        if consumer is None:
            return
        assigned = sorted(consumer.assignment(), key=lambda tp: tp.partition)
        if not assigned:
            return
        ends = await consumer.end_offsets(assigned)
        starts = await consumer.beginning_offsets(assigned)
        for tp in assigned:
            committed = await consumer.committed(tp)
            done = committed if committed is not None else starts[tp]
            self._report_lag(tp.partition, max(ends[tp] - done, 0))

    async def _watch_lag(self) -> None:
        while True:
            await asyncio.sleep(self._bus.lag_every_seconds)
            try:
                await self.refresh_lag()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a rebalance or a broker away: next round
                log.debug("consumer lag not read: %r", exc, extra={"group": self.group})
