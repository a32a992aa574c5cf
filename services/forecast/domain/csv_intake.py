"""Forecasts as a forecaster exports them from a spreadsheet: one CSV row per area and day.

Columns (header required, any order): ``area``, ``issued_at``, ``date``, and the
values ``pm25``, ``pm10``, ``so2``, ``no2``, ``co``, ``o3_8h``, ``o3_1h``,
``max_hourly_aqi``; optional ``source`` and ``kind``. A unit other than the plan's
goes in the header, e.g. ``so2[ppb]`` or ``co[ppm]``. Rows with the same area,
source, kind and issue time make one forecast. Every error names its line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from services.forecast.domain.commands import SubmitForecast
from services.forecast.domain.model import with_units
from services.forecast.domain.units import FIELDS, check_units
from shared.contracts.payloads import DayValues
from shared.contracts.strict import parse_decimal, parse_rfc3339
from shared.errors import Rejected

REQUIRED = ("area", "issued_at", "date")
VALUE_COLUMNS = (*FIELDS, "max_hourly_aqi")
INTEGER_COLUMNS = frozenset({"max_hourly_aqi"})
OPTIONAL = ("source", "kind")
MAX_SOURCE = 100  # as for a JSON forecast; a longer one would not fit its column
_UNIT = re.compile(r"^(?P<name>[a-z0-9_]+)\[(?P<unit>[a-z0-9/]+)\]$")


@dataclass
class _Group:
    command: SubmitForecast
    lines: list[int] = field(default_factory=list)


def parse_csv(text: str, *, default_source: str) -> tuple[list[SubmitForecast], list[list[int]]]:
    """The forecasts in ``text`` and, for each, the CSV line of each of its days."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _parse(reader, default_source)
    except csv.Error as exc:
        raise Rejected(f"line {reader.line_num}: not valid CSV: {exc}") from exc


def _parse(reader: Any, default_source: str) -> tuple[list[SubmitForecast], list[list[int]]]:
    try:
        header = next(reader)
    except StopIteration:
        raise Rejected("line 1: the CSV is empty; a header row is required") from None
    columns, units = _columns(header)
    groups: dict[tuple[str, str, str, str], _Group] = {}
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise Rejected(f"line {line}: {len(row)} cells, the header has {len(header)}")
        cells = {name: row[index].strip() for index, name in enumerate(columns) if name}
        key = (
            cells["area"],
            cells.get("source") or default_source,
            cells.get("kind") or "forecast",
            cells["issued_at"],
        )
        day = _day(cells, line, units)
        if key not in groups:
            groups[key] = _Group(_command(key, line))
        group = groups[key]
        group.command = SubmitForecast(
            area=group.command.area,
            source=group.command.source,
            kind=group.command.kind,
            issued_at=group.command.issued_at,
            days=(*group.command.days, day),
            units={},
        )
        group.lines.append(line)
    if not groups:
        raise Rejected("line 2: no data rows")
    return [g.command for g in groups.values()], [g.lines for g in groups.values()]


def _columns(header: list[str]) -> tuple[list[str | None], dict[str, str]]:
    names: list[str | None] = []
    units: dict[str, str] = {}
    for cell in header:
        name = cell.strip().lower()
        match = _UNIT.match(name)
        if match:
            name = match["name"]
            units[name] = match["unit"].replace("µg", "ug")
        if name not in (*REQUIRED, *VALUE_COLUMNS, *OPTIONAL):
            raise Rejected(f"line 1: unknown column {cell!r}")
        if name in names:
            raise Rejected(f"line 1: column {name!r} appears twice")
        names.append(name)
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise Rejected(f"line 1: missing column(s) {', '.join(missing)}")
    try:
        check_units(units)
    except Rejected as exc:
        raise Rejected(f"line 1: {exc}") from exc
    return names, units


def _command(key: tuple[str, str, str, str], line: int) -> SubmitForecast:
    area, source, kind, issued = key
    if not 1 <= len(source) <= MAX_SOURCE:
        raise Rejected(f"line {line}: source: {len(source)} characters; 1 to {MAX_SOURCE} allowed")
    if kind not in ("forecast", "observation"):
        raise Rejected(f"line {line}: kind: {kind!r} is neither forecast nor observation")
    try:
        issued_at = parse_rfc3339(issued)
    except ValueError as exc:
        raise Rejected(f"line {line}: issued_at: {exc}") from None
    return SubmitForecast(area=area, source=source, kind=kind, issued_at=issued_at, days=())


def _day(cells: dict[str, str], line: int, units: dict[str, str]) -> DayValues:
    values = {name: _number(cells[name], name, line) for name in VALUE_COLUMNS if cells.get(name)}
    try:
        day = DayValues.model_validate({"date": cells["date"], **values})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise Rejected(f"line {line}: {where}: {first['msg']}") from None
    try:
        return with_units(day, check_units(units))
    except Rejected as exc:
        raise Rejected(f"line {line}: {exc}") from exc


def _number(cell: str, column: str, line: int) -> float | int:
    """A cell is text: it must read as a finite decimal (issue 12: no NaN, no "1e999");
    an integral value of an integer column (max_hourly_aqi) becomes an int."""
    try:
        value = parse_decimal(cell)
    except ValueError as exc:
        raise Rejected(f"line {line}: {column}: {exc}") from None
    if column in INTEGER_COLUMNS and value.is_integer():
        return int(value)
    return value
