"""The forecast service's tables."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, MetaData, String, Table, UniqueConstraint

from shared.db.tables import messaging_tables
from shared.db.types import UtcDateTime

metadata = MetaData()

forecasts = Table(
    "forecast_forecasts",
    metadata,
    Column("forecast_id", String(64), primary_key=True),
    Column("area", String(32), nullable=False),
    Column("source", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("days", JSON, nullable=False),
    UniqueConstraint("source", "area", "kind", "issued_at", name="uq_forecast_identity"),
    Index("ix_forecast_area_issued", "area", "issued_at"),
)

# Areas under warning, as announced on warning.changed.v1: the duty rule watches them.
active_warnings = Table(
    "forecast_active_warnings",
    metadata,
    Column("area", String(32), primary_key=True),
    Column("level", String(8), nullable=False),
    Column("since", UtcDateTime(), nullable=False),
)

duty_faults = Table(
    "forecast_duty_faults",
    metadata,
    Column("fault_id", String(64), primary_key=True),
    Column("area", String(32), nullable=False),
    Column("level", String(8), nullable=False),
    Column("latest_forecast_id", String(64), nullable=True),
    Column("latest_issued_at", UtcDateTime(), nullable=True),
    Column("stale_since", UtcDateTime(), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("cleared_at", UtcDateTime(), nullable=True),
    Index("ix_forecast_duty_open", "area", "cleared_at"),
)

messaging = messaging_tables(metadata, "forecast")
