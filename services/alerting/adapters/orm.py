"""The alerting service's tables."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text

from shared.db.tables import Seq, messaging_tables
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

# The latest forecast of each area, whole: a region's derived series is built from these.
latest_forecasts = Table(
    "alerting_latest_forecasts",
    metadata,
    Column("area", String(32), primary_key=True),
    Column("forecast_id", String(64), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("days", JSON, nullable=False),
)

# The level each area's own forecasts call for (rules §4.1 steps 5–6), approved or not.
own_levels = Table(
    "alerting_own_levels",
    metadata,
    Column("area", String(32), primary_key=True),
    Column("level", String(8), nullable=False),
    Column("episode_start", Date, nullable=False),
    Column("episode_end", Date, nullable=False),
    Column("pollutant", String(8), nullable=True),
    Column("started_by", String(64), nullable=False),
    Column("ref", String(64), nullable=False),
)

# The warning in force per area, as approved and announced.
warnings = Table(
    "alerting_warnings",
    metadata,
    Column("area", String(32), primary_key=True),
    Column("warning_id", String(64), nullable=False),
    Column("level", String(8), nullable=False),
    Column("episode_id", String(64), nullable=False),
    Column("episode_start", Date, nullable=False),
    Column("episode_end", Date, nullable=True),
    Column("pollutant", String(8), nullable=True),
)

# Every proposed warning action, and what became of it: the area's full history.
proposals = Table(
    "alerting_proposals",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("proposal_id", String(64), nullable=False, unique=True),
    Column("batch_id", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("area", String(32), nullable=False),
    Column("action", String(12), nullable=False),
    Column("level", String(8), nullable=True),
    Column("previous", String(8), nullable=True),
    Column("episode_id", String(64), nullable=False),
    Column("episode_start", Date, nullable=False),
    Column("episode_end", Date, nullable=True),
    Column("pollutant", String(8), nullable=True),
    Column("cause", String(12), nullable=False),
    Column("cause_ref", String(64), nullable=True),
    Column("cause_at", UtcDateTime(), nullable=False),
    Column("required_role", String(24), nullable=False),
    Column("issuing_unit", String(100), nullable=False),
    Column("status", String(12), nullable=False),
    Column("late", Boolean, nullable=True),
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("reason", Text, nullable=True),
    Column("warning_id", String(64), nullable=True),
    Index("ix_alerting_proposals_area", "area", "seq"),
    Index("ix_alerting_proposals_status", "status", "seq"),
)

advisories = Table(
    "alerting_advisories",
    metadata,
    Column("advisory_id", String(64), primary_key=True),
    Column("area", String(32), nullable=False),
    Column("level", String(8), nullable=False),
    Column("issuer", String(100), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("pollutant", String(8), nullable=True),
    Column("submitted_by", String(100), nullable=False),
    Index("ix_alerting_advisories_area", "area", "end"),
)

messaging = messaging_tables(metadata, "alerting")
