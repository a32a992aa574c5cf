"""``airwarn audit verify`` for one service: its chain with its keys, the chain against
its anchors, and its state tables against the chain."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.db import audit_anchor, audit_state
from shared.db.audit import _open, verify_connection
from shared.db.audit_keys import KeyRing
from shared.db.audit_state import Audited


@dataclass(frozen=True)
class Verdict:
    lines: list[str]
    #: 0 intact, 1 tampering found
    code: int


async def check_service(
    url: str, service: str, keys: KeyRing, anchor_dir: Path, audited: Sequence[Audited]
) -> Verdict:
    """Raises :class:`shared.db.audit.AuditUnavailable` if the log cannot be read."""
    anchors = await asyncio.to_thread(audit_anchor.read, anchor_dir, service, keys)
    engine, table = await _open(url, service)
    try:
        async with engine.connect() as connection:
            report = await verify_connection(
                connection, table, keys, audit_anchor.watched(anchors.anchors)
            )
            mismatches = await audit_state.check(connection, service, table, audited)
    finally:
        await engine.dispose()
    contradicted = audit_anchor.compare(report, anchors.anchors)
    lines = [report.line(), *(f"{service}: {p}" for p in anchors.problems), *contradicted]
    if not anchors.present:
        lines.append(f"{service}: no anchors in {anchor_dir} (a cut-off tail would not show)")
    elif anchors.anchors:
        newest = max(anchors.anchors, key=lambda a: a.seq)
        if not contradicted and report.intact:
            lines.append(f"{service}: matches its anchors (newest: seq {newest.seq}, {newest.at})")
    lines += [m.line() for m in mismatches]
    if audited and not mismatches:
        names = ", ".join(a.entity for a in audited)
        lines.append(f"{service}: state matches the log ({names})")
    tampered = not report.intact or anchors.problems or contradicted or mismatches
    return Verdict(lines, 1 if tampered else 0)
