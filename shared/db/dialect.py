"""INSERT statements with ON CONFLICT, for whichever database a session is bound to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Table) -> Any:
    """An INSERT offering ``on_conflict_do_update``/``_do_nothing`` and ``excluded``:
    one upsert instead of a read, a delete and an insert (PostgreSQL and SQLite alike)."""
    dialect = session.bind.dialect.name if session.bind else "postgresql"
    return (sqlite_insert if dialect == "sqlite" else postgresql_insert)(table)
