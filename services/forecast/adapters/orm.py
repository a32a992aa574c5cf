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

messaging = messaging_tables(metadata, "forecast")
