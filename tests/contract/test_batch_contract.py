"""The batch contract (issue 13), on the same three buses as the bus contract: a consumer
hands what it fetched to one unit of work, and still keeps every per-message promise —
per-key order, each event once (also when it comes twice in one batch), a bad message
dead-lettered alone, a failing batch retried in halves with nothing lost."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from shared.bus.base import Bus
from shared.contracts.envelope import Event
from shared.contracts.payloads import ForecastIssued
from shared.contracts.topics import Topic
from shared.db.uow import SqlUnitOfWork
from shared.errors import Rejected
from shared.runtime import ServiceRuntime, Subscription
from tests.conftest import eventually
from tests.contract.support import (
    effect_count,
    effect_sources,
    forecast_event,
    read_raw,
    record_effect,
)
from tests.contract.test_bus_contract import DISTRICTS, bus, group_of, reopen, runtime, topic

__all__ = ["bus", "reopen", "runtime", "topic"]  # fixtures


def _batching(
    bus: Bus, topic: Topic, runtime: ServiceRuntime[Any], subscription: Subscription[Any]
) -> tuple[Any, list[int]]:
    """A consumer in batch mode; the sizes of the batches its handler was given."""
    sizes: list[int] = []
    whole = runtime.idempotent_batch(subscription)

    async def batch(events: Sequence[Event[Any]]) -> None:
        sizes.append(len(events))
        await whole(events)

    consumer = bus.consumer(
        topic,
        group_of(topic),
        runtime.idempotent(subscription),
        batch=batch,
        max_batch=50,
    )
    return consumer, sizes


async def _handled(runtime: ServiceRuntime[Any], expected: int) -> bool:
    return len(await effect_sources(runtime)) >= expected


async def test_batches_keep_each_keys_order_and_handle_each_event_once(
    bus: Bus, topic: Topic, runtime: ServiceRuntime[Any]
) -> None:
    events = [forecast_event(topic, DISTRICTS[i % 3], f"seq-{i:03d}") for i in range(120)]
    # Published before the consumer starts, so that it finds batches waiting.
    await bus.publish(events)
    consumer, sizes = _batching(bus, topic, runtime, runtime.subscriptions[0])
    await consumer.start()
    try:
        await eventually(lambda: _handled(runtime, 120), what="120 events handled")
    finally:
        await consumer.stop()
    assert max(sizes) > 1, f"never more than one message per batch: {sizes}"
    assert max(sizes) <= 50, sizes
    labels = await effect_sources(runtime)
    assert sorted(labels) == sorted(e.payload.source for e in events), "lost or twice"
    area_of = {e.payload.source: e.payload.area for e in events}
    per_area: dict[str, list[str]] = defaultdict(list)
    for label in labels:
        per_area[area_of[label]].append(label)
    for area, seen in per_area.items():
        assert seen == sorted(seen), f"{area} out of order: {seen}"


async def test_an_event_twice_in_one_batch_is_handled_once(
    bus: Bus, topic: Topic, runtime: ServiceRuntime[Any]
) -> None:
    once = forecast_event(topic, "500103", "twice")
    after = forecast_event(topic, "500103", "after")
    await bus.publish([once, once, after])
    consumer, _ = _batching(bus, topic, runtime, runtime.subscriptions[0])
    await consumer.start()
    try:
        await eventually(lambda: _handled(runtime, 2), what="both events handled")
    finally:
        await consumer.stop()
    assert await effect_count(runtime, "twice") == 1
    assert await effect_count(runtime, "after") == 1


async def test_a_rejected_message_is_dead_lettered_alone_and_its_batch_goes_on(
    bus: Bus, topic: Topic, runtime: ServiceRuntime[Any]
) -> None:
    async def strict(payload: ForecastIssued, uow: SqlUnitOfWork) -> None:
        if payload.source == "bad":
            raise Rejected("bad: refused by the contract's rule")
        await record_effect(payload, uow)

    subscription = Subscription(topic, "strict", strict)
    area = "500104"  # one key: the bad message sits inside one partition's batch
    events = [forecast_event(topic, area, f"ok-{i:02d}") for i in range(20)]
    events.insert(11, forecast_event(topic, area, "bad"))
    await bus.publish(events)
    consumer, sizes = _batching(bus, topic, runtime, subscription)
    await consumer.start()
    try:
        await eventually(lambda: _handled(runtime, 20), what="the 20 good events handled")
        dead = await read_raw(bus, topic.dlq, expected=1)
    finally:
        await consumer.stop()
    assert await effect_sources(runtime) == [f"ok-{i:02d}" for i in range(20)], "order or loss"
    assert [m.header("ce_id") for m in dead] == [events[11].id]
    assert (dead[0].header("airwarn_dlq_reason") or "").startswith("rejected by ")
    assert sizes[0] > 1, "the bad message was not inside a batch"


async def test_a_failing_batch_is_retried_in_halves_with_nothing_lost(
    bus: Bus, topic: Topic, runtime: ServiceRuntime[Any]
) -> None:
    failures = {"flaky": 2}  # a transient error the first two times "flaky" is handled

    async def flaky(payload: ForecastIssued, uow: SqlUnitOfWork) -> None:
        if failures.get(payload.source, 0) > 0:
            failures[payload.source] -= 1
            raise ConnectionError("database restarting")
        await record_effect(payload, uow)

    subscription = Subscription(topic, "flaky", flaky)
    area = "500105"
    events = [forecast_event(topic, area, f"e-{i:02d}") for i in range(12)]
    events[5] = forecast_event(topic, area, "flaky")
    await bus.publish(events)
    consumer, _ = _batching(bus, topic, runtime, subscription)
    await consumer.start()
    try:
        await eventually(lambda: _handled(runtime, 12), what="all 12 events handled")
    finally:
        await consumer.stop()
    assert await effect_sources(runtime) == [e.payload.source for e in events]
    assert failures["flaky"] == 0
