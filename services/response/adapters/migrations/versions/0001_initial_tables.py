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
        "response_responses",
        sa.Column("episode_id", sa.String(length=64), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("warning_level", sa.String(length=16), nullable=False),
        sa.Column("response_level", sa.String(length=4), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("episode_id"),
    )
    with op.batch_alter_table("response_responses", schema=None) as batch_op:
        batch_op.create_index("ix_response_area_open", ["area", "closed_at"], unique=False)

    op.create_table(
        "response_tasks",
        sa.Column("task_id", sa.String(length=160), nullable=False),
        sa.Column("episode_id", sa.String(length=64), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("measure_id", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("task_id"),
    )
    with op.batch_alter_table("response_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_response_tasks_unit", ["unit", "status"], unique=False)
    create_messaging_tables_v1("response")


def downgrade() -> None:
    drop_messaging_tables_v1("response")
    with op.batch_alter_table("response_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_response_tasks_unit")

    op.drop_table("response_tasks")
    with op.batch_alter_table("response_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_response_area_open")

    op.drop_table("response_responses")
