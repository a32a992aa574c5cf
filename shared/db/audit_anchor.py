"""Anchors: a service's audit head, signed and kept outside its database.

A chain verifies from its first row to whatever its last row is, so deleting the newest
rows (or rewriting the whole chain with a stolen key's help) would still verify. Each
service therefore signs its head (service, seq, MAC, time, key id) with the current
audit key on a schedule, appends it as a JSON line to ``<anchor dir>/<service>.jsonl``
and publishes it on ``audit.anchors.v1``. ``airwarn audit verify`` then checks that the
chain still holds, at each anchored seq, the MAC that was anchored there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.schema import Table

from shared.db.audit import GENESIS, ChainReport, canonical
from shared.db.audit_keys import KeyRing


@dataclass(frozen=True)
class Anchor:
    service: str
    seq: int
    #: the MAC (or, for a chain still ending in rows from before the key, the hash) at seq
    head: str
    #: the key id of the head row itself (None: an unkeyed row, or an empty chain)
    head_key: str | None
    at: str
    #: the key the anchor is signed with, and its signature over all the fields above
    key_id: str
    signature: str

    def signed_part(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if k not in ("key_id", "signature")}


def sign(
    service: str, seq: int, head: str, head_key: str | None, keys: KeyRing, at: dt.datetime
) -> Anchor:
    unsigned = Anchor(service, seq, head, head_key, at.astimezone(dt.UTC).isoformat(), "", "")
    key_id, signature = keys.seal(canonical({**unsigned.signed_part(), "key_id": keys.current}))
    return Anchor(service, seq, head, head_key, unsigned.at, key_id, signature)


def signature_ok(anchor: Anchor, keys: KeyRing) -> bool:
    if anchor.key_id not in keys.keys:
        return False
    message = canonical({**anchor.signed_part(), "key_id": anchor.key_id})
    return keys.mac(anchor.key_id, message) == anchor.signature


def anchor_file(directory: Path, service: str) -> Path:
    return directory / f"{service}.jsonl"


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, (line + "\n").encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


async def write(directory: Path, anchor: Anchor) -> None:
    line = json.dumps(asdict(anchor), sort_keys=True, ensure_ascii=False)
    await asyncio.to_thread(_append_line, anchor_file(directory, anchor.service), line)


async def head(connection: AsyncConnection, table: Table) -> tuple[int, str, str | None]:
    """(seq, MAC, key id) of the newest row; (0, GENESIS, None) for an empty chain."""
    row = (
        await connection.execute(
            sa.select(table.c.seq, table.c.hash, table.c.key_id)
            .order_by(table.c.seq.desc())
            .limit(1)
        )
    ).first()
    return (int(row.seq), str(row.hash), row.key_id) if row else (0, GENESIS, None)


@dataclass(frozen=True)
class AnchorFile:
    anchors: list[Anchor]
    #: lines that are not a valid anchor of this service signed with a known key
    problems: list[str]
    present: bool


def read(directory: Path, service: str, keys: KeyRing) -> AnchorFile:
    path = anchor_file(directory, service)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return AnchorFile([], [], False)
    anchors: list[Anchor] = []
    problems: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            anchor = Anchor(**json.loads(line))
        except (TypeError, ValueError):
            problems.append(f"{path} line {number}: not an anchor")
            continue
        if anchor.service != service or not signature_ok(anchor, keys):
            why = "unknown key" if anchor.key_id not in keys.keys else "bad signature"
            problems.append(f"{path} line {number}: {why}, the anchor is not trusted")
            continue
        anchors.append(anchor)
    return AnchorFile(anchors, problems, True)


def watched(anchors: Iterable[Anchor]) -> set[int]:
    return {a.seq for a in anchors if a.seq > 0}


def compare(report: ChainReport, anchors: Iterable[Anchor]) -> list[str]:
    """What the chain contradicts in the anchors: a head anchored at a seq the chain no
    longer reaches (its tail was cut off) or holding another MAC there (rewritten)."""
    problems: list[str] = []
    judged = report.entries if report.broken is None else report.broken.seq - 1
    for anchor in sorted(anchors, key=lambda a: a.seq, reverse=True):
        if anchor.seq == 0:
            continue
        if report.broken is None and anchor.seq > report.entries:
            problems.append(
                f"{report.service}: truncated: the anchor of {anchor.at} has the head at seq "
                f"{anchor.seq}, the chain ends at seq {report.entries}"
            )
        elif anchor.seq <= judged and report.seen.get(anchor.seq) != anchor.head:
            problems.append(
                f"{report.service}: rewritten: seq {anchor.seq} is not the entry anchored "
                f"at {anchor.at} (MAC {anchor.head[:12]}…)"
            )
        else:
            continue
        break  # the newest contradicted anchor says it; older ones would repeat it
    return problems
