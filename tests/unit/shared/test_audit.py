"""The audit log's hash chain on a real SQLite database: appends chain, verify finds the first
altered, removed or reordered row, and the unit of work audits only what it commits."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.payloads import DayValues
from shared.db.audit import (
    GENESIS,
    AuditUnavailable,
    ChainCheck,
    entries,
    entry_hash,
    entry_mac,
    jsonable,
    verify,
)
from shared.db.audit_keys import KeyRing
from shared.db.engine import make_engine, make_session_factory
from shared.db.tables import MessagingTables, messaging_tables
from shared.db.uow import SqlUnitOfWork
from shared.observability import context

SERVICE = "svc"
KEYS = KeyRing.generate("test-key")


@dataclass(frozen=True)
class Thing:
    name: str
    on: dt.date
    at: dt.datetime
    tags: tuple[str, ...]
    values: DayValues | None = None


@dataclass
class Db:
    url: str
    path: Path
    tables: MessagingTables
    sessions: async_sessionmaker[AsyncSession]

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.sessions, self.tables, source=f"/airwarn/{SERVICE}", audit_keys=KEYS
        )

    def sql(self, statement: str, *params: Any) -> None:
        """Raw SQL behind the application's back, as a tamperer would."""
        with sqlite3.connect(self.path) as connection:
            connection.execute(statement, params)

    async def change(self, count: int, *, first: int = 0) -> None:
        for n in range(first, first + count):
            async with self.uow() as uow:
                await uow.record("thing", f"t{n}", "created", None, {"n": n})
                await uow.commit()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Db]:
    path = tmp_path / "audit.db"
    url = f"sqlite+aiosqlite:///{path}"
    metadata = MetaData()
    tables = messaging_tables(metadata, SERVICE)
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield Db(url, path, tables, make_session_factory(engine))
    await engine.dispose()


def rows(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        found = connection.execute(f"SELECT * FROM {SERVICE}_audit_log ORDER BY seq").fetchall()
    made = [dict(r) for r in found]
    for row in made:  # as the application reads them: JSON parsed, times aware
        row["before"], row["after"] = (
            None if row[k] is None else json.loads(row[k]) for k in ("before", "after")
        )
        row["at"] = dt.datetime.fromisoformat(row["at"]).replace(tzinfo=dt.UTC)
    return made


# --- snapshots and hashes -------------------------------------------------------------


def test_snapshots_become_plain_json() -> None:
    moment = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
    thing = Thing("a", dt.date(2026, 1, 5), moment, ("x", "y"), DayValues(date="2026-01-05"))
    made = jsonable({"thing": thing, "amount": Decimal("1.50"), "bad": float("nan")})
    assert made == {
        "thing": {
            "name": "a",
            "on": "2026-01-05",
            "at": "2026-01-05T08:00:00+00:00",
            "tags": ["x", "y"],
            "values": DayValues(date="2026-01-05").model_dump(mode="json"),
        },
        "amount": "1.50",
        "bad": "nan",
    }


def test_an_unknown_type_is_refused_naming_where_it_is() -> None:
    with pytest.raises(TypeError, match=r"after\.thing\.tags\[1\]: cannot record a object"):
        jsonable({"thing": {"tags": [1, object()]}}, "after")


def test_every_field_is_covered_by_the_hash() -> None:
    row: dict[str, Any] = {
        "seq": 3,
        "at": dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC),
        "actor": "office-duty:dev",
        "service": SERVICE,
        "entity": "task",
        "key": "t1",
        "action": "complete",
        "event_id": None,
        "before": {"status": "open"},
        "after": {"status": "done"},
        "prev_hash": GENESIS,
    }
    base = entry_hash(row)
    assert len(base) == 64
    # the same moment in another zone is the same row
    same_moment = {**row, "at": row["at"].astimezone(dt.timezone(dt.timedelta(hours=8)))}
    assert entry_hash(same_moment) == base
    changes: dict[str, Any] = {
        "seq": 4,
        "at": row["at"] + dt.timedelta(microseconds=1),
        "actor": "system",
        "service": "other",
        "entity": "proposal",
        "key": "t2",
        "action": "acknowledge",
        "event_id": "e1",
        "before": {"status": "acknowledged"},
        "after": None,
        "prev_hash": "1" * 64,
    }
    for name, value in changes.items():
        assert entry_hash({**row, name: value}) != base, name


