"""The unit of work: one database transaction, made fresh for each message or request.

Events a handler publishes are written to the outbox in the same transaction
as its changes, and the id of the event it consumed is recorded in the same
transaction too; both reach the world only if the transaction commits. So do the
audit log's entries for its changes: nothing is audited that did not happen, and
nothing happens unaudited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.envelope import Event, new_event
from shared.contracts.payloads import Payload
from shared.contracts.topics import Topic
from shared.db.audit import Entry, append, new_entry
from shared.db.audit_keys import KeyRing
from shared.db.dialect import insert_for
from shared.db.tables import MessagingTables
from shared.observability import context


class SqlUnitOfWork:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        *,
        source: str,
        audit_keys: KeyRing,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._audit_keys = audit_keys
        self._tables = tables
        self._source = source
        self._on_commit = on_commit
        self._published = False
        self._audit: list[Entry] = []
        # The request's or message's trace, so the events this transaction publishes carry it.
        self.trace_id: str | None = context.trace_id.get()

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        self._audit = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._audit = []
        await self.session.rollback()
        await self.session.close()

    async def commit(self) -> None:
        # The chain is appended last, just before the commit: its lock is then held only
        # that long, and never while this transaction waits for other locks.
        entries, self._audit = self._audit, []
        await append(self.session, self._tables.audit, entries, self._audit_keys)
        await self.session.commit()
        if self._published and self._on_commit is not None:
            self._on_commit()
        self._published = False

    async def rollback(self) -> None:
        self._audit = []
        await self.session.rollback()
        self._published = False

    async def record(self, entity: str, key: str, action: str, before: Any, after: Any) -> None:
        """Audit a change made in this transaction: ``before`` and ``after`` are snapshots
        of the thing (dataclasses, pydantic models, dicts; ``None`` where it did not exist),
        by the current actor (``shared.observability.context``). Written at commit."""
        self._audit.append(new_entry(entity, key, action, before, after))

    async def publish(self, topic: Topic, payload: Payload) -> Event[Any]:
        """Queue an event in the outbox; it leaves when this transaction commits."""
        event = new_event(topic, payload, source=self._source, trace_id=self.trace_id)
        await self.session.execute(
            insert(self._tables.outbox).values(
                event_id=event.id,
                topic=event.topic,
                event_type=event.type,
                source=event.source,
                subject=event.subject,
                time=event.time,
                trace_id=event.trace_id,
                data=event.payload.model_dump(mode="json"),
            )
        )
        self._published = True
        return event

    async def claim_batch(self, handler: str, events: Sequence[Event[Any]]) -> set[str]:
        """Record that ``handler`` takes ``events``; the ids of those not taken before.

        One multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING for the whole batch, with
        the same promises as :meth:`claim`; an id given twice is claimed once."""
        if not events:
            return set()
        table = self._tables.processed
        now = dt.datetime.now(dt.UTC)
        rows = {
            event.id: {"handler": handler, "event_id": event.id, "topic": event.topic}
            for event in events
        }
        claimed = await self.session.execute(
            insert_for(self.session, table)
            .values([{**row, "processed_at": now} for row in rows.values()])
            .on_conflict_do_nothing(index_elements=[table.c.handler, table.c.event_id])
            .returning(table.c.event_id)
        )
        return {str(row.event_id) for row in claimed}

    async def claim(self, handler: str, event: Event[Any]) -> bool:
        """Record that ``handler`` takes ``event``; False if it was taken before.

        One INSERT ... ON CONFLICT DO NOTHING RETURNING, not a read and a write. The claim
        commits or rolls back with the handler's changes, so a failed handler leaves the
        event unclaimed; a concurrent duplicate waits on the primary key until the first
        transaction ends, then sees the conflict (or, after a rollback, claims it itself).
        """
        table = self._tables.processed
        claimed = await self.session.execute(
            insert_for(self.session, table)
            .values(
                handler=handler,
                event_id=event.id,
                topic=event.topic,
                processed_at=dt.datetime.now(dt.UTC),
            )
            .on_conflict_do_nothing(index_elements=[table.c.handler, table.c.event_id])
            .returning(table.c.event_id)
        )
        return claimed.first() is not None
