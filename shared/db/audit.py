"""The audit log: every state change, append-only and chained by a keyed MAC so that
tampering shows.

Each service keeps its own chain, ``<service>_audit_log``, in its own database. A row
names who (actor), when, what (entity, key, action) and the thing before and after.
Its ``hash`` column holds HMAC-SHA256, with the key its ``key_id`` names
(:mod:`shared.db.audit_keys`, kept outside the database), over the canonical JSON of
all its other fields, the previous row's MAC included: altering, removing or reordering
a row breaks the chain from there on, and whoever can write the database but not read
the key file cannot recompute it. :func:`verify` finds the first break.

Rows written before the key (migration 0003) have no key id and plain SHA-256 hashes:
they verify as the old unkeyed chain, but only as a prefix; the first keyed row's MAC
covers the last of them, so rewriting them breaks the chain there, and an unkeyed row
after a keyed one is reported. Removing the newest rows leaves a shorter chain that
still verifies: the signed anchors of :mod:`shared.db.audit_anchor`, kept outside the
database, catch that.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op
from pydantic import BaseModel
from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, String, Table
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from shared.db.audit_keys import KeyRing
from shared.db.types import UtcDateTime
from shared.observability import context

Json = None | bool | int | float | str | list["Json"] | dict[str, "Json"]

GENESIS = "0" * 64
#: every field a row's hash covers, in no particular order (the JSON is key-sorted)
HASHED = (
    "seq",
    "at",
    "actor",
    "service",
    "entity",
    "key",
    "action",
    "event_id",
    "before",
    "after",
    "prev_hash",
)
_PAGE = 1000


def audit_table(metadata: MetaData, service: str) -> Table:
    # seq is set by append(), not by the database: it is part of what each hash covers.
    return Table(
        f"{service}_audit_log",
        metadata,
        Column(
            "seq",
            BigInteger().with_variant(Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        Column("at", UtcDateTime(), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("service", String(32), nullable=False),
        Column("entity", String(32), nullable=False),
        Column("key", String(200), nullable=False),
        Column("action", String(32), nullable=False),
        Column("event_id", String(64), nullable=True),
        Column("before", JSON(none_as_null=True), nullable=True),
        Column("after", JSON(none_as_null=True), nullable=True),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        # None: a row from before the key (migration 0003), hashed with plain SHA-256
        Column("key_id", String(64), nullable=True),
        Index(f"ix_{service}_audit_entity_key", "entity", "key", "seq"),
        info={"service": service},
    )


def _service_of(table: Table) -> str:
    return str(table.info["service"])


# --- what a row holds -------------------------------------------------------------


def jsonable(value: Any, where: str = "snapshot") -> Json:
    """``value`` as plain JSON: dataclasses and pydantic models as objects, dates and
    times as ISO strings, tuples and sets as lists. Anything else is refused by name."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # JSON has no NaN or infinity; as strings they still say what they were
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | dt.timedelta):
        return str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value, where)
    if isinstance(value, BaseModel):
        dumped: Json = value.model_dump(mode="json")
        return dumped
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name), f"{where}.{f.name}") for f in fields(value)
        }
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v, where) for v in value), key=canonical)
    raise TypeError(f"{where}: cannot record a {type(value).__name__} in the audit log")


def snapshot(value: Any, where: str) -> dict[str, Json] | None:
    """A before or after: ``None`` (the thing did not exist) or a JSON object."""
    if value is None:
        return None
    made = jsonable(value, where)
    if not isinstance(made, dict):
        raise TypeError(f"{where}: a snapshot is an object, not a {type(value).__name__}")
    return made


def canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def digest(value: Any) -> str:
    """SHA-256 of ``value``'s canonical JSON: binds bulky content without copying it."""
    return hashlib.sha256(canonical(jsonable(value))).hexdigest()


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _hashed(row: Mapping[str, Any]) -> dict[str, Any]:
    fields_ = {name: row[name] for name in HASHED}
    fields_["at"] = _iso(row["at"])
    return fields_


def entry_hash(row: Mapping[str, Any]) -> str:
    """The plain SHA-256 a row from before the key carries (``at`` as a UTC ISO string)."""
    return hashlib.sha256(canonical(_hashed(row))).hexdigest()


def entry_mac(row: Mapping[str, Any], keys: KeyRing) -> str:
    """The MAC a row must carry: HMAC-SHA256 with the key its ``key_id`` names, over its
    other fields and that key id (KeyError if the ring lacks it); a row without a key
    id carries :func:`entry_hash`."""
    key_id = row.get("key_id")
    if key_id is None:
        return entry_hash(row)
    return keys.mac(str(key_id), canonical({**_hashed(row), "key_id": key_id}))


@dataclass(frozen=True)
class Entry:
    """One change, not yet chained."""

    at: dt.datetime
    actor: str
    entity: str
    key: str
    action: str
    event_id: str | None
    before: dict[str, Json] | None
    after: dict[str, Json] | None


