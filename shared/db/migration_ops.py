"""Migration steps every service's history shares, frozen by version.

Never edit a ``_v1`` function once released: histories already applied rely on
it. A later change to the messaging tables gets a ``_v2`` step.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_messaging_tables_v1(service: str) -> None:
    op.create_table(
        f"{service}_outbox",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index(
        f"ix_{service}_outbox_unpublished", f"{service}_outbox", ["published_at", "seq"]
    )
    op.create_table(
        f"{service}_processed_events",
        sa.Column("handler", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("handler", "event_id"),
    )


def drop_messaging_tables_v1(service: str) -> None:
    op.drop_table(f"{service}_processed_events")
    op.drop_index(f"ix_{service}_outbox_unpublished", table_name=f"{service}_outbox")
    op.drop_table(f"{service}_outbox")
