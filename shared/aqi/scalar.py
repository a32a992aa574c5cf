"""AQI of one set of concentrations, in plain Python (HJ 633-2012 §4).

IAQI_P = (IAQI_Hi - IAQI_Lo) / (BP_Hi - BP_Lo) * (C_P - BP_Lo) + IAQI_Lo   (formula 1)
AQI = max{IAQI_1, ..., IAQI_n}                                           (formula 2)

Both are rounded up to integers.  The primary pollutant (首要污染物) is every pollutant whose
IAQI equals the AQI, when the AQI is above 50; a pollutant whose IAQI is above 100 exceeds the
grade II limit of GB 3095-2012 (超标污染物).
"""

from __future__ import annotations

import math
import numbers
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from shared.aqi.standard import (
    NOT_COMPUTED,
    POLLUTANTS,
    STAND_IN,
    TOLERANCE,
    AqiInputError,
    Category,
    Pollutant,
    Quantity,
    Segments,
    category_of,
    segments_of,
)


@dataclass(frozen=True)
class AqiResult:
    """An AQI with the sub-indices it was taken from.

    ``iaqi`` holds only the pollutants that were given, keyed and ordered as ``POLLUTANTS``;
    ``primary_pollutants`` lists every pollutant whose IAQI equals the AQI, in that same order,
    and is empty when the AQI is 50 or less (HJ 633-2012: 首要污染物 only above 50).
    """

    aqi: int
    iaqi: dict[str, int]
    primary_pollutants: tuple[str, ...]
    category: Category

    @property
    def exceeding_pollutants(self) -> tuple[str, ...]:
        """超标污染物: the pollutants whose IAQI is above 100, in ``POLLUTANTS`` order."""
        return tuple(p for p, value in self.iaqi.items() if value > 100)


@dataclass(frozen=True)
class Field:
    """A keyword of ``daily_aqi``/``hourly_aqi``: which Table 1 row it is read against, and
    which pollutant it reports (``None`` for a value that only stands in for another)."""

    name: str
    quantity: Quantity
    pollutant: Pollutant | None


DAILY_FIELDS: Final = (
    Field("pm25", "pm25_24h", "PM2.5"),
    Field("pm10", "pm10_24h", "PM10"),
    Field("so2", "so2_24h", "SO2"),
    Field("no2", "no2_24h", "NO2"),
    Field("co", "co_24h", "CO"),
    Field("o3_8h", "o3_8h", "O3"),
    Field("o3_1h", "o3_1h", None),
)
"""The daily report: 24-hour means and the daily maximum 8-hour O3 mean; the daily maximum
1-hour O3 only stands in above 800 µg/m³ (Table 1, notes 1 and 3)."""

HOURLY_FIELDS: Final = (
    Field("pm25", "pm25_24h", "PM2.5"),
    Field("pm10", "pm10_24h", "PM10"),
    Field("so2_1h", "so2_1h", "SO2"),
    Field("no2_1h", "no2_1h", "NO2"),
    Field("co_1h", "co_1h", "CO"),
    Field("o3_1h", "o3_1h", "O3"),
    Field("so2_24h", "so2_24h", None),
)
"""The real-time report: 1-hour SO2, NO2, CO and O3; Table 1 has only 24-hour rows for
particles, so PM values (1-hour or 24-hour moving means, as the caller decides) are read
against those.  The 24-hour SO2 mean only stands in above 800 µg/m³ (note 2)."""


def stand_in_field(fields: tuple[Field, ...], field: Field) -> Field:
    """The field whose IAQI replaces ``field``'s above its row's top (Table 1 notes 2, 3)."""
    wanted = STAND_IN[field.quantity][0]
    return next(f for f in fields if f.quantity == wanted)


def sub_index(segments: Segments, concentration: float) -> int:
    """IAQI_P of one valid concentration (formula 1), rounded up; ``NOT_COMPUTED`` above a row
    that stops short.  ``shared.aqi.vector`` applies the same operations in the same order, so
    the two give identical integers: keep them in step."""
    j = bisect_left(segments.upper, concentration)
    raw = (concentration - segments.c_low[j]) * segments.slope[j] + segments.i_low[j]
    return math.ceil(raw - TOLERANCE)