def new_entry(entity: str, key: str, action: str, before: Any, after: Any) -> Entry:
    """An entry by the current actor (``shared.observability.context``), now."""
    for name, text in (("entity", entity), ("key", key), ("action", action)):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"audit {name}: a non-empty string is required, got {text!r}")
    return Entry(
        at=dt.datetime.now(dt.UTC),
        actor=context.actor.get(),
        entity=entity,
        key=key,
        action=action,
        event_id=context.event_id.get(),
        before=snapshot(before, "before"),
        after=snapshot(after, "after"),
    )


# --- appending --------------------------------------------------------------------


def _lock_key(service: str) -> int:
    # one advisory lock per chain, so services sharing a database do not wait on each other
    return int.from_bytes(
        hashlib.sha256(f"airwarn-audit:{service}".encode()).digest()[:8], "big", signed=True
    )


async def append(
    session: AsyncSession, table: Table, entries: Sequence[Entry], keys: KeyRing
) -> None:
    """Chain ``entries`` onto the head, sealed with ``keys``' current key, inside the
    session's open transaction.

    Appends are serialised until the transaction ends, so two can never chain onto the
    same head: PostgreSQL by a transaction-scoped advisory lock, SQLite by taking its
    single write lock (a deferred transaction may not hold it yet) before the head is
    read. The primary key on seq backs both: a fork could not be stored.
    """
    if not entries:
        return
    dialect = (await session.connection()).dialect.name
    service = _service_of(table)
    if dialect == "postgresql":
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key(service))))
    elif dialect == "sqlite":
        await session.execute(sa.delete(table).where(sa.false()))
    head = (
        await session.execute(
            sa.select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)
        )
    ).first()
    seq, prev = (int(head.seq), str(head.hash)) if head else (0, GENESIS)
    rows = []
    for entry in entries:
        seq += 1
        row: dict[str, Any] = {
            "seq": seq,
            "at": entry.at,
            "actor": entry.actor,
            "service": service,
            "entity": entry.entity,
            "key": entry.key,
            "action": entry.action,
            "event_id": entry.event_id,
            "before": entry.before,
            "after": entry.after,
            "prev_hash": prev,
            "key_id": keys.current,
        }
        row["hash"] = prev = entry_mac(row, keys)
        rows.append(row)
    await session.execute(sa.insert(table), rows)


# --- verifying --------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    seq: int
    problem: str


class ChainCheck:
    """Feed rows in seq order; the first break is kept and later rows are not judged.
    The MACs of the seqs in ``watch`` (anchored heads) are kept in ``seen``."""

    def __init__(self, keys: KeyRing, watch: Iterable[int] = ()) -> None:
        self.keys = keys
        self.entries = 0
        self.legacy = 0
        self.head = GENESIS
        self.head_key: str | None = None
        self.broken: Break | None = None
        self.watch = set(watch)
        self.seen: dict[int, str] = {}
        self._expected = 1

    def feed(self, rows: Iterable[Mapping[str, Any]]) -> Break | None:
        for row in rows:
            if self.add(row) is not None:
                break
        return self.broken

    def add(self, row: Mapping[str, Any]) -> Break | None:
        if self.broken is not None:
            return self.broken
        seq = int(row["seq"])
        self.broken = self._judge(seq, row)
        if self.broken is None:
            self.entries += 1
            self.head = str(row["hash"])
            self.head_key = row.get("key_id")
            self.legacy += self.head_key is None
            if seq in self.watch:
                self.seen[seq] = self.head
            self._expected = seq + 1
        return self.broken

    def _judge(self, seq: int, row: Mapping[str, Any]) -> Break | None:
        if seq > self._expected:
            missing = f"{self._expected}" + (f"–{seq - 1}" if seq - 1 > self._expected else "")
            return Break(self._expected, f"gap: seq {missing} missing, the chain goes on at {seq}")
        if seq < self._expected:
            return Break(seq, f"out of order: seq {seq} comes after seq {self._expected - 1}")
        key_id = row.get("key_id")
        if key_id is None and self.entries > self.legacy:
            return Break(seq, "unkeyed row after keyed ones: not written by the application")
        if key_id is not None and key_id not in self.keys.keys:
            return Break(seq, f"key id {key_id!r} is not in the key file ({self.keys.source})")
        if entry_mac(row, self.keys) != row["hash"]:
            what = "MAC" if key_id is not None else "hash"
            return Break(seq, f"{what} mismatch: the row was altered after it was written")
        if row["prev_hash"] != self.head:
            what = f"seq {seq - 1}" if seq > 1 else "the start of the chain"
            return Break(
                seq,
                f"broken link: prev_hash {str(row['prev_hash'])[:12]}… is not the hash of "
                f"{what} ({self.head[:12]}…)",
            )
        return None


