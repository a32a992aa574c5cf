"""What a consumer does with each message, the same on both buses.

A message that cannot be decoded, or that a handler rejects as invalid, is
dead-lettered with the reason and the consumer moves on. Any other failure is
taken to be transient (database restarting, broker away): the handler is retried
with capped exponential backoff and the message is not committed until it
succeeds, so nothing is skipped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from shared.bus.base import EventHandler
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


class Dispatcher:
    def __init__(
        self,
        topic: Topic,
        group: str,
        handler: EventHandler,
        dead_letter: DeadLetter,
        *,
        retry_max_seconds: float = 30.0,
    ) -> None:
        self.topic = topic
        self.group = group
        self._handler = handler
        self._dead_letter = dead_letter
        self._retry_max = retry_max_seconds

    async def deliver(self, raw: RawMessage) -> None:
        try:
            event = decode(raw, self.topic)
        except DecodeError as exc:
            await self._send_to_dlq(raw, f"undecodable: {exc}")
            return
        # What the handler changes is audited as done on this message's behalf.
        actor = context.actor.set(f"bus:{self.topic.name}")
        event_id = context.event_id.set(event.id)
        # The trace the producer started goes on: into this handler's logs and, through
        # the unit of work, into every event it publishes.
        trace_id = context.trace_id.set(event.trace_id or None)
        try:
            await self._handle(raw, event)
        finally:
            context.trace_id.reset(trace_id)
            context.event_id.reset(event_id)
            context.actor.reset(actor)

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
