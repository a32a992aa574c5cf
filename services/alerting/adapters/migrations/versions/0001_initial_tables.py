"""initial tables

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
        "alerting_series_days",
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("forecast_id", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day_values", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("area", "date"),
    )
    create_messaging_tables_v1("alerting")


def downgrade() -> None:
    drop_messaging_tables_v1("alerting")
    op.drop_table("alerting_series_days")