def checked(name: str, value: object) -> float:
    """``value`` as a float, or AqiInputError naming ``name`` unless finite and non-negative."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise AqiInputError(f"{name}: must be a finite, non-negative concentration, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not (math.isfinite(number) and number >= 0):
        raise AqiInputError(f"{name}: must be a finite, non-negative concentration, got {number!r}")
    return number


def iaqi(quantity: str, concentration: float) -> int:
    """The IAQI of one concentration of one Table 1 row (e.g. ``"pm25_24h"``).

    Above the top breakpoint the IAQI is 500, except for ``so2_1h`` above 800 µg/m³ and
    ``o3_8h`` above 800 µg/m³, which Table 1 (notes 2 and 3) does not index at all: those raise
    AqiInputError (a ValueError); ``daily_aqi``/``hourly_aqi`` apply the stand-in value.
    """
    segments = segments_of(quantity)
    c = checked(segments.quantity, concentration)
    value = sub_index(segments, c)
    if value == NOT_COMPUTED:
        stand_in, note = STAND_IN[segments.quantity]
        raise AqiInputError(
            f"{quantity}: {c!r} is above {segments.top:g}, where HJ 633-2012 {note} computes no "
            f"IAQI from it; the IAQI of {stand_in} is reported instead"
        )
    return value


def aqi_from_iaqi(iaqi_by_pollutant: Mapping[str, int]) -> AqiResult:
    """AQI, primary pollutants and category from sub-indices already known (formula 2)."""
    unknown = set(iaqi_by_pollutant) - set(POLLUTANTS)
    if unknown:
        raise AqiInputError(f"unknown pollutant(s) {sorted(unknown)}: expected {POLLUTANTS}")
    if not iaqi_by_pollutant:
        raise AqiInputError("no IAQI given: the AQI needs at least one pollutant")
    ordered: dict[str, int] = {
        p: int(iaqi_by_pollutant[p]) for p in POLLUTANTS if p in iaqi_by_pollutant
    }
    aqi = max(ordered.values())
    primary = tuple(p for p, value in ordered.items() if value == aqi) if aqi > 50 else ()
    return AqiResult(aqi=aqi, iaqi=ordered, primary_pollutants=primary, category=category_of(aqi))


def _combine(fields: tuple[Field, ...], given: Mapping[str, float | None]) -> AqiResult:
    values = {name: checked(name, value) for name, value in given.items() if value is not None}
    sub: dict[str, int] = {}
    for field in fields:
        if field.pollutant is None or field.name not in values:
            continue
        c = values[field.name]
        segments = segments_of(field.quantity)
        value = sub_index(segments, c)
        if value == NOT_COMPUTED:
            stand_in = stand_in_field(fields, field)
            if stand_in.name not in values:
                note = STAND_IN[field.quantity][1]
                raise AqiInputError(
                    f"{field.name}: {c!r} is above {segments.top:g}, where HJ 633-2012 {note} "
                    f"computes no IAQI from it and reports that of {stand_in.name}: give "
                    f"{stand_in.name}"
                )
            value = sub_index(segments_of(stand_in.quantity), values[stand_in.name])
        sub[field.pollutant] = value
    if not sub:
        main = ", ".join(f.name for f in fields if f.pollutant is not None)
        raise AqiInputError(f"no concentration given: the AQI needs at least one of {main}")
    return aqi_from_iaqi(sub)


def daily_aqi(
    *,
    pm25: float | None = None,
    pm10: float | None = None,
    so2: float | None = None,
    no2: float | None = None,
    co: float | None = None,
    o3_8h: float | None = None,
    o3_1h: float | None = None,
) -> AqiResult:
    """Daily AQI (日报) from 24-hour means of PM2.5, PM10, SO2, NO2 (µg/m³) and CO (mg/m³) and
    the daily maximum 8-hour O3 mean; ``o3_1h`` (daily maximum 1-hour O3) counts only when
    ``o3_8h`` is above 800 µg/m³ (Table 1 note 3).  Pollutants left out are simply absent."""
    return _combine(
        DAILY_FIELDS,
        {
            "pm25": pm25,
            "pm10": pm10,
            "so2": so2,
            "no2": no2,
            "co": co,
            "o3_8h": o3_8h,
            "o3_1h": o3_1h,
        },
    )


def hourly_aqi(
    *,
    pm25: float | None = None,
    pm10: float | None = None,
    so2_1h: float | None = None,
    so2_24h: float | None = None,
    no2_1h: float | None = None,
    co_1h: float | None = None,
    o3_1h: float | None = None,
) -> AqiResult:
    """Hourly AQI (实时报) from 1-hour SO2, NO2, CO, O3 and the PM values as given (read against
    the 24-hour rows, the only ones Table 1 has for particles); ``so2_24h`` counts only when
    ``so2_1h`` is above 800 µg/m³ (Table 1 note 2)."""
    return _combine(
        HOURLY_FIELDS,
        {
            "pm25": pm25,
            "pm10": pm10,
            "so2_1h": so2_1h,
            "so2_24h": so2_24h,
            "no2_1h": no2_1h,
            "co_1h": co_1h,
            "o3_1h": o3_1h,
        },
    )
