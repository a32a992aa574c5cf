"""Declared topics: each topic of shared.contracts.topics and its ``.dlq`` twin, with a
fixed partition count, created by one routine (``airwarn topics ensure``).

Idempotent: what exists is reported as existing; a topic that exists with another
partition count than configured is refused (a key's partition depends on the count, so
per-key order would silently break), naming the topic.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.contracts.topics import TOPICS, Topic


class PartitionMismatch(RuntimeError):
    """An existing topic has another partition count than the settings declare."""


@dataclass
class Ensured:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


def declared(topics: Iterable[Topic] = TOPICS.values()) -> list[str]:
    return [name for topic in topics for name in (topic.name, topic.dlq)]


async def ensure_topics(
    bootstrap: str,
    partitions: int,
    topics: Iterable[Topic] = TOPICS.values(),
    *,
    client_id: str = "airwarn",
    replication_factor: int = 1,
    refuse_mismatch: bool = True,
) -> Ensured:
    names = declared(topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)
    await admin.start()
    try:
        present = set(await admin.list_topics())
        result = Ensured(existing=[n for n in names if n in present])
        if result.existing and refuse_mismatch:
            for described in await admin.describe_topics(result.existing):
                count = len(described["partitions"])
                if count != partitions:
                    raise PartitionMismatch(
                        f"topic {described['topic']} has {count} partitions,"
                        f" the settings say {partitions} (AIRWARN_KAFKA_PARTITIONS)"
                    )
        missing = [n for n in names if n not in present]
        if missing:
            new = [NewTopic(n, partitions, replication_factor) for n in missing]
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
            result.created = missing
        return result
    finally:
        await admin.close()
