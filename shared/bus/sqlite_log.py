"""The embedded bus's durable log: every message and every group's committed offset, in
one SQLite file (``{var_dir}/bus.db``), so that ``airwarn up`` keeps what it accepted
across a kill -9.

Why a durable log (and not "mark the outbox row sent once every group committed it"):
it gives the embedded bus exactly the semantics the Kafka path already has, so one
argument covers both. The chain of custody is:

1. a service commits its state and its outbox row in one transaction;
2. the relay appends the row's event here and the append is committed (WAL, see
   :data:`SYNCHRONOUS`) *before* the relay marks the outbox row published — a crash in
   between sends it again, and the consumers' processed-events inbox drops the repeat;
3. a consumer hands the message to its handler, whose transaction commits the effect,
   its own outbox rows and the inbox claim together; only then is the group's offset
   committed here — a crash in between redelivers it, and the inbox drops it.

On start the log and the offsets are read back and each group resumes at its committed
offset, so every accepted message of every topic is handled by every group. The
alternative design needs to know, in the publisher, which groups exist for a topic
(including ones not started yet) and keeps rows "in flight" outside any store; it also
leaves dead letters, which have no outbox row, undurable.

``SYNCHRONOUS``: WAL with ``synchronous=FULL`` fsyncs the WAL on every commit, so an
append survives power loss as well as a process crash. (``NORMAL`` would be enough for
kill -9 — the WAL pages are in the OS page cache once ``write`` returned — but not for
an OS crash; the bus sees one write per message, so the stronger setting is affordable.)
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from shared.contracts.envelope import RawMessage

#: journal mode and synchronous level of every embedded SQLite database (the services'
#: too, see shared.db.engine); the reason is in the module docstring
JOURNAL_MODE = "WAL"
SYNCHRONOUS = "FULL"

T = TypeVar("T")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS bus_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bus_messages ("
    " topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,"
    " key BLOB, value BLOB NOT NULL, headers TEXT NOT NULL,"
    " PRIMARY KEY (topic, partition, offset))",
    "CREATE TABLE IF NOT EXISTS bus_offsets ("
    " topic TEXT NOT NULL, grp TEXT NOT NULL, partition INTEGER NOT NULL,"
    " committed INTEGER NOT NULL, PRIMARY KEY (topic, grp, partition))",
)


class PartitionCountChanged(RuntimeError):
    """The log was written with another partition count: keys would move partitions."""


@dataclass
class Restored:
    """What a log held when it was opened."""

    messages: list[RawMessage] = field(default_factory=list)
    #: (topic, group) -> partition -> committed offset
    offsets: dict[tuple[str, str], dict[int, int]] = field(default_factory=dict)


def _encode_headers(headers: Sequence[tuple[str, bytes]]) -> str:
    return json.dumps([[name, value.hex()] for name, value in headers])


def _decode_headers(text: str) -> tuple[tuple[str, bytes], ...]:
    return tuple((name, bytes.fromhex(value)) for name, value in json.loads(text))


class SqliteLog:
    """One SQLite connection, used from one thread, so writes land in call order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor: ThreadPoolExecutor | None = None
        self._db: sqlite3.Connection | None = None

    async def _run(self, call: Any, *args: Any) -> Any:
        if self._executor is None:
            raise RuntimeError("the bus log is not open")
        return await asyncio.get_running_loop().run_in_executor(self._executor, call, *args)

    async def open(self, partitions: int) -> Restored:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bus-log")
        result: Restored = await self._run(self._open, partitions)
        return result

    async def close(self) -> None:
        if self._executor is None:
            return
        await self._run(self._close)
        self._executor.shutdown(wait=True)
        self._executor = None

    async def append(self, messages: Sequence[RawMessage]) -> None:
        """Durably append messages that already carry their partition and offset."""
        await self._run(self._append, list(messages))

    async def commit(self, topic: str, group: str, partition: int, offset: int) -> None:
        await self._run(self._commit, topic, group, partition, offset)

    # --- on the log's own thread ---------------------------------------------

    def _open(self, partitions: int) -> Restored:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute(f"PRAGMA journal_mode={JOURNAL_MODE}")
        db.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
        for statement in _SCHEMA:
            db.execute(statement)
        row = db.execute("SELECT value FROM bus_meta WHERE name = 'partitions'").fetchone()
        if row is None:
            db.execute("INSERT INTO bus_meta VALUES ('partitions', ?)", (str(partitions),))
        elif int(row[0]) != partitions:
            db.close()
            raise PartitionCountChanged(
                f"the bus log {self.path} has {row[0]} partitions per topic, the settings"
                f" say {partitions} (AIRWARN_MEMORY_PARTITIONS); keys would change partitions"
            )
        self._db = db
        restored = Restored()
        for topic, partition, offset, key, value, headers in db.execute(
            "SELECT topic, partition, offset, key, value, headers FROM bus_messages"
            " ORDER BY topic, partition, offset"
        ):
            restored.messages.append(
                RawMessage(
                    topic=topic,
                    key=key,
                    value=value,
                    headers=_decode_headers(headers),
                    partition=partition,
                    offset=offset,
                )
            )
        for topic, group, partition, committed in db.execute(
            "SELECT topic, grp, partition, committed FROM bus_offsets"
        ):
            restored.offsets.setdefault((topic, group), {})[partition] = committed
        return restored

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the bus log is not open")
        return self._db

    def _append(self, messages: list[RawMessage]) -> None:
        db = self._connection()
        with db:  # one transaction: the whole batch or none of it
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO bus_messages VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (m.topic, m.partition, m.offset, m.key, m.value, _encode_headers(m.headers))
                    for m in messages
                ],
            )

    def _commit(self, topic: str, group: str, partition: int, offset: int) -> None:
        db = self._connection()
        with db:
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT INTO bus_offsets VALUES (?, ?, ?, ?)"
                " ON CONFLICT (topic, grp, partition) DO UPDATE SET committed = excluded.committed",
                (topic, group, partition, offset),
            )
