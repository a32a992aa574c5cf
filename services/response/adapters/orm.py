"""The response service's tables."""

from __future__ import annotations

from sqlalchemy import Column, Index, MetaData, String, Table, Text

from shared.db.tables import messaging_tables
from shared.db.types import UtcDateTime

metadata = MetaData()

responses = Table(
    "response_responses",
    metadata,
    Column("episode_id", String(64), primary_key=True),
    Column("area", String(32), nullable=False),
    Column("warning_level", String(16), nullable=False),
    Column("response_level", String(4), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("closed_at", UtcDateTime(), nullable=True),
    Column("actions", Text, nullable=False),
    Index("ix_response_area_open", "area", "closed_at"),
)

tasks = Table(
    "response_tasks",
    metadata,
    Column("task_id", String(160), primary_key=True),
    Column("episode_id", String(64), nullable=False),
    Column("area", String(32), nullable=False),
    Column("measure_id", String(100), nullable=False),
    Column("unit", String(100), nullable=False),
    Column("level", String(4), nullable=False),
    Column("status", String(16), nullable=False),
    Column("due", UtcDateTime(), nullable=True),
    Column("note", Text, nullable=True),
    Index("ix_response_tasks_unit", "unit", "status"),
)

messaging = messaging_tables(metadata, "response")
