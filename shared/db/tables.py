"""The tables every service has: its transactional outbox, its processed-events inbox
and its audit log (shared.db.audit).

Each service prefixes them with its own name, so services stay apart whether
they get a database each or share one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, String, Table

from shared.db.audit import audit_table
from shared.db.types import UtcDateTime

Seq = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    processed: Table
    audit: Table


def messaging_tables(metadata: MetaData, service: str) -> MessagingTables:
    outbox = Table(
        f"{service}_outbox",
        metadata,
        Column("seq", Seq, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("topic", String(128), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("source", String(200), nullable=False),
        Column("subject", String(64), nullable=False),
        Column("time", UtcDateTime(), nullable=False),
        Column("trace_id", String(64), nullable=False),
        Column("data", JSON, nullable=False),
        Column("published_at", UtcDateTime(), nullable=True),
        Index(f"ix_{service}_outbox_unpublished", "published_at", "seq"),
    )
    processed = Table(
        f"{service}_processed_events",
        metadata,
        Column("handler", String(100), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("topic", String(128), nullable=False),
        Column("processed_at", UtcDateTime(), nullable=False),
    )
    return MessagingTables(outbox, processed, audit_table(metadata, service))
