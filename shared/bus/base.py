"""The bus interface every service talks to; two implementations share it.

``memory`` is the embedded default (one process, ``airwarn up`` and fast unit
tests); ``kafka`` is the real broker. Both keep per-key order, hand each
partition to one member of a consumer group, commit a message only after its
handler returned, and send what cannot be decoded to the topic's ``.dlq``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from shared.contracts.envelope import Event, RawMessage
from shared.contracts.topics import Topic

EventHandler = Callable[[Event[Any]], Awaitable[None]]
#: handles a fetched batch, in order, all or nothing (one transaction); when it fails the
#: batch is handled in halves, down to the single message and the per-message path
BatchHandler = Callable[[Sequence[Event[Any]]], Awaitable[None]]


class Consumer(Protocol):
    """One member of a consumer group, reading one topic."""

    topic: Topic
    group: str

    async def start(self) -> None: ...

    async def stop(self) -> None:
        """Leave the group after the message in hand is handled and committed."""

    async def kill(self) -> None:
        """Die at once, as a crashed process would: nothing in hand is committed."""

    def assigned_partitions(self) -> frozenset[int]: ...


class Bus(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ready(self) -> bool:
        """Whether the bus answers now (for /readyz)."""

    async def publish(self, events: Sequence[Event[Any]]) -> None:
        """Publish in order; returns once the bus holds every one of them durably."""

    async def publish_raw(self, message: RawMessage) -> None:
        """Publish bytes as they are (dead letters, and tests of bad input)."""

    def consumer(
        self,
        topic: Topic,
        group: str,
        handler: EventHandler,
        *,
        batch: BatchHandler | None = None,
        max_batch: int = 1,
    ) -> Consumer:
        """A group member handing each message to ``handler``; with ``batch``, up to
        ``max_batch`` messages fetched together go to ``batch`` at once (one commit of
        their offsets after it returns)."""
