"""The notify service's tables."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.db.tables import Seq, messaging_tables
from shared.db.types import UtcDateTime

metadata = MetaData()

bulletins = Table(
    "notify_bulletins",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("bulletin_id", String(64), nullable=False, unique=True),
    Column("area", String(32), nullable=False),
    Column("episode_id", String(64), nullable=False),
    Column("warning_id", String(64), nullable=False),
    Column("msg_type", String(8), nullable=False),
    Column("level", String(16), nullable=True),
    Column("refs", JSON, nullable=False),
    Column("headline_zh", Text, nullable=False),
    Column("headline_en", Text, nullable=False),
    Column("text_zh", Text, nullable=False),
    Column("text_en", Text, nullable=False),
    Column("published_at", UtcDateTime(), nullable=False),
    Column("cap_xml", Text, nullable=False),
    Column("html", Text, nullable=False),
    Index("ix_notify_bulletins_episode", "area", "episode_id"),
)

subscriptions = Table(
    "notify_subscriptions",
    metadata,
    Column("subscription_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("address", String(500), nullable=False),
    Column("areas", JSON, nullable=False),
    Column("min_level", String(8), nullable=False),
    Column("languages", JSON, nullable=False),
    Column("district_government", String(32), nullable=True),
    Column("unit", String(100), nullable=True),
    Column("secret", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
)

# One row per (bulletin, subscriber): the delivery log.
deliveries = Table(
    "notify_deliveries",
    metadata,
    Column("delivery_id", String(64), primary_key=True),
    Column("bulletin_id", String(64), nullable=False),
    Column("subscription_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("status", String(12), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("latency_ms", Float, nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Column("kind", String(12), nullable=False),
    UniqueConstraint("bulletin_id", "subscription_id", name="uq_notify_delivery_pair"),
    Index("ix_notify_deliveries_queue", "subscription_id", "status", "seq"),
)

notices = Table(
    "notify_notices",
    metadata,
    Column("notice_id", String(64), primary_key=True),
    Column("unit", String(100), nullable=False),
    Column("area", String(32), nullable=False),
    Column("episode_id", String(64), nullable=False),
    Column("warning_id", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("lines", JSON, nullable=False),
)

messaging = messaging_tables(metadata, "notify")
