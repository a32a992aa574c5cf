"""One contract, two buses: the in-memory bus and a real Kafka broker (marker ``kafka``).

Each test drives the real consumer machinery — dispatcher, idempotent handler
over a real SQLite unit of work, outbox relay — through the bus under test.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from shared.bus.base import Bus
from shared.bus.kafka import KafkaBus
from shared.bus.memory import InMemoryBus
from shared.bus.sqlite_log import SqliteLog
from shared.contracts.envelope import Event, RawMessage, encode
from shared.contracts.topics import Topic
from shared.db.outbox import OutboxRelay
from shared.runtime import ServiceRuntime
from tests.conftest import eventually
from tests.contract.support import (
    contract_runtime,
    effect_count,
    effect_sources,
    forecast_event,
    fresh_topic,
    read_raw,
)

DISTRICTS = ["500103", "500104", "500105", "500106", "500107", "500108", "500109", "500112"]


#: a bus over the same storage as the one under test (None: it has none to reopen)
Reopen = Callable[[], Bus] | None


@pytest.fixture(params=["memory", "durable", pytest.param("kafka", marks=pytest.mark.kafka)])
def reopen(request: pytest.FixtureRequest, tmp_path: Path) -> Reopen:
    """``memory`` forgets at exit; ``durable`` is what ``airwarn up`` runs (the in-memory
    bus over its SQLite log); ``kafka`` a real broker."""
    if request.param == "memory":
        return None
    if request.param == "durable":
        return lambda: InMemoryBus(
            partitions=4, retry_max_seconds=0.5, store=SqliteLog(tmp_path / "bus.db")
        )
    bootstrap = request.getfixturevalue("kafka_bootstrap")
    return lambda: KafkaBus(bootstrap, partitions=4, retry_max_seconds=0.5)


@pytest.fixture
async def bus(reopen: Reopen) -> AsyncIterator[Bus]:
    made = reopen() if reopen is not None else InMemoryBus(partitions=4, retry_max_seconds=0.5)
    await made.start()
    yield made
    await made.stop()


@pytest.fixture
async def topic(bus: Bus) -> Topic:
    made = fresh_topic()
    if isinstance(bus, KafkaBus):
        await bus.ensure_topics([made])
    return made


@pytest.fixture
async def runtime(bus: Bus, topic: Topic, tmp_path: Path) -> AsyncIterator[ServiceRuntime[Any]]:
    made = await contract_runtime(bus, f"sqlite+aiosqlite:///{tmp_path}/contract.db", topic)
    yield made
    await made.stop()


def group_of(topic: Topic) -> str:
    return f"contract.{topic.name}"


async def test_each_key_keeps_its_order(
    bus: Bus, topic: Topic, runtime: ServiceRuntime[Any]
) -> None:
    events = [forecast_event(topic, DISTRICTS[i % 3], f"seq-{i:03d}") for i in range(60)]
    consumer = bus.consumer(topic, group_of(topic), runtime.idempotent(runtime.subscriptions[0]))
    await consumer.start()
    try:
        await bus.publish(events)
        await eventually(lambda: _count(runtime, 60), what="60 events handled")
    finally:
        await consumer.stop()
    seen: dict[str, list[str]] = defaultdict(list)
    by_label = {e.payload.source: e.payload.area for e in events}
    for label in await effect_sources(runtime):
        seen[by_label[label]].append(label)
    for area, labels in seen.items():
        assert labels == sorted(labels), f"events of {area} handled out of order: {labels}"
    assert sum(len(v) for v in seen.values()) == 60


async def test_two_consumers_in_a_group_share_the_partitions(
    bus: Bus, topic: Topic, runtime: ServiceRuntime[Any]
) -> None:
    received: dict[str, list[str]] = {"a": [], "b": []}
    inner = runtime.idempotent(runtime.subscriptions[0])

    def recording(name: str) -> Any:
        async def handle(event: Event[Any]) -> None:
            await inner(event)
            received[name].append(event.id)

        return handle

    first = bus.consumer(topic, group_of(topic), recording("a"))
    second = bus.consumer(topic, group_of(topic), recording("b"))
    await first.start()
    await second.start()
    try:
        # Until the rebalance settles a member may still report its old assignment.
        await eventually(
            lambda: (
                bool(first.assigned_partitions())
                and bool(second.assigned_partitions())
                and not first.assigned_partitions() & second.assigned_partitions()
            ),
            what="both members to hold partitions, none of them twice",
        )
        events = [forecast_event(topic, DISTRICTS[i % len(DISTRICTS)], f"e{i}") for i in range(80)]
        await bus.publish(events)
        await eventually(
            lambda: len(received["a"]) + len(received["b"]) >= 80, what="all 80 events handled"
        )
    finally:
        await first.stop()
        await second.stop()
    assert received["a"], "the first member handled nothing"
    assert received["b"], "the second member handled nothing"
    assert not set(received["a"]) & set(received["b"]), "an event went to both members"
    assert set(received["a"]) | set(received["b"]) == {e.id for e in events}


async def test_a_consumer_killed_before_commit_gets_the_message_again_applied_once(
    bus: Bus, topic: Topic, runtime: ServiceRuntime[Any]
) -> None:
    inner = runtime.idempotent(runtime.subscriptions[0])
    deliveries: list[str] = []
    stuck = asyncio.Event()

    async def dies_after_commit(event: Event[Any]) -> None:
        deliveries.append(event.payload.source)
        await inner(event)  # the database transaction commits here
        stuck.set()
        await asyncio.Event().wait()  # ...and the process dies before the offset commit

    async def healthy(event: Event[Any]) -> None:
        deliveries.append(event.payload.source)
        await inner(event)

    victim = bus.consumer(topic, group_of(topic), dies_after_commit)
    await victim.start()
    await bus.publish([forecast_event(topic, "500103", "only")])
    await asyncio.wait_for(stuck.wait(), timeout=60)
    await victim.kill()

    successor = bus.consumer(topic, group_of(topic), healthy)
    await successor.start()
    try:
        await eventually(lambda: len(deliveries) >= 2, what="redelivery to the successor")
        await bus.publish([forecast_event(topic, "500103", "after")])
        await eventually(lambda: "after" in deliveries, what="the next message")
    finally:
        await successor.stop()
    assert deliveries.count("only") == 2, deliveries
    assert await effect_count(runtime, "only") == 1, "the redelivered event was applied twice"
    assert await effect_count(runtime, "after") == 1


async def test_a_bus_started_again_resumes_each_group_at_its_committed_offset(
    bus: Bus, reopen: Reopen, topic: Topic, runtime: ServiceRuntime[Any]
) -> None:
    """What a group committed is not handed to it again; what it had not yet read —
    accepted by the bus while nobody consumed, then the process crashed — is."""
    if reopen is None:
        pytest.skip("this bus keeps nothing across a restart, by design")
    inner = runtime.idempotent(runtime.subscriptions[0])
    deliveries: list[str] = []

    async def recording(event: Event[Any]) -> None:
        deliveries.append(event.payload.source)
        await inner(event)

    before = bus.consumer(topic, group_of(topic), recording)
    await before.start()
    await bus.publish([forecast_event(topic, "500103", f"before-{i}") for i in range(2)])
    try:
        await eventually(lambda: len(deliveries) == 2, what="the first two messages")
    finally:
        await before.stop()  # leaves the group with both committed
    await bus.publish([forecast_event(topic, "500103", f"after-{i}") for i in range(3)])
    # The process dies here: the bus is not stopped, nothing more is flushed.
    again = reopen()
    await again.start()
    after = again.consumer(topic, group_of(topic), recording)
    await after.start()
    try:
        await eventually(lambda: len(deliveries) >= 5, what="what was accepted before the crash")
    finally:
        await after.stop()
        await again.stop()
    assert deliveries == ["before-0", "before-1", "after-0", "after-1", "after-2"]
    assert await effect_sources(runtime) == deliveries


async def test_poison_messages_go_to_the_dlq_and_the_consumer_goes_on(
    bus: Bus, topic: Topic, runtime: ServiceRuntime[Any]
) -> None:
    good = forecast_event(topic, "500105", "good")
    valid_shape = encode(good)
    not_json = RawMessage(
        topic=topic.name, key=b"500105", value=b"\xff{not json", headers=valid_shape.headers
    )
    no_headers = RawMessage(topic=topic.name, key=b"500105", value=b'{"area": "500105"}')
    wrong_schema = RawMessage(
        topic=topic.name, key=b"500105", value=b'{"area": "500105"}', headers=valid_shape.headers
    )
    for message in (not_json, no_headers, wrong_schema):
        await bus.publish_raw(message)
    await bus.publish([good])
    consumer = bus.consumer(topic, group_of(topic), runtime.idempotent(runtime.subscriptions[0]))
    await consumer.start()
    try:
        await eventually(lambda: _count(runtime, 1), what="the good message after the poison")
    finally:
        await consumer.stop()
    dead = await read_raw(bus, topic.dlq, expected=3)
    assert len(dead) == 3
    reasons = [message.header("airwarn_dlq_reason") or "" for message in dead]
    assert any("not a CloudEvent" in r or "data is not" in r for r in reasons), reasons
    assert any("missing CloudEvents header ce_id" in r for r in reasons), reasons
    assert any("invalid ForecastIssued" in r and "forecast_id" in r for r in reasons), reasons
    assert all(m.header("airwarn_dlq_topic") == topic.name for m in dead)
    assert await effect_sources(runtime) == ["good"]


class _CrashAfterSend:
    """A bus that delivers a batch, then dies before the relay can mark it sent."""

    def __init__(self, inner: Bus) -> None:
        self._inner = inner

    async def publish(self, events: Any) -> None:
        await self._inner.publish(events)
        raise ConnectionError("process died after the broker acknowledged")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def test_outbox_relays_what_was_committed_before_a_crash(
    bus: Bus, topic: Topic, runtime: ServiceRuntime[Any]
) -> None:
    relay = runtime.relay
    assert relay is not None
    # Stop the running relay so the committed rows sit unsent, as after a crash.
    await runtime.stop()
    await runtime.start(migrate=False, consume=False)
    _park_relay(runtime)

    async with runtime.uow() as uow:
        for label in ("one", "two"):
            await uow.publish(topic, forecast_event(topic, "500108", label).payload)
        await uow.commit()
    assert await runtime.relay.backlog() == 2  # type: ignore[union-attr]

    crashing = OutboxRelay(
        "contract",
        runtime._sessions,
        runtime.tables,  # type: ignore[arg-type]
        _CrashAfterSend(bus),
    )  # type: ignore[arg-type]
    with pytest.raises(ConnectionError):
        await crashing.relay_once()
    restarted = OutboxRelay("contract", runtime._sessions, runtime.tables, bus)  # type: ignore[arg-type]
    assert await restarted.relay_once() == 2
    assert await restarted.relay_once() == 0

    consumer = bus.consumer(topic, group_of(topic), runtime.idempotent(runtime.subscriptions[0]))
    await consumer.start()
    try:
        on_bus = await read_raw(bus, topic.name, expected=4)
        assert len(on_bus) == 4, "each row is sent again after the crash, same event id"
        await eventually(lambda: _count(runtime, 2), what="both relayed events handled")
        await asyncio.sleep(0.5)
    finally:
        await consumer.stop()
    assert await effect_sources(runtime) == ["one", "two"]


def _park_relay(runtime: ServiceRuntime[Any]) -> None:
    task = runtime._relay_task
    assert task is not None
    task.cancel()


async def _count(runtime: ServiceRuntime[Any], expected: int) -> bool:
    return len(await effect_sources(runtime)) >= expected
