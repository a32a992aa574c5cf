"""The response service's tables."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Index, Integer, MetaData, String, Table, Text

from shared.db.tables import Seq, messaging_tables
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
    Column("pollutant", String(8), nullable=True),
    Index("ix_response_area_open", "area", "closed_at"),
)

tasks = Table(
    "response_tasks",
    metadata,
    Column("task_id", String(200), primary_key=True),
    Column("episode_id", String(64), nullable=False),
    Column("area", String(32), nullable=False),
    Column("measure_id", String(120), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("unit", String(100), nullable=False),
    Column("level", String(4), nullable=False),
    Column("status", String(16), nullable=False),
    Column("due", UtcDateTime(), nullable=False),
    Column("assigned_at", UtcDateTime(), nullable=False),
    Column("warning_id", String(64), nullable=False),
    Column("note", Text, nullable=True),
    Column("progress", Text, nullable=True),
    Column("acknowledged_at", UtcDateTime(), nullable=True),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("stood_down_at", UtcDateTime(), nullable=True),
    Column("reminded_at", UtcDateTime(), nullable=True),
    # optimistic concurrency: every write is UPDATE ... WHERE version = <the one read>
    Column("version", Integer, nullable=False, server_default="1"),
    Index("ix_response_tasks_unit", "unit", "status"),
    Index("ix_response_tasks_episode", "episode_id"),
    Index("ix_response_tasks_area", "area", "status"),
)

timeline = Table(
    "response_timeline",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("episode_id", String(64), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("action", String(12), nullable=False),
    Column("warning_level", String(8), nullable=True),
    Column("response_level", String(4), nullable=True),
    Index("ix_response_timeline_episode", "episode_id", "seq"),
)

# Each day's AQI as forecast the day before and as observed, for the evaluation (§6).
air_days = Table(
    "response_air_days",
    metadata,
    Column("area", String(32), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("forecast_aqi", Integer, nullable=True),
    Column("forecast_issued_at", UtcDateTime(), nullable=True),
    Column("observed_aqi", Integer, nullable=True),
)

# Each import replaces a district's inventory as one new version (plan §4.2.1).
inventory_versions = Table(
    "response_inventory_versions",
    metadata,
    Column("district", String(32), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("imported_at", UtcDateTime(), nullable=False),
    Column("imported_by", String(100), nullable=False),
    Column("source_count", Integer, nullable=False),
)

inventory_sources = Table(
    "response_inventory_sources",
    metadata,
    Column("district", String(32), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("source_id", String(100), primary_key=True),
    Column("source", JSON, nullable=False),
)

messaging = messaging_tables(metadata, "response")
