"""The AQI of whole batches at once, with numpy (HJ 633-2012 §4, as in ``shared.aqi.scalar``).

Every element goes through the floating-point operations of ``scalar.sub_index`` in the same
order, each a separate IEEE-754 operation (no fused multiply-add can creep in between ufunc
calls), so the integers agree with the scalar path exactly, not just approximately.  That is
why this does not call ``np.interp``: its C loop may be compiled with contracted arithmetic.

NaN means "absent": such an element gets the IAQI ``ABSENT`` (-1), below every real IAQI, so
the AQI of a row is still the maximum of its row.  Python loops run over the at most seven
breakpoints of a Table 1 row and the at most seven columns, never over rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from shared.aqi.scalar import DAILY_FIELDS, HOURLY_FIELDS, Field, stand_in_field
from shared.aqi.standard import (
    NOT_COMPUTED,
    SEGMENTS,
    STAND_IN,
    TOLERANCE,
    AqiInputError,
    Quantity,
    Segments,
    segments_of,
)

ABSENT: Final = -1
"""The IAQI of an absent (NaN) element and the AQI of nothing."""

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class _Row:
    upper: tuple[float, ...]
    low: npt.NDArray[np.complex128]
    """BP_Lo + 1j * IAQI_Lo of each segment: one gather fetches both."""
    slope: Floats

    @classmethod
    def of(cls, segments: Segments) -> _Row:
        low = np.array(segments.c_low, dtype=np.float64) + 1j * np.array(segments.i_low)
        return cls(segments.upper, low, np.array(segments.slope, dtype=np.float64))


_ROWS: Final = {quantity: _Row.of(segments) for quantity, segments in SEGMENTS.items()}


_CHUNK: Final = 1 << 16
"""Elements per pass.  The working buffers (about 40 bytes an element) then stay in cache,
and nothing of the input's size is allocated but the result: together worth some 15 % of
the run time against whole-array temporaries."""


def _sub_index(quantity: Quantity, c: Floats, absent: Mask | None) -> Ints:
    """``scalar.sub_index`` of every element of ``c`` (``ABSENT`` where ``absent``)."""
    row = _ROWS[quantity]
    flat = c.ravel()
    result = np.empty(flat.shape, dtype=np.int64)
    size = min(flat.size, _CHUNK)
    segment = np.empty(size, dtype=np.uint8)
    above = np.empty(size, dtype=np.bool_)
    above_as_count = above.view(np.uint8)  # adding bools to uint8 directly costs a cast
    index = np.empty(size, dtype=np.intp)
    low = np.empty(size, dtype=np.complex128)
    raw = np.empty(size, dtype=np.float64)
    slope = np.empty(size, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # absent (NaN) elements: overwritten at the end
        for start in range(0, flat.size, _CHUNK):
            x = flat[start : start + _CHUNK]
            n = x.size
            s, a, i, lo, r, k = segment[:n], above[:n], index[:n], low[:n], raw[:n], slope[:n]
            # Counting the breakpoints below C is bisect_left over the row, so each element
            # lands in the scalar path's segment; for at most seven breakpoints it is several
            # times faster than a binary search per element.
            s.fill(0)
            for breakpoint in row.upper:
                np.greater(x, breakpoint, out=a)
                np.add(s, above_as_count[:n], out=s)
            np.copyto(i, s)
            # mode="clip" only because it lets take() write straight into ``out``: every
            # index is already in range.
            np.take(row.low, i, out=lo, mode="clip")
            np.take(row.slope, i, out=k, mode="clip")
            np.subtract(x, lo.real, out=r)
            np.multiply(r, k, out=r)
            np.add(r, lo.imag, out=r)
            np.subtract(r, TOLERANCE, out=r)
            np.ceil(r, out=r)
            np.copyto(result[start : start + n], r, casting="unsafe")
    if absent is not None:
        np.copyto(result, ABSENT, where=absent.ravel())
    return result.reshape(c.shape)


def _position(flat_index: int, shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f"row {flat_index}"
    return f"index {tuple(int(i) for i in np.unravel_index(flat_index, shape))}"


def _first(mask: Mask) -> int:
    return int(np.argmax(mask.ravel()))


@dataclass(frozen=True)
class _Column:
    name: str
    values: Floats
    absent: Mask | None
    """Where the values are NaN; ``None`` when nowhere."""
    highest: float
    """The largest value present (NaN if none is)."""

    def at(self, flat_index: int) -> str:
        return f"{self.name} ({_position(flat_index, self.values.shape)})"

    def value(self, flat_index: int) -> float:
        return float(self.values.ravel()[flat_index])


def _column(name: str, values: npt.ArrayLike) -> _Column:
    """The values as float64; AqiInputError naming the column and the first offending
    position for a negative or infinite value (NaN is absent, not wrong)."""
    c = np.asarray(values, dtype=np.float64)
    if not c.size:
        return _Column(name, c, None, np.nan)
    # min and max propagate NaN, so these two cheap reductions clear the usual case: no NaN,
    # nothing negative, nothing infinite.
    lowest, highest = float(c.min()), float(c.max())
    if lowest >= 0 and highest < np.inf:
        return _Column(name, c, None, highest)
    absent = np.isnan(c)
    fine = absent | ((c >= 0) & (c < np.inf))
    if not fine.all():
        column = _Column(name, c, absent, np.nan)
        at = _first(~fine)
        raise AqiInputError(
            f"{column.at(at)}: must be a finite, non-negative concentration, "
            f"got {column.value(at)!r}"
        )
    highest = float(np.fmax.reduce(c, axis=None))
    return _Column(name, c, absent if absent.any() else None, highest)


def iaqi_array(quantity: str, concentrations: npt.ArrayLike) -> Ints:
    """``scalar.iaqi`` element-wise: int64 IAQIs of the same shape, ``ABSENT`` where NaN.

    As there, ``so2_1h`` and ``o3_8h`` above 800 µg/m³ raise AqiInputError (naming the first
    such position), since only the combined functions have the stand-in value.
    """
    segments = segments_of(quantity)
    column = _column(segments.quantity, concentrations)
    if segments.quantity in STAND_IN and column.highest > segments.top:
        at = _first(column.values > segments.top)
        stand_in, note = STAND_IN[segments.quantity]
        raise AqiInputError(
            f"{column.at(at)}: {column.value(at)!r} is above {segments.top:g}, where HJ 633-2012 "
            f"{note} computes no IAQI from it; the IAQI of {stand_in} is reported instead"
        )
    return _sub_index(segments.quantity, column.values, column.absent)


def _combine(
    fields: tuple[Field, ...], columns: Mapping[str, npt.ArrayLike]
) -> tuple[Ints, dict[str, Ints]]:
    names = [f.name for f in fields]
    unknown = sorted(set(columns) - set(names))
    if unknown:
        raise AqiInputError(f"unknown column(s) {unknown}: expected some of {names}")
    data = {name: _column(name, columns[name]) for name in names if name in columns}
    shapes = {name: column.values.shape for name, column in data.items()}
    if len(set(shapes.values())) > 1:
        raise AqiInputError(f"columns differ in shape: {shapes}")
    main = [(f, f.pollutant) for f in fields if f.pollutant is not None and f.name in data]
    if not main:
        wanted = ", ".join(f.name for f in fields if f.pollutant is not None)
        raise AqiInputError(f"no concentration column given: the AQI needs one of {wanted}")

    sub: dict[str, Ints] = {}
    for field, pollutant in main:
        column = data[field.name]
        result = _sub_index(field.quantity, column.values, column.absent)
        if field.quantity in STAND_IN and column.highest > segments_of(field.quantity).top:
            stand_in = stand_in_field(fields, field).name
            _apply_stand_in(field, column, result, stand_in, data.get(stand_in))
        sub[pollutant] = result

    first, *rest = sub.values()
    aqi = first.copy()
    for result in rest:
        np.maximum(aqi, result, out=aqi)
    if any(data[f.name].absent is not None for f, _ in main):
        nothing = aqi == ABSENT
        if nothing.any():
            given = ", ".join(f.name for f, _ in main)
            raise AqiInputError(
                f"{_position(_first(nothing), aqi.shape)}: no concentration given, every one "
                f"of {given} is NaN"
            )
    return aqi, sub


def _apply_stand_in(
    field: Field, column: _Column, result: Ints, stand_in: str, stand_in_column: _Column | None
) -> None:
    """Replace, in place, the IAQIs that Table 1 notes 2 and 3 leave uncomputed by those of the
    stand-in column."""
    beyond = result == NOT_COMPUTED
    stand_in_quantity, note = STAND_IN[field.quantity]
    if stand_in_column is None:
        missing = beyond
    else:
        substitute = stand_in_column.values[beyond]
        if not np.isnan(substitute).any():
            result[beyond] = _sub_index(stand_in_quantity, substitute, None)
            return
        missing = beyond & np.isnan(stand_in_column.values)
    at = _first(missing)
    raise AqiInputError(
        f"{column.at(at)}: {column.value(at)!r} is above {segments_of(field.quantity).top:g}, "
        f"where HJ 633-2012 {note} computes no IAQI from it and reports that of {stand_in}: "
        f"give {stand_in} there"
    )


def daily_aqi_array(columns: Mapping[str, npt.ArrayLike]) -> tuple[Ints, dict[str, Ints]]:
    """``scalar.daily_aqi`` over whole columns (keys as its keywords: ``pm25``, ``o3_8h``...).

    Returns the int64 AQI and the int64 IAQI of each pollutant with a column, keyed like
    ``AqiResult.iaqi``; NaN is an absent value (IAQI ``ABSENT``).  A row with nothing present,
    a negative or infinite value, or ``o3_8h`` above 800 without ``o3_1h`` raise AqiInputError
    naming the column and the row.  Columns must share one shape (any shape works).
    """
    return _combine(DAILY_FIELDS, columns)


def hourly_aqi_array(columns: Mapping[str, npt.ArrayLike]) -> tuple[Ints, dict[str, Ints]]:
    """``scalar.hourly_aqi`` over whole columns; otherwise as ``daily_aqi_array``."""
    return _combine(HOURLY_FIELDS, columns)
