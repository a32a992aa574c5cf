"""The notify service's tables."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, MetaData, String, Table, Text

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
    Index("ix_notify_bulletins_episode", "area", "episode_id"),
)

messaging = messaging_tables(metadata, "notify")
