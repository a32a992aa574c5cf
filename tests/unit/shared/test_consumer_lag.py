"""Consumer lag (``airwarn_consumer_lag``): what a group has not yet handled and committed.

The scenario runs on the in-memory bus here and on the real broker in
``tests/e2e/test_signals.py`` (marker ``kafka``).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from prometheus_client import REGISTRY

from shared.bus.base import Bus
from shared.bus.memory import InMemoryBus
from shared.contracts.envelope import Event
from shared.contracts.topics import Topic
from tests.conftest import eventually
from tests.contract.support import forecast_event, fresh_topic

AREAS = ["500103", "500104", "500105", "500106", "500107", "500108", "500109", "500112"]


def lag(topic: Topic, group: str, partitions: int) -> float:
    return sum(
        REGISTRY.get_sample_value(
            "airwarn_consumer_lag", {"topic": topic.name, "partition": str(p), "group": group}
        )
        or 0.0
        for p in range(partitions)
    )


async def publish_n_then_consume(bus: Bus, topic: Topic, partitions: int, n: int = 8) -> None:
    """A group whose handler is held: publish ``n``, lag ``n``; let it go, lag 0."""
    group = f"lag-{uuid.uuid4().hex[:8]}"
    gate = asyncio.Event()
    handled: list[str] = []

    async def held(event: Event[Any]) -> None:
        await gate.wait()
        handled.append(event.id)

    consumer = bus.consumer(topic, group, held)
    await consumer.start()
    try:
        await eventually(lambda: bool(consumer.assigned_partitions()), what="an assignment")
        await bus.publish([forecast_event(topic, AREAS[i % len(AREAS)], f"e{i}") for i in range(n)])
        await eventually(lambda: lag(topic, group, partitions) == n, what=f"a lag of {n}")
        assert handled == []
        gate.set()
        await eventually(lambda: len(handled) == n, what="every message handled")
        await eventually(lambda: lag(topic, group, partitions) == 0, what="no lag")
    finally:
        await consumer.stop()


async def test_lag_on_the_memory_bus() -> None:
    bus = InMemoryBus(partitions=4, retry_max_seconds=0.5)
    await bus.start()
    try:
        await publish_n_then_consume(bus, fresh_topic(), partitions=4)
    finally:
        await bus.stop()


async def test_a_group_with_no_member_left_still_shows_what_waits_for_it() -> None:
    bus = InMemoryBus(partitions=2, retry_max_seconds=0.5)
    topic = fresh_topic()

    async def ignore(_event: Event[Any]) -> None:
        return None

    consumer = bus.consumer(topic, "lag-gone", ignore)
    await consumer.start()
    await consumer.stop()
    await bus.publish([forecast_event(topic, area, "late") for area in AREAS[:3]])
    assert lag(topic, "lag-gone", 2) == 3
