"""What a consumer does with each message, the same on both buses.

A message that cannot be decoded, or that a handler rejects as invalid, is
dead-lettered with the reason and the consumer moves on. Any other failure is
taken to be transient (database restarting, broker away): the handler is retried
with capped exponential backoff and the message is not committed until it
succeeds, so nothing is skipped.

A fetched batch is decoded first (what cannot be is dead-lettered before any handler
runs) and handed to the batch handler whole, all or nothing. When that fails, on bad data
or on a transient error alike, the batch is handled in halves, in order, down to the
single message, which then takes the per-message path above: a bad message is isolated
from its batch, and nothing else of the batch is lost or reordered.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from shared.bus.base import BatchHandler, EventHandler
from shared.contracts.envelope import DecodeError, Event, RawMessage, decode
from shared.contracts.topics import Topic
from shared.errors import Rejected
from shared.observability import context, metrics

log = logging.getLogger(__name__)

DeadLetter = Callable[[RawMessage], Awaitable[None]]


def dead_letter_message(topic: Topic, raw: RawMessage, reason: str, group: str) -> RawMessage:
    """The DLQ copy of ``raw``: same key, value and headers, plus why, where from and
    which consumer group gave up on it (each group that reads a topic decides alone)."""
    extra = (
        ("airwarn_dlq_reason", reason[:2000].encode()),
        ("airwarn_dlq_group", group.encode()),
        ("airwarn_dlq_topic", raw.topic.encode()),
        ("airwarn_dlq_partition", str(raw.partition).encode()),
        ("airwarn_dlq_offset", str(raw.offset).encode()),
        ("airwarn_dlq_at", dt.datetime.now(dt.UTC).isoformat().encode()),
    )
    return RawMessage(topic=topic.dlq, key=raw.key, value=raw.value, headers=raw.headers + extra)


@contextlib.contextmanager
def message_context(topic: str, event: Event[Any]) -> Iterator[None]:
    """While a message is handled: what it changes is audited on its behalf, its logs
    carry its event id, and the trace its producer started goes on (into the events the
    handler publishes). Set per message, also inside a batch."""
    actor = context.actor.set(f"bus:{topic}")
    event_id = context.event_id.set(event.id)
    trace_id = context.trace_id.set(event.trace_id or None)
    try:
        yield
    finally:
        context.trace_id.reset(trace_id)
        context.event_id.reset(event_id)
        context.actor.reset(actor)


class Dispatcher:
    def __init__(
        self,
        topic: Topic,
        group: str,
        handler: EventHandler,
        dead_letter: DeadLetter,
        *,
        retry_max_seconds: float = 30.0,
        batch: BatchHandler | None = None,
    ) -> None:
        self.topic = topic
        self.group = group
        self._handler = handler
        self._batch = batch
        self._dead_letter = dead_letter
        self._retry_max = retry_max_seconds

    async def deliver(self, raw: RawMessage) -> None:
        await self.deliver_batch([raw])

    async def deliver_batch(self, raws: Sequence[RawMessage]) -> None:
        """Handle ``raws`` (in offset order per partition); returns once each is handled
        or dead-lettered."""
        decoded: list[tuple[RawMessage, Event[Any]]] = []
        for raw in raws:
            try:
                decoded.append((raw, decode(raw, self.topic)))
            except DecodeError as exc:
                await self._send_to_dlq(raw, f"undecodable: {exc}")
        await self._in_halves(decoded)

    async def _in_halves(self, items: Sequence[tuple[RawMessage, Event[Any]]]) -> None:
        if not items:
            return
        if self._batch is None or len(items) == 1:
            for raw, event in items:
                with message_context(self.topic.name, event):
                    await self._handle(raw, event)
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            await self._batch([event for _, event in items])
        except Exception as exc:
            metrics.handler_failures.labels(self.topic.name, self.group).inc()
            log.warning(
                "batch of %d failed; handling it in halves",
                len(items),
                extra={"topic": self.topic.name, "group": self.group, "error": repr(exc)},
            )
            middle = len(items) // 2
            await self._in_halves(items[:middle])
            await self._in_halves(items[middle:])
            return
        metrics.handler_seconds.labels(self.topic.name, self.group).observe(loop.time() - started)
        metrics.consumed.labels(self.topic.name, self.group).inc(len(items))

    async def _handle(self, raw: RawMessage, event: Event[Any]) -> None:
        delay = 0.05
        while True:
            started = asyncio.get_running_loop().time()
            try:
                await self._handler(event)
            except Rejected as exc:
                await self._send_to_dlq(raw, f"rejected by {self.group}: {exc}")
                return
            except Exception:
                metrics.handler_failures.labels(self.topic.name, self.group).inc()
                log.exception(
                    "handler failed; retrying",
                    extra={"topic": raw.topic, "event_id": event.id, "retry_in": delay},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max)
                continue
            elapsed = asyncio.get_running_loop().time() - started
            metrics.handler_seconds.labels(self.topic.name, self.group).observe(elapsed)
            metrics.consumed.labels(self.topic.name, self.group).inc()
            log.debug(
                "handled %s",
                event.type,
                extra={"topic": raw.topic, "group": self.group, "seconds": round(elapsed, 6)},
            )
            return

    async def _send_to_dlq(self, raw: RawMessage, reason: str) -> None:
        log.warning("dead-lettered", extra={"topic": raw.topic, "reason": reason})
        metrics.dead_lettered.labels(self.topic.name, self.group).inc()
        await self._dead_letter(dead_letter_message(self.topic, raw, reason, self.group))
