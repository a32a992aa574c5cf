"""Relays committed outbox rows to the bus, in commit order.

A row is marked published only after the bus acknowledged it; a crash between
the two sends it again, and consumers drop the repeat by its event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bus.base import Bus
from shared.contracts.envelope import Event
from shared.contracts.topics import payload_model
from shared.db.tables import MessagingTables
from shared.observability import metrics

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        service: str,
        session_factory: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        bus: Bus,
        *,
        batch_size: int = 200,
        poll_seconds: float = 0.5,
    ) -> None:
        self._service = service
        self._session_factory = session_factory
        self._outbox = tables.outbox
        self._bus = bus
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        # Without it two relay passes in one process could send the same rows twice
        # (SQLite has no FOR UPDATE).
        self._one_at_a_time = asyncio.Lock()

    def wake(self) -> None:
        self._wake.set()

    async def relay_once(self) -> int:
        """Publish the oldest unpublished rows; return how many went out."""
        async with self._one_at_a_time:
            return await self._relay_batch()

    async def _relay_batch(self) -> int:
        table = self._outbox
        async with self._session_factory() as session, session.begin():
            # FOR UPDATE makes a second relay wait rather than publish out of order.
            rows = (
                await session.execute(
                    select(table)
                    .where(table.c.published_at.is_(None))
                    .order_by(table.c.seq)
                    .limit(self._batch_size)
                    .with_for_update()
                )
            ).all()
            if not rows:
                return 0
            await self._bus.publish([_event_from_row(row) for row in rows])
            await session.execute(
                update(table)
                .where(table.c.seq.in_([row.seq for row in rows]))
                .values(published_at=dt.datetime.now(dt.UTC))
            )
        return len(rows)

    async def backlog(self) -> int:
        table = self._outbox
        async with self._session_factory() as session:
            count = await session.scalar(
                select(func.count()).select_from(table).where(table.c.published_at.is_(None))
            )
        metrics.outbox_backlog.labels(self._service).set(count or 0)
        return int(count or 0)

    async def run(self) -> None:
        delay = self._poll_seconds
        while True:
            self._wake.clear()
            try:
                sent = await self.relay_once()
                delay = self._poll_seconds
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; will retry", extra={"service": self._service})
                sent = 0
                delay = min(delay * 2, 30.0)
            if sent:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)


def _event_from_row(row: Any) -> Event[Any]:
    return Event(
        topic=row.topic,
        id=row.event_id,
        source=row.source,
        type=row.event_type,
        subject=row.subject,
        time=row.time,
        payload=payload_model(row.event_type).model_validate(row.data),
        trace_id=row.trace_id,
    )