def test_a_chain_checked_in_memory_names_the_first_break() -> None:
    made: list[dict[str, Any]] = []
    prev = GENESIS
    for seq in range(1, 5):
        row: dict[str, Any] = {
            "seq": seq,
            "at": dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
            "actor": "system",
            "service": SERVICE,
            "entity": "thing",
            "key": str(seq),
            "action": "created",
            "event_id": None,
            "before": None,
            "after": {"n": seq},
            "prev_hash": prev,
        }
        row["hash"] = prev = entry_hash(row)
        made.append(row)
    check = ChainCheck(KEYS)
    assert check.feed(made) is None
    assert (check.entries, check.head) == (4, made[-1]["hash"])
    broken = ChainCheck(KEYS).feed([made[0], made[2], made[3]])
    assert broken is not None
    assert (broken.seq, broken.problem) == (2, "gap: seq 2 missing, the chain goes on at 3")


# --- on a database --------------------------------------------------------------------


async def test_appends_chain_in_commit_order_and_verify(db: Db) -> None:
    await db.change(5)
    stored = rows(db.path)
    assert [r["seq"] for r in stored] == [1, 2, 3, 4, 5]
    assert stored[0]["prev_hash"] == GENESIS
    for earlier, later in itertools.pairwise(stored):
        assert later["prev_hash"] == earlier["hash"]
    report = await verify(db.url, SERVICE, KEYS)
    assert report.intact
    assert (report.entries, report.head) == (5, stored[-1]["hash"])
    assert report.line() == f"{SERVICE}: 5 entries, chain intact (head {stored[-1]['hash']})"


async def test_an_empty_log_verifies(db: Db) -> None:
    report = await verify(db.url, SERVICE, KEYS)
    assert (report.intact, report.entries, report.head) == (True, 0, GENESIS)


async def test_a_tampered_field_of_a_middle_row_is_found_at_its_seq(db: Db) -> None:
    await db.change(6)
    db.sql(f'UPDATE {SERVICE}_audit_log SET "after" = ? WHERE seq = 3', '{"n": 99}')
    report = await verify(db.url, SERVICE, KEYS)
    assert report.broken is not None
    assert report.broken.seq == 3
    assert report.broken.problem.startswith("MAC mismatch")
    assert report.entries == 2
    assert "chain broken at seq 3: MAC mismatch" in report.line()


async def test_a_tampered_actor_is_found_too(db: Db) -> None:
    await db.change(3)
    db.sql(f"UPDATE {SERVICE}_audit_log SET actor = 'hq-commander:someone' WHERE seq = 2")
    report = await verify(db.url, SERVICE, KEYS)
    assert report.broken is not None and report.broken.seq == 2


async def test_a_rehashed_tampered_row_breaks_the_next_link(db: Db) -> None:
    """Even with the key, a row re-sealed in place no longer links to the next one."""
    await db.change(5)
    forged_hash = entry_mac({**rows(db.path)[2], "after": {"n": 99}}, KEYS)
    db.sql(
        f'UPDATE {SERVICE}_audit_log SET "after" = ?, hash = ? WHERE seq = 3',
        '{"n": 99}',
        forged_hash,
    )
    report = await verify(db.url, SERVICE, KEYS)
    assert report.broken is not None
    assert (report.broken.seq, report.broken.problem[:11]) == (4, "broken link")
    assert "is not the hash of seq 3" in report.broken.problem


async def test_a_deleted_middle_row_is_a_gap(db: Db) -> None:
    await db.change(5)
    db.sql(f"DELETE FROM {SERVICE}_audit_log WHERE seq = 3")
    report = await verify(db.url, SERVICE, KEYS)
    assert report.broken is not None
    assert (report.broken.seq, report.broken.problem) == (
        3,
        "gap: seq 3 missing, the chain goes on at 4",
    )


async def test_deleting_the_first_rows_is_a_gap_at_the_start(db: Db) -> None:
    await db.change(4)
    db.sql(f"DELETE FROM {SERVICE}_audit_log WHERE seq <= 2")
    report = await verify(db.url, SERVICE, KEYS)
    assert report.broken is not None
    assert (report.broken.seq, report.broken.problem) == (
        1,
        "gap: seq 1–2 missing, the chain goes on at 3",
    )


async def test_rows_swapped_are_found_at_the_first_of_them(db: Db) -> None:
    await db.change(5)
    for statement in (
        "UPDATE {t} SET seq = -1 WHERE seq = 2",
        "UPDATE {t} SET seq = 2 WHERE seq = 4",
        "UPDATE {t} SET seq = 4 WHERE seq = -1",
    ):
        db.sql(statement.format(t=f"{SERVICE}_audit_log"))
    report = await verify(db.url, SERVICE, KEYS)
    assert report.broken is not None
    assert (report.broken.seq, report.broken.problem[:12]) == (2, "MAC mismatch")


