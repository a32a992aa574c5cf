"""What each service is made of at run time, wired once at start-up.

A service declares its tables, its unit of work and the events it consumes; the
runtime migrates its database, relays its outbox, and runs one consumer per
subscription whose handler is made idempotent by the processed-events table.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.areas import load_areas_file
from shared.bus.base import BatchHandler, Bus, Consumer, EventHandler
from shared.bus.dispatch import message_context
from shared.contracts.envelope import Event
from shared.contracts.payloads import AuditAnchor
from shared.contracts.topics import AUDIT_ANCHORS, Topic
from shared.db import audit_anchor, audit_keys
from shared.db.audit_keys import KeyRing
from shared.db.engine import make_engine, make_session_factory
from shared.db.migrate import upgrade
from shared.db.outbox import OutboxRelay
from shared.db.tables import MessagingTables
from shared.db.uow import SqlUnitOfWork
from shared.observability import context
from shared.settings import Settings

log = logging.getLogger(__name__)
U = TypeVar("U", bound=SqlUnitOfWork)


@dataclass(frozen=True)
class Subscription(Generic[U]):
    """A handler for one topic: ``handle(payload, uow)`` changes state, never commits."""

    topic: Topic
    name: str
    handle: Callable[[Any, U], Awaitable[None]]


UowFactory = Callable[..., U]


@dataclass(frozen=True)
class Job:
    """Work a service does on a schedule: ``run(runtime)`` every ``every`` seconds."""

    name: str
    every: float
    run: Callable[[ServiceRuntime[Any]], Awaitable[None]]
    #: also run as soon as this service commits an event to publish (so what a handler
    #: queued with it need not wait for the next tick); ``every`` stays the fallback
    after_commit: bool = False


class ServiceRuntime(Generic[U]):
    def __init__(
        self,
        name: str,
        *,
        database_url: str,
        bus: Bus,
        tables: MessagingTables,
        uow_class: UowFactory[U],
        subscriptions: list[Subscription[U]],
        jobs: list[Job] | None = None,
        outbox_batch_size: int = 200,
        outbox_poll_seconds: float = 0.5,
        audit_keys: KeyRing,
        anchor_dir: Path,
        anchor_every: float = 60.0,
        consumer_batch_max: int = 1,
    ) -> None:
        self.name = name
        #: messages a consumer hands to one transaction at most (1: one at a time)
        self.consumer_batch_max = consumer_batch_max
        self.audit_keys = audit_keys
        self.anchor_dir = anchor_dir
        self._anchored: tuple[int, str] | None = None
        self.database_url = database_url
        self.bus = bus
        self.tables = tables
        self._uow_class = uow_class
        self.subscriptions = subscriptions
        # The audit head is anchored outside the database on a schedule (shared.db.audit_anchor).
        self.jobs = [*(jobs or []), Job("audit-anchor", anchor_every, _anchor_job)]
        self._job_tasks: list[asyncio.Task[None]] = []
        self._commit_wakes: list[asyncio.Event] = []
        self._outbox_batch_size = outbox_batch_size
        self._outbox_poll_seconds = outbox_poll_seconds
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self.relay: OutboxRelay | None = None
        self._relay_task: asyncio.Task[None] | None = None
        self.consumers: list[Consumer] = []

    @classmethod
    def from_settings(
        cls,
        name: str,
        settings: Settings,
        bus: Bus,
        *,
        tables: MessagingTables,
        uow_class: UowFactory[U],
        subscriptions: list[Subscription[U]],
        jobs: list[Job] | None = None,
    ) -> ServiceRuntime[U]:
        if settings.areas_file is not None:
            load_areas_file(settings.areas_file)
        return cls(
            name,
            database_url=settings.database_url_for(name),
            bus=bus,
            tables=tables,
            uow_class=uow_class,
            subscriptions=subscriptions,
            jobs=jobs,
            outbox_batch_size=settings.outbox_batch_size,
            outbox_poll_seconds=settings.outbox_poll_seconds,
            audit_keys=audit_keys.for_runtime(settings),
            anchor_dir=settings.audit_anchors,
            anchor_every=settings.audit_anchor_seconds,
            consumer_batch_max=settings.consumer_batch_max,
        )

    @property
    def group_prefix(self) -> str:
        return f"airwarn.{self.name}"

    async def start(self, *, migrate: bool = True, consume: bool = True) -> None:
        if migrate:
            await asyncio.to_thread(upgrade, self.name, self.database_url)
        self._engine = make_engine(self.database_url)
        self._sessions = make_session_factory(self._engine)
        self.relay = OutboxRelay(
            self.name,
            self._sessions,
            self.tables,
            self.bus,
            batch_size=self._outbox_batch_size,
            poll_seconds=self._outbox_poll_seconds,
        )
        self._relay_task = asyncio.create_task(self.relay.run(), name=f"{self.name} outbox relay")
        await self.anchor_audit()  # the head as found, before anything changes it
        if consume:
            for subscription in self.subscriptions:
                consumer = self.bus.consumer(
                    subscription.topic,
                    f"{self.group_prefix}.{subscription.name}",
                    self.idempotent(subscription),
                    batch=self.idempotent_batch(subscription),
                    max_batch=self.consumer_batch_max,
                )
                await consumer.start()
                self.consumers.append(consumer)
        for job in self.jobs:
            wake = asyncio.Event() if job.after_commit else None
            if wake is not None:
                self._commit_wakes.append(wake)
            self._job_tasks.append(
                asyncio.create_task(self._every(job, wake), name=f"{self.name} {job.name}")
            )
        log.info("service started", extra={"service": self.name})

    async def _every(self, job: Job, wake: asyncio.Event | None) -> None:
        # This task's own context: what the job changes is audited as the job's doing.
        context.actor.set(f"system:{job.name}")
        while True:
            if wake is None:
                await asyncio.sleep(job.every)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=job.every)
                wake.clear()  # a commit during the run below sets it again
            try:
                await job.run(self)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduled job failed", extra={"service": self.name, "job": job.name})

    async def stop(self) -> None:
        for task in self._job_tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._job_tasks.clear()
        self._commit_wakes.clear()
        for consumer in self.consumers:
            await consumer.stop()
        self.consumers.clear()
        if self._relay_task is not None:
            self._relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay_task
            self._relay_task = None
        if self._engine is not None:
            # The head as left (nothing writes now), so that a tail cut off after this
            # stop shows; the relay's last pass below publishes it.
            try:
                await self.anchor_audit()
            except Exception:
                log.exception("audit anchor failed", extra={"service": self.name})
        if self.relay is not None:
            # One last pass so what was committed before the stop is not left waiting.
            with contextlib.suppress(Exception):
                await self.relay.relay_once()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    def uow(self) -> U:
        if self._sessions is None or self.relay is None:
            raise RuntimeError(f"service {self.name} is not started")
        return self._uow_class(
            self._sessions,
            self.tables,
            source=f"/airwarn/{self.name}",
            audit_keys=self.audit_keys,
            on_commit=self._committed,
        )

    def _committed(self) -> None:
        if self.relay is not None:
            self.relay.wake()
        for wake in self._commit_wakes:
            wake.set()

    def idempotent(self, subscription: Subscription[U]) -> EventHandler:
        """Wrap a handler so that a redelivered event changes nothing."""

        async def handle(event: Event[BaseModel]) -> None:
            async with self.uow() as uow:
                uow.trace_id = event.trace_id
                if not await uow.claim(subscription.name, event):
                    return  # handled before: a redelivery changes nothing
                await subscription.handle(event.payload, uow)
                await uow.commit()

        return handle

    def idempotent_batch(self, subscription: Subscription[U]) -> BatchHandler:
        """A fetched batch in one unit of work: its event ids claimed in one statement,
        each event not handled before handled in order under its own context (actor,
        event id, trace: what it publishes and audits is its own), one commit, so one
        audit append and one outbox flush for the batch. All or nothing: when it fails
        the consumer handles the batch in halves (shared.bus.dispatch)."""

        async def handle(events: Sequence[Event[BaseModel]]) -> None:
            async with self.uow() as uow:
                fresh = await uow.claim_batch(subscription.name, events)
                for event in events:
                    if event.id not in fresh:
                        continue  # handled before, or earlier in this very batch
                    fresh.discard(event.id)
                    with message_context(subscription.topic.name, event):
                        uow.trace_id = event.trace_id
                        await subscription.handle(event.payload, uow)
                await uow.commit()

        return handle

    async def anchor_audit(self) -> audit_anchor.Anchor | None:
        """Sign the audit head, append it to the anchor file and publish it, unless this
        runtime anchored that very head last time."""
        if self._engine is None:
            raise RuntimeError(f"service {self.name} is not started")
        async with self._engine.connect() as connection:
            seq, mac, head_key = await audit_anchor.head(connection, self.tables.audit)
        if self._anchored == (seq, mac):
            return None
        anchor = audit_anchor.sign(
            self.name, seq, mac, head_key, self.audit_keys, dt.datetime.now(dt.UTC)
        )
        await audit_anchor.write(self.anchor_dir, anchor)
        async with self.uow() as uow:
            fields = {**asdict(anchor), "at": dt.datetime.fromisoformat(anchor.at)}
            await uow.publish(AUDIT_ANCHORS, AuditAnchor(area=self.name, **fields))
            await uow.commit()
        self._anchored = (seq, mac)
        return anchor

    async def database_ready(self) -> bool:
        if self._engine is None:
            return False
        try:
            async with self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True


async def _anchor_job(runtime: ServiceRuntime[Any]) -> None:
    await runtime.anchor_audit()
