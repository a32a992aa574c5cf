"""Does the state match the log? Every audited row must be what its latest audit entry's
``after`` says it is.

The chain proves the log was not rewritten; it says nothing of a state table changed
behind the log's back. Each service registers which of its tables the log accounts for
(:func:`register`, from ``services/<service>/adapters/audited_state.py``: shared code
knows no service's tables), and ``airwarn audit verify`` compares every row with the
latest entry for its entity and key: a row the log does not explain, a row the log says
is gone, a row the log says exists but is not there, or a field that differs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.schema import Table

from shared.db.audit import Json, jsonable


@dataclass(frozen=True)
class Audited:
    """One entity whose rows the log accounts for: ``table``'s rows, keyed by the column
    ``key``, must match the latest entry of ``entity`` in their ``fields`` (named as in the
    entry's ``after``; ``column`` maps a field to its column where the names differ)."""

    entity: str
    table: Table
    key: str
    fields: Sequence[str]
    column: Mapping[str, str] | None = None
    #: fields the entry holds in another form, made from the row (e.g. a digest)
    derived: Mapping[str, Callable[[Mapping[str, Any]], Any]] | None = None


@dataclass(frozen=True)
class Mismatch:
    service: str
    entity: str
    key: str
    field: str
    problem: str

    def line(self) -> str:
        return (
            f"{self.service}: state differs from the log: {self.entity} {self.key!r} "
            f"{self.field}: {self.problem}"
        )


_REGISTRY: dict[str, list[Audited]] = {}


def register(service: str, audited: Iterable[Audited]) -> None:
    """Declare ``service``'s audited tables (replacing any declared before)."""
    _REGISTRY[service] = list(audited)


def registered(service: str) -> list[Audited]:
    return list(_REGISTRY.get(service, []))


def same(stored: Any, logged: Json) -> bool:
    """A stored value equals a logged one: as JSON, or as the same instant (a moment is
    logged with the offset it had, stored as UTC)."""
    if jsonable(stored) == logged:
        return True
    if isinstance(stored, dt.datetime) and isinstance(logged, str):
        try:
            return dt.datetime.fromisoformat(logged) == stored
        except ValueError:
            return False
    return False


async def _latest(
    connection: AsyncConnection, audit: Table, entity: str
) -> dict[str, dict[str, Json] | None]:
    newest = (
        sa.select(sa.func.max(audit.c.seq))
        .where(audit.c.entity == entity)
        .group_by(audit.c["key"])
        .scalar_subquery()
    )
    rows = await connection.execute(
        sa.select(audit.c["key"], audit.c.after).where(
            audit.c.entity == entity, audit.c.seq.in_(newest)
        )
    )
    return {str(row.key): row.after for row in rows}


async def check(
    connection: AsyncConnection, service: str, audit: Table, audited: Iterable[Audited]
) -> list[Mismatch]:
    found: list[Mismatch] = []
    for one in audited:
        logged = await _latest(connection, audit, one.entity)
        query = sa.select(one.table)
        seen: set[str] = set()
        for row in (await connection.execute(query)).mappings():
            key = str(row[one.key])
            seen.add(key)
            found += _compare(service, one, key, dict(row), logged.get(key), key in logged)
        for key, after in logged.items():
            if after is not None and key not in seen:
                gone = "the log has it, the table does not"
                found.append(Mismatch(service, one.entity, key, "*", gone))
    return found


def _compare(
    service: str,
    one: Audited,
    key: str,
    row: Mapping[str, Any],
    after: dict[str, Json] | None,
    logged: bool,
) -> list[Mismatch]:
    if not logged:
        return [Mismatch(service, one.entity, key, "*", "no audit entry explains this row")]
    if after is None:
        return [Mismatch(service, one.entity, key, "*", "the log says it was removed")]
    found = []
    for name in one.fields:
        made = (one.derived or {}).get(name)
        stored = made(row) if made is not None else row[(one.column or {}).get(name, name)]
        expected = after.get(name)
        if not same(stored, expected):
            found.append(
                Mismatch(
                    service,
                    one.entity,
                    key,
                    name,
                    f"table has {jsonable(stored)!r}, the log {expected!r}",
                )
            )
    return found
