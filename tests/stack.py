"""The four services as separate ``airwarn serve`` processes on a real Kafka broker and
real PostgreSQL (a database per service), for the end-to-end and fault suites.

A :class:`Stack` keeps each service on one port for its whole life, so a service killed
and started again is reached at the same address; :func:`service_databases` makes the
per-service databases; :func:`consumer_lag` and :func:`skip_to_end` look at and move the
services' consumer groups on the broker.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.app import SERVICES
from shared.bus.memory import InMemoryBus
from shared.settings import SERVICE_NAMES, load_settings
from tests.conftest import eventually

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def admin_sql(url: str, *statements: str) -> None:
    """Run statements outside a transaction (CREATE/DROP DATABASE need that)."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        for statement in statements:
            await connection.execute(text(statement))
    await engine.dispose()


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
    }
    env.update({f"AIRWARN_{name.upper()}": str(value) for name, value in settings.items()})
    return env


class ServiceProcess:
    """One ``airwarn serve`` process; its port and log survive restarts."""

    def __init__(self, name: str, env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        self._env = dict(env)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.alive():
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "services.cli",
                    "serve",
                    self.name,
                    "--port",
                    str(self.port),
                ],
                cwd=ROOT,
                env=self._env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, nothing in hand is committed."""
        if self.process is not None and self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def terminate(self) -> None:
        """SIGTERM once (a second one would make uvicorn skip the graceful shutdown)."""
        if self.process is not None and self.alive():
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float = 30) -> bool:
        """Wait for the process to end; False when it had to be killed."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return False
        return True

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class Stack:
    """The named services as processes sharing one environment."""

    def __init__(
        self, env: Mapping[str, str], log_dir: Path, names: Sequence[str] = SERVICE_NAMES
    ) -> None:
        self.services = {name: ServiceProcess(name, env, log_dir) for name in names}

    @property
    def urls(self) -> dict[str, str]:
        return {name: service.url for name, service in self.services.items()}

    def start(self) -> None:
        for service in self.services.values():
            service.start()

    def stop(self) -> list[str]:
        """SIGTERM every service at once; return the names of those that had to be killed."""
        for service in self.services.values():
            service.terminate()
        return [name for name, service in self.services.items() if not service.wait_stopped()]

    async def wait_ready(
        self, client: httpx.AsyncClient, names: Sequence[str] | None = None, timeout: float = 90
    ) -> None:
        for name in names or list(self.services):
            service = self.services[name]

            async def ready(service: ServiceProcess = service) -> bool:
                if not service.alive():
                    raise AssertionError(f"{service.name} exited:\n{service.tail()}")
                try:
                    return (await client.get(f"{service.url}/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, timeout=timeout, what=f"{name} to be ready")


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
