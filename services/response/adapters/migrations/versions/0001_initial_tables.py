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
        "response_air_days",
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("forecast_aqi", sa.Integer(), nullable=True),
        sa.Column("forecast_issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("observed_aqi", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("area", "date"),
    )
    op.create_table(
        "response_inventory_sources",
        sa.Column("district", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("district", "version", "source_id"),
    )
    op.create_table(
        "response_inventory_versions",
        sa.Column("district", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("source_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("district", "version"),
    )
    op.create_table(
        "response_responses",
        sa.Column("episode_id", sa.String(length=64), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("warning_level", sa.String(length=16), nullable=False),
        sa.Column("response_level", sa.String(length=4), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("pollutant", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("episode_id"),
    )
    with op.batch_alter_table("response_responses", schema=None) as batch_op:
        batch_op.create_index("ix_response_area_open", ["area", "closed_at"], unique=False)

    op.create_table(
        "response_tasks",
        sa.Column("task_id", sa.String(length=200), nullable=False),
        sa.Column("episode_id", sa.String(length=64), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("measure_id", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("warning_id", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("progress", sa.Text(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stood_down_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("task_id"),
    )
    with op.batch_alter_table("response_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_response_tasks_area", ["area", "status"], unique=False)
        batch_op.create_index("ix_response_tasks_episode", ["episode_id"], unique=False)
        batch_op.create_index("ix_response_tasks_unit", ["unit", "status"], unique=False)

    op.create_table(
        "response_timeline",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("episode_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("warning_level", sa.String(length=8), nullable=True),
        sa.Column("response_level", sa.String(length=4), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("response_timeline", schema=None) as batch_op:
        batch_op.create_index("ix_response_timeline_episode", ["episode_id", "seq"], unique=False)
    create_messaging_tables_v1("response")


def downgrade() -> None:
    drop_messaging_tables_v1("response")
    with op.batch_alter_table("response_timeline", schema=None) as batch_op:
        batch_op.drop_index("ix_response_timeline_episode")

    op.drop_table("response_timeline")
    with op.batch_alter_table("response_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_response_tasks_unit")
        batch_op.drop_index("ix_response_tasks_episode")
        batch_op.drop_index("ix_response_tasks_area")

    op.drop_table("response_tasks")
    with op.batch_alter_table("response_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_response_area_open")

    op.drop_table("response_responses")
    op.drop_table("response_inventory_versions")
    op.drop_table("response_inventory_sources")
    op.drop_table("response_air_days")
