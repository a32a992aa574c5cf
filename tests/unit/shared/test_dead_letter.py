"""A DLQ copy says which consumer group gave up on the message: several groups read
one topic, and each decides alone (the fault suite checks one copy per group)."""

from __future__ import annotations

from shared.bus.memory import InMemoryBus
from shared.contracts.envelope import RawMessage
from shared.contracts.topics import WARNING_CHANGED
from tests.conftest import eventually


async def test_each_group_dead_letters_once_under_its_own_name() -> None:
    bus = InMemoryBus(partitions=2)

    async def never(_event: object) -> None:
        raise AssertionError("poison reached a handler")

    consumers = [bus.consumer(WARNING_CHANGED, group, never) for group in ("a.one", "b.two")]
    for consumer in consumers:
        await consumer.start()
    await bus.publish_raw(RawMessage(WARNING_CHANGED.name, b"500103", b"\x00garbage"))
    await eventually(lambda: len(bus.messages(WARNING_CHANGED.dlq)) >= 2, what="two DLQ copies")
    for consumer in consumers:
        await consumer.stop()
    dead = bus.messages(WARNING_CHANGED.dlq)
    assert sorted(m.header("airwarn_dlq_group") or "" for m in dead) == ["a.one", "b.two"]
    assert all((m.header("airwarn_dlq_reason") or "").startswith("undecodable") for m in dead)
