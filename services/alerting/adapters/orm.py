"""The alerting service's tables."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, MetaData, String, Table

from shared.db.tables import messaging_tables
from shared.db.types import UtcDateTime

metadata = MetaData()

series_days = Table(
    "alerting_series_days",
    metadata,
    Column("area", String(32), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("forecast_id", String(64), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("day_values", JSON, nullable=False),
)

messaging = messaging_tables(metadata, "alerting")
