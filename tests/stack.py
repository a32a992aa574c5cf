"""The four services as separate ``airwarn serve`` processes on a real Kafka broker and
real PostgreSQL (a database per service), for the end-to-end and fault suites.

A :class:`Stack` (bench's :class:`~bench.stack.ServiceGroup`) keeps each service on one
port for its whole life, so a service killed and started again is reached at the same address; :func:`service_databases` makes the
per-service databases; :func:`consumer_lag` and :func:`skip_to_end` look at and move the
services' consumer groups on the broker.
"""

from __future__ import annotations

import asyncio
import functools
import os
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiosmtpd.controller import Controller

from bench.stack import ROOT, TEST_TOKENS, ServiceGroup, ServiceProcess, admin_sql, free_port
from services.app import SERVICES
from shared.bus.memory import InMemoryBus
from shared.db import audit_keys
from shared.settings import SERVICE_NAMES, load_settings
from tests.conftest import eventually

# The processes themselves are bench's (one implementation; bench imports nothing from here).
Stack = ServiceGroup
__all__ = ["ROOT", "ServiceProcess", "Stack", "admin_sql", "free_port"]


@contextmanager
def service_databases(
    postgres_url: str, prefix: str = "airwarn_e2e", settings: Mapping[str, str] | None = None
) -> Iterator[str]:
    """A fresh database per service on the server of ``postgres_url``, each with
    ``settings`` (ALTER DATABASE ... SET); yields the ``AIRWARN_DATABASE_URL`` template
    (with ``{service}``) and drops them afterwards."""
    stem = f"{prefix}_{uuid.uuid4().hex[:8]}"
    names = [f"{stem}_{service}" for service in SERVICE_NAMES]
    statements = [f'CREATE DATABASE "{n}"' for n in names] + [
        f'ALTER DATABASE "{n}" SET {name} = {value}'
        for n in names
        for name, value in (settings or {}).items()
    ]
    asyncio.run(admin_sql(postgres_url, *statements))
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{stem}_{{service}}"
    finally:
        asyncio.run(admin_sql(postgres_url, *(f'DROP DATABASE "{n}" WITH (FORCE)' for n in names)))


@contextmanager
def smtp_sink() -> Iterator[tuple[list[bytes], int]]:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield received, port
    finally:
        controller.stop()


@functools.cache
def _audit_dir() -> Path:
    """One audit key file (and anchor directory) for this test run: `airwarn serve`
    refuses to start without a key file (shared.db.audit_keys)."""
    made = Path(tempfile.mkdtemp(prefix="airwarn-audit-"))
    audit_keys.write(made / "audit-keys.json", audit_keys.KeyRing.generate())
    return made


def audit_key_file() -> Path:
    """The audit key file every service process of this test run signs its chain with."""
    return _audit_dir() / "audit-keys.json"


def stack_env(kafka_bootstrap: str, database_template: str, **settings: object) -> dict[str, str]:
    """The environment of every service process: the real bus and databases, fast polls,
    and ``settings`` as further ``AIRWARN_*`` variables (``smtp_port=25`` → AIRWARN_SMTP_PORT)."""
    env = {
        **os.environ,
        "AIRWARN_BUS": "kafka",
        "AIRWARN_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "AIRWARN_DATABASE_URL": database_template,
        "AIRWARN_OUTBOX_POLL_SECONDS": "0.1",
        "AIRWARN_DELIVERY_EVERY_SECONDS": "0.2",
        "AIRWARN_LOG_LEVEL": "WARNING",
        "AIRWARN_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",  # the tests' local receivers
        "AIRWARN_AUDIT_KEYS_FILE": str(_audit_dir() / "audit-keys.json"),
        "AIRWARN_TOKENS_FILE": str(TEST_TOKENS),
        "AIRWARN_AUDIT_ANCHOR_DIR": str(_audit_dir() / "anchors"),
    }
    env.update({f"AIRWARN_{name.upper()}": str(value) for name, value in settings.items()})
    return env


def consumer_groups() -> dict[str, list[str]]:
    """Each consumer group of the services, with the topics it reads (as the services
    name them: ``airwarn.<service>.<subscription>``)."""
    settings = load_settings()
    bus = InMemoryBus()
    groups: dict[str, list[str]] = {}
    for module in SERVICES.values():
        runtime = module.build(settings, bus)
        for subscription in runtime.subscriptions:
            group = f"{runtime.group_prefix}.{subscription.name}"
            groups.setdefault(group, []).append(subscription.topic.name)
    return groups


async def end_offsets(bootstrap: str, topics: Sequence[str]) -> dict[TopicPartition, int]:
    """The end offset of every partition of ``topics`` (those that exist)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    partitions = [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        if topic["error_code"] == 0
        for partition in topic["partitions"]
    ]
    if not partitions:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return ends
    finally:
        await consumer.stop()


async def consumer_lag(bootstrap: str, groups: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Messages each group has yet to commit, over all partitions of its topics."""
    topics = sorted({t for ts in groups.values() for t in ts})
    ends = await end_offsets(bootstrap, topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        lag: dict[str, int] = {}
        for group, its_topics in groups.items():
            committed = await admin.list_consumer_group_offsets(group)
            lag[group] = sum(
                end - max(committed[tp].offset if tp in committed else 0, 0)
                for tp, end in ends.items()
                if tp.topic in its_topics
            )
        return lag
    finally:
        await admin.close()


async def skip_to_end(
    bootstrap: str, groups: Mapping[str, Sequence[str]], timeout: float = 60
) -> None:
    """Commit each group's offsets at the end of its topics, so a new stack does not
    consume what earlier test runs left on the shared broker. A group is only moved
    once it is empty: a member an earlier test killed leaves when its session ends."""
    for group, topics in groups.items():
        ends = await end_offsets(bootstrap, topics)
        if not ends:
            continue

        async def moved(group: str = group, ends: dict[TopicPartition, int] = ends) -> bool:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
            )
            await consumer.start()
            try:
                consumer.assign(list(ends))
                await consumer.commit(dict(ends))
            except KafkaError:
                return False
            finally:
                await consumer.stop()
            return True

        await eventually(moved, timeout=timeout, what=f"group {group} to be empty and moved")
