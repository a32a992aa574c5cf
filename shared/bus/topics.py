"""Declared topics: each topic of shared.contracts.topics and its ``.dlq`` twin, with a
fixed partition count, created by one routine (``airwarn topics ensure``).

Idempotent: what exists is reported as existing; a topic that exists with another
partition count than configured is refused (a key's partition depends on the count, so
per-key order would silently break), naming the topic.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.contracts.topics import TOPICS, Topic


class PartitionMismatch(RuntimeError):
    """An existing topic has another partition count than the settings declare."""


class TopicsNotDeclared(RuntimeError):
    """A service started before `airwarn topics ensure` made its topics."""


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
    settle_seconds: float = 30.0,
) -> Ensured:
    names = declared(topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)
    await admin.start()
    try:
        counts = await _partition_counts(admin, names)
        result = Ensured(existing=[n for n in names if n in counts])
        missing = [n for n in names if n not in counts]
        if missing:
            response = await admin.create_topics(
                [NewTopic(n, partitions, replication_factor) for n in missing]
            )
            for topic, code, *message in response.topic_errors:
                if code == TopicAlreadyExistsError.errno:
                    result.existing.append(topic)  # made meanwhile by another; checked below
                elif code:
                    detail = message[0] if message and message[0] else f"error code {code}"
                    raise RuntimeError(f"creating topic {topic}: {detail}")
                else:
                    result.created.append(topic)
            # A broker answers metadata from a cache that trails topic creation: wait until
            # every topic is visible, or a second run at once would see it missing.
            deadline = time.monotonic() + settle_seconds
            while len(counts := await _partition_counts(admin, names)) < len(names):
                if time.monotonic() > deadline:
                    absent = sorted(set(names) - set(counts))
                    raise RuntimeError(f"topics not visible after creation: {absent}")
                await asyncio.sleep(0.1)
        if refuse_mismatch:
            for name in names:
                if counts[name] != partitions:
                    raise PartitionMismatch(
                        f"topic {name} has {counts[name]} partitions,"
                        f" the settings say {partitions} (AIRWARN_KAFKA_PARTITIONS)"
                    )
        return result
    finally:
        await admin.close()


async def _partition_counts(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, int]:
    """The partition count of each of ``names`` that the broker knows."""
    return {
        described["topic"]: len(described["partitions"])
        for described in await admin.describe_topics(names)
        if described["error_code"] == 0 and described["partitions"]
    }


async def check_topics(
    bootstrap: str,
    partitions: int | None = None,
    topics: Iterable[Topic] = TOPICS.values(),
    *,
    client_id: str = "airwarn",
) -> None:
    """Refuse to run on topics not made by `airwarn topics ensure`: a missing topic (the
    broker does not create topics on first use) or, when ``partitions`` is given,
    another partition count than declared."""
    names = declared(topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)
    await admin.start()
    try:
        counts = await _partition_counts(admin, names)
    finally:
        await admin.close()
    missing = [n for n in names if n not in counts]
    if missing:
        raise TopicsNotDeclared(
            f"topics missing on {bootstrap}: {', '.join(missing)}; "
            "create them with `airwarn topics ensure`"
        )
    for name in names:
        if partitions is not None and counts[name] != partitions:
            raise PartitionMismatch(
                f"topic {name} has {counts[name]} partitions,"
                f" the settings say {partitions} (AIRWARN_KAFKA_PARTITIONS)"
            )