@dataclass(frozen=True)
class ChainReport:
    service: str
    entries: int
    head: str
    broken: Break | None
    #: rows from before the key, at the start of the chain
    legacy: int = 0
    #: the key id of the head row (None: unkeyed, or no rows)
    head_key: str | None = None
    #: the MACs found at the seqs asked for (anchored heads)
    seen: Mapping[int, str] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return self.broken is None

    def line(self) -> str:
        if self.broken is None:
            legacy = f", the first {self.legacy} unkeyed (before the key)" if self.legacy else ""
            return (
                f"{self.service}: {self.entries} entries{legacy}, chain intact (head {self.head})"
            )
        return (
            f"{self.service}: chain broken at seq {self.broken.seq}: {self.broken.problem} "
            f"({self.entries} entries verified before it)"
        )


class AuditUnavailable(RuntimeError):
    """The audit log cannot be read: no database, or no audit table in it."""


async def verify_connection(
    connection: AsyncConnection, table: Table, keys: KeyRing, watch: Iterable[int] = ()
) -> ChainReport:
    """Walk the chain in seq order, a page at a time."""
    check = ChainCheck(keys, watch)
    last = 0
    while check.broken is None:
        page = (
            await connection.execute(
                sa.select(table).where(table.c.seq > last).order_by(table.c.seq).limit(_PAGE)
            )
        ).all()
        if not page or check.feed(dict(r._mapping) for r in page) is not None:
            break
        last = int(page[-1].seq)
    return ChainReport(
        _service_of(table),
        check.entries,
        check.head,
        check.broken,
        check.legacy,
        check.head_key,
        check.seen,
    )


async def _open(url: str, service: str) -> tuple[AsyncEngine, Table]:
    parsed = make_url(url)
    # connecting would create an empty SQLite file, and a missing log would look empty
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        exists = await asyncio.to_thread(Path(str(parsed.database)).exists)
        if not exists:
            raise AuditUnavailable(f"{service}: no database at {parsed.database}")
    table = audit_table(MetaData(), service)
    engine = create_async_engine(url, poolclass=sa.pool.NullPool)
    try:
        async with engine.connect() as connection:
            present = await connection.run_sync(lambda sync: sa.inspect(sync).has_table(table.name))
    except (OSError, sa.exc.DBAPIError) as exc:
        await engine.dispose()
        raise AuditUnavailable(f"{service}: cannot open its database: {exc}") from exc
    if not present:
        await engine.dispose()
        raise AuditUnavailable(f"{service}: no table {table.name} (run `airwarn migrate`)")
    return engine, table


async def verify(url: str, service: str, keys: KeyRing, watch: Iterable[int] = ()) -> ChainReport:
    """Verify ``service``'s chain in the database at ``url``."""
    engine, table = await _open(url, service)
    try:
        async with engine.connect() as connection:
            return await verify_connection(connection, table, keys, watch)
    finally:
        await engine.dispose()


async def entries(
    url: str,
    service: str,
    *,
    entity: str | None = None,
    key: str | None = None,
    limit: int = 100,
) -> list[dict[str, Json]]:
    """The newest ``limit`` rows (of one entity, one key), oldest first, as JSON."""
    engine, table = await _open(url, service)
    query = sa.select(table).order_by(table.c.seq.desc()).limit(limit)
    if entity is not None:
        query = query.where(table.c.entity == entity)
    if key is not None:
        query = query.where(table.c["key"] == key)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(query)).all()
    finally:
        await engine.dispose()
    return [
        {**{k: jsonable(v) for k, v in row._mapping.items()}, "at": _iso(row.at)}
        for row in reversed(rows)
    ]


# --- migrations -------------------------------------------------------------------
# Frozen like shared.db.migration_ops: a released _v1 step never changes.


def create_audit_log_v1(service: str) -> None:
    table = f"{service}_audit_log"
    op.create_table(
        table,
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("before", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("after", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index(f"ix_{service}_audit_entity_key", table, ["entity", "key", "seq"])
    if op.get_bind().dialect.name == "postgresql":
        # Refuses UPDATE, DELETE and TRUNCATE to everyone, the owner too; whoever drops
        # the trigger to tamper is still caught by verify.
        op.execute(
            f"""
            CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{table} is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )


def drop_audit_log_v1(service: str) -> None:
    table = f"{service}_audit_log"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
    op.drop_index(f"ix_{service}_audit_entity_key", table_name=table)
    op.drop_table(table)


def add_audit_key_id_v1(service: str) -> None:
    """Rows already there keep no key id: they stay verifiable as the unkeyed chain they
    were written as, and the first keyed row seals them (see the module docstring). DDL,
    so the append-only trigger does not fire."""
    op.add_column(f"{service}_audit_log", sa.Column("key_id", sa.String(length=64), nullable=True))


def drop_audit_key_id_v1(service: str) -> None:
    with op.batch_alter_table(f"{service}_audit_log") as batch:
        batch.drop_column("key_id")
