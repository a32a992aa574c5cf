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
        sa.Column("cap_xml", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("bulletin_id"),
    )
    with op.batch_alter_table("notify_bulletins", schema=None) as batch_op:
        batch_op.create_index("ix_notify_bulletins_episode", ["area", "episode_id"], unique=False)

    op.create_table(
        "notify_deliveries",
        sa.Column("delivery_id", sa.String(length=64), nullable=False),
        sa.Column("bulletin_id", sa.String(length=64), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id"),
        sa.UniqueConstraint("bulletin_id", "subscription_id", name="uq_notify_delivery_pair"),
    )
    with op.batch_alter_table("notify_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notify_deliveries_queue", ["subscription_id", "status", "seq"], unique=False
        )

    op.create_table(
        "notify_notices",
        sa.Column("notice_id", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("episode_id", sa.String(length=64), nullable=False),
        sa.Column("warning_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("notice_id"),
    )
    op.create_table(
        "notify_subscriptions",
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("min_level", sa.String(length=8), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("district_government", sa.String(length=32), nullable=True),
        sa.Column("unit", sa.String(length=100), nullable=True),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id"),
    )
    create_messaging_tables_v1("notify")


def downgrade() -> None:
    drop_messaging_tables_v1("notify")
    op.drop_table("notify_subscriptions")
    op.drop_table("notify_notices")
    with op.batch_alter_table("notify_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_deliveries_queue")

    op.drop_table("notify_deliveries")
    with op.batch_alter_table("notify_bulletins", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_bulletins_episode")

    op.drop_table("notify_bulletins")
