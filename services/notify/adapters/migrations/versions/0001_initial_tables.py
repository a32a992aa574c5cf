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
        "notify_bulletins",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bulletin_id", sa.String(length=64), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("episode_id", sa.String(length=64), nullable=False),
        sa.Column("warning_id", sa.String(length=64), nullable=False),
        sa.Column("msg_type", sa.String(length=8), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("refs", sa.JSON(), nullable=False),
        sa.Column("headline_zh", sa.Text(), nullable=False),
        sa.Column("headline_en", sa.Text(), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("bulletin_id"),
    )
    with op.batch_alter_table("notify_bulletins", schema=None) as batch_op:
        batch_op.create_index("ix_notify_bulletins_episode", ["area", "episode_id"], unique=False)
    create_messaging_tables_v1("notify")


def downgrade() -> None:
    drop_messaging_tables_v1("notify")
    with op.batch_alter_table("notify_bulletins", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_bulletins_episode")

    op.drop_table("notify_bulletins")
