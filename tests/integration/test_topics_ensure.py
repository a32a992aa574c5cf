"""`airwarn topics ensure`'s routine against the real broker: every declared topic and its
.dlq twin with the configured partitions, idempotent, and a different partition count
refused naming the topic (issue 12 item 10)."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from shared.bus.topics import PartitionMismatch, declared, ensure_topics
from tests.contract.support import fresh_topic

pytestmark = pytest.mark.kafka


async def _partitions(bootstrap: str, names: list[str]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics(names)}
    finally:
        await admin.close()


async def test_ensure_creates_each_topic_and_its_dlq_then_changes_nothing(
    kafka_bootstrap: str,
) -> None:
    topics = [fresh_topic(), fresh_topic()]
    names = declared(topics)
    first = await ensure_topics(kafka_bootstrap, 3, topics)
    assert sorted(first.created) == sorted(names) and first.existing == []
    assert await _partitions(kafka_bootstrap, names) == {name: 3 for name in names}
    again = await ensure_topics(kafka_bootstrap, 3, topics)
    assert again.created == [] and sorted(again.existing) == sorted(names)


async def test_ensure_refuses_a_topic_with_another_partition_count(kafka_bootstrap: str) -> None:
    topic = fresh_topic()
    await ensure_topics(kafka_bootstrap, 2, [topic])
    with pytest.raises(PartitionMismatch, match=topic.name):
        await ensure_topics(kafka_bootstrap, 3, [topic])
