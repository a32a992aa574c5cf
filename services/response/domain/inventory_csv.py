"""An inventory as a district exports it: one CSV row per source.

Columns: ``source_id``, ``name``, ``kind`` (enterprise, mobile, dust), ``sector``,
``grade`` (A, B, C, D, leading, other), ``key_industry`` and ``routine`` (yes/no),
baseline ``so2``, ``nox``, ``pm``, ``vocs`` (kg/day), and the committed reduction per
level, ``so2_yellow`` … ``vocs_red`` (kg/day; blank = none). Errors name the line.
"""

from __future__ import annotations

import csv
import io

from services.response.domain.inventory import LEVELS, POLLUTANTS, Source, check_source
from shared.contracts.strict import parse_decimal
from shared.errors import Rejected

REQUIRED = ("source_id", "name", "kind", "sector", "grade", *POLLUTANTS)
OPTIONAL = ("key_industry", "routine", *(f"{p}_{level}" for level in LEVELS for p in POLLUTANTS))
TRUE = {"yes", "y", "true", "1", "是"}
FALSE = {"no", "n", "false", "0", "否", ""}


def parse_inventory_csv(text: str) -> list[Source]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _parse(reader)
    except csv.Error as exc:
        raise Rejected(f"line {reader.line_num}: not valid CSV: {exc}") from exc


def _parse(reader: csv.DictReader[str]) -> list[Source]:
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not header:
        raise Rejected("line 1: the CSV is empty; a header row is required")
    unknown = [name for name in header if name not in (*REQUIRED, *OPTIONAL)]
    if unknown:
        raise Rejected(f"line 1: unknown column(s) {', '.join(unknown)}")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise Rejected(f"line 1: missing column(s) {', '.join(missing)}")
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        cells = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if not any(cells.values()):
            continue
        try:
            source = _source(cells)
            check_source(source)
        except Rejected as exc:
            raise Rejected(f"line {line}: {exc}") from exc
        if source.source_id in seen:
            raise Rejected(
                f"line {line}: source_id {source.source_id!r} is already on line "
                f"{seen[source.source_id]}"
            )
        seen[source.source_id] = line
        sources.append(source)
    return sources


def _number(cells: dict[str, str], name: str, *, required: bool) -> float | None:
    text = cells.get(name, "")
    if not text:
        if required:
            raise Rejected(f"{name}: a number is required")
        return None
    try:
        return parse_decimal(text)
    except ValueError as exc:
        raise Rejected(f"{name}: {exc}") from None


def _flag(cells: dict[str, str], name: str) -> bool:
    text = cells.get(name, "").lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise Rejected(f"{name}: {text!r} is neither yes nor no")


def _source(cells: dict[str, str]) -> Source:
    baseline = {p: _number(cells, p, required=True) or 0.0 for p in POLLUTANTS}
    reductions = {}
    for level in LEVELS:
        cuts = {p: _number(cells, f"{p}_{level}", required=False) for p in POLLUTANTS}
        given = {p: v for p, v in cuts.items() if v is not None}
        if given:
            reductions[level] = given
    return Source(
        source_id=cells["source_id"],
        name=cells["name"],
        kind=cells["kind"],  # type: ignore[arg-type]
        sector=cells["sector"],
        grade=cells["grade"],
        key_industry=_flag(cells, "key_industry"),
        routine=_flag(cells, "routine"),
        baseline=baseline,
        reductions=reductions,
    )
