"""forecasts, outbox and processed events

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.db.migration_ops import create_messaging_tables_v1, drop_messaging_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forecast_forecasts",
        sa.Column("forecast_id", sa.String(length=64), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("forecast_id"),
        sa.UniqueConstraint("source", "area", "kind", "issued_at", name="uq_forecast_identity"),
    )
    op.create_index("ix_forecast_area_issued", "forecast_forecasts", ["area", "issued_at"])
    op.create_table(
        "forecast_active_warnings",
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("area"),
    )
    op.create_table(
        "forecast_duty_faults",
        sa.Column("fault_id", sa.String(length=64), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("latest_forecast_id", sa.String(length=64), nullable=True),
        sa.Column("latest_issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stale_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("fault_id"),
    )
    op.create_index("ix_forecast_duty_open", "forecast_duty_faults", ["area", "cleared_at"])
    create_messaging_tables_v1("forecast")


def downgrade() -> None:
    drop_messaging_tables_v1("forecast")
    op.drop_index("ix_forecast_duty_open", table_name="forecast_duty_faults")
    op.drop_table("forecast_duty_faults")
    op.drop_table("forecast_active_warnings")
    op.drop_index("ix_forecast_area_issued", table_name="forecast_forecasts")
    op.drop_table("forecast_forecasts")
