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
        "alerting_advisories",
        sa.Column("advisory_id", sa.String(length=64), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("issuer", sa.String(length=100), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("pollutant", sa.String(length=8), nullable=True),
        sa.Column("submitted_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("advisory_id"),
    )
    with op.batch_alter_table("alerting_advisories", schema=None) as batch_op:
        batch_op.create_index("ix_alerting_advisories_area", ["area", "end"], unique=False)

    op.create_table(
        "alerting_latest_forecasts",
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("forecast_id", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("area"),
    )
    op.create_table(
        "alerting_own_levels",
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("episode_start", sa.Date(), nullable=False),
        sa.Column("episode_end", sa.Date(), nullable=False),
        sa.Column("pollutant", sa.String(length=8), nullable=True),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("area"),
    )
    op.create_table(
        "alerting_proposals",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("proposal_id", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=True),
        sa.Column("previous", sa.String(length=8), nullable=True),
        sa.Column("episode_id", sa.String(length=64), nullable=False),
        sa.Column("episode_start", sa.Date(), nullable=False),
        sa.Column("episode_end", sa.Date(), nullable=True),
        sa.Column("pollutant", sa.String(length=8), nullable=True),
        sa.Column("cause", sa.String(length=12), nullable=False),
        sa.Column("cause_ref", sa.String(length=64), nullable=True),
        sa.Column("cause_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("required_role", sa.String(length=24), nullable=False),
        sa.Column("issuing_unit", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("warning_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("proposal_id"),
    )
    with op.batch_alter_table("alerting_proposals", schema=None) as batch_op:
        batch_op.create_index("ix_alerting_proposals_area", ["area", "seq"], unique=False)
        batch_op.create_index("ix_alerting_proposals_status", ["status", "seq"], unique=False)

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
    op.create_table(
        "alerting_warnings",
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("warning_id", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("episode_id", sa.String(length=64), nullable=False),
        sa.Column("episode_start", sa.Date(), nullable=False),
        sa.Column("episode_end", sa.Date(), nullable=True),
        sa.Column("pollutant", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("area"),
    )
    create_messaging_tables_v1("alerting")


def downgrade() -> None:
    drop_messaging_tables_v1("alerting")
    op.drop_table("alerting_warnings")
    op.drop_table("alerting_series_days")
    with op.batch_alter_table("alerting_proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_alerting_proposals_status")
        batch_op.drop_index("ix_alerting_proposals_area")

    op.drop_table("alerting_proposals")
    op.drop_table("alerting_own_levels")
    op.drop_table("alerting_latest_forecasts")
    with op.batch_alter_table("alerting_advisories", schema=None) as batch_op:
        batch_op.drop_index("ix_alerting_advisories_area")

    op.drop_table("alerting_advisories")