async def test_rows_reordered_and_rehashed_break_the_links(db: Db) -> None:
    """A tamperer who swaps two rows and recomputes their hashes still cannot fix prev_hash
    without rewriting every later row: the link at the first moved row breaks."""
    await db.change(5)
    stored = rows(db.path)
    two, three = stored[1], stored[2]
    for row, seq in ((three, 2), (two, 3)):
        db.sql(
            f"UPDATE {SERVICE}_audit_log SET seq = ?, hash = ? WHERE hash = ?",
            -seq,
            entry_mac({**row, "seq": seq}, KEYS),
            row["hash"],
        )
    db.sql(f"UPDATE {SERVICE}_audit_log SET seq = -seq WHERE seq < 0")
    report = await verify(db.url, SERVICE, KEYS)
    assert report.broken is not None
    assert (report.broken.seq, report.broken.problem[:11]) == (2, "broken link")


async def test_the_unit_of_work_audits_only_what_it_commits(db: Db) -> None:
    async with db.uow() as uow:
        await uow.record("thing", "lost", "created", None, {"n": 0})
        await uow.rollback()
        await uow.commit()
    async with db.uow() as uow:
        await uow.record("thing", "never", "created", None, {"n": 1})
        # leaving without a commit rolls back, the audit entry with it
    assert rows(db.path) == []
    actor = context.actor.set("office-duty:tester")
    event = context.event_id.set("event-1")
    try:
        async with db.uow() as uow:
            thing = Thing("a", dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, tzinfo=dt.UTC), ())
            await uow.record("thing", "a", "renamed", thing, {"name": "b"})
            await uow.commit()
    finally:
        context.event_id.reset(event)
        context.actor.reset(actor)
    (row,) = rows(db.path)
    assert (row["actor"], row["event_id"], row["service"]) == (
        "office-duty:tester",
        "event-1",
        SERVICE,
    )
    assert (row["entity"], row["key"], row["action"]) == ("thing", "a", "renamed")
    shown = await entries(db.url, SERVICE)
    assert shown[0]["before"] == {
        "name": "a",
        "on": "2026-01-05",
        "at": "2026-01-05T00:00:00+00:00",
        "tags": [],
        "values": None,
    }
    assert shown[0]["after"] == {"name": "b"}


async def test_record_refuses_an_empty_key_by_name(db: Db) -> None:
    async with db.uow() as uow:
        with pytest.raises(ValueError, match="audit key: a non-empty string is required"):
            await uow.record("thing", " ", "created", None, {"n": 1})


async def test_concurrent_transactions_keep_one_chain(db: Db) -> None:
    """SQLite: each append takes the write lock before reading the head, so transactions
    running at once wait for each other rather than fork the chain or fail."""

    async def worker(first: int) -> None:
        for n in range(first, first + 10):
            async with db.uow() as uow:
                await uow.record("thing", f"t{n}", "created", None, {"n": n})
                await uow.record("thing", f"t{n}", "renamed", {"n": n}, {"n": -n})
                await asyncio.sleep(0)
                await uow.commit()

    await asyncio.gather(*(worker(100 * w) for w in range(5)))
    report = await verify(db.url, SERVICE, KEYS)
    assert (report.intact, report.entries) == (True, 100)


async def test_show_filters_by_entity_and_key_newest_last(db: Db) -> None:
    await db.change(3)
    async with db.uow() as uow:
        await uow.record("other", "t1", "created", None, {"x": 1})
        await uow.record("thing", "t1", "renamed", {"n": 1}, {"n": 10})
        await uow.commit()
    found = await entries(db.url, SERVICE, entity="thing", key="t1")
    assert [(e["seq"], e["action"]) for e in found] == [(2, "created"), (5, "renamed")]
    latest = await entries(db.url, SERVICE, limit=2)
    assert [e["seq"] for e in latest] == [4, 5]
    assert isinstance(latest[0]["at"], str) and latest[0]["at"].endswith("+00:00")


async def test_a_missing_database_or_table_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(AuditUnavailable, match="svc: no database at"):
        await verify(f"sqlite+aiosqlite:///{tmp_path}/none.db", SERVICE, KEYS)
    assert not (tmp_path / "none.db").exists()
    sqlite3.connect(tmp_path / "empty.db").close()
    with pytest.raises(AuditUnavailable, match=r"no table svc_audit_log \(run `airwarn migrate`\)"):
        await verify(f"sqlite+aiosqlite:///{tmp_path}/empty.db", SERVICE, KEYS)
