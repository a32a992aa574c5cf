"""Forecast intake rules: what a forecast must look like before anyone acts on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from services.forecast.domain.units import Unit, to_native
from shared.aqi import daily_aqi
from shared.areas import AREAS
from shared.contracts.payloads import DayValues
from shared.errors import Rejected

LOCAL = ZoneInfo("Asia/Shanghai")
MAX_DAYS_AHEAD = 15
CLOCK_SKEW = dt.timedelta(minutes=5)
#: Concentrations above these are instrument or typing errors, not air (µg/m³; CO mg/m³).
CEILINGS: dict[str, float] = {
    "pm25": 2000.0,
    "pm10": 3000.0,
    "so2": 5000.0,
    "no2": 5000.0,
    "co": 200.0,
    "o3_8h": 2000.0,
    "o3_1h": 3000.0,
}


@dataclass(frozen=True)
class Forecast:
    forecast_id: str
    area: str
    source: str
    kind: str  # "forecast" | "observation"
    issued_at: dt.datetime
    days: tuple[DayValues, ...]

    def same_content(self, other: Forecast) -> bool:
        return (self.area, self.source, self.kind, self.issued_at, self.days) == (
            other.area,
            other.source,
            other.kind,
            other.issued_at,
            other.days,
        )


def check_forecast(
    *, area: str, kind: str, issued_at: dt.datetime, days: tuple[DayValues, ...], now: dt.datetime
) -> None:
    """Raise :class:`Rejected` naming the first field that breaks the intake rules."""
    if area not in AREAS:
        raise Rejected(f"area: unknown area code {area!r}")
    if issued_at.tzinfo is None:
        raise Rejected("issued_at: must carry a timezone offset")
    if issued_at > now + CLOCK_SKEW:
        raise Rejected(f"issued_at: {issued_at.isoformat()} is in the future")
    if not days:
        raise Rejected("days: at least one day is required")
    issue_date = issued_at.astimezone(LOCAL).date()
    for index, day in enumerate(days):
        if index and day.date <= days[index - 1].date:
            raise Rejected(f"days[{index}].date: {day.date} is duplicated or out of order")
        if kind == "forecast" and (day.date - issue_date).days > MAX_DAYS_AHEAD:
            raise Rejected(f"days[{index}].date: {day.date} is more than {MAX_DAYS_AHEAD} days out")
        if all(getattr(day, name) is None for name in CEILINGS):
            raise Rejected(f"days[{index}]: no pollutant concentration given")
        for name, ceiling in CEILINGS.items():
            value = getattr(day, name)
            if value is not None and value > ceiling:
                raise Rejected(f"days[{index}].{name}: {value} is above the plausible {ceiling}")


def with_units(day: DayValues, units: Mapping[str, Unit]) -> DayValues:
    """``day`` with every value given in another unit converted to the plan's units."""
    changed = {
        field: to_native(field, getattr(day, field), unit)
        for field, unit in units.items()
        if getattr(day, field) is not None
    }
    return day.model_copy(update=changed) if changed else day


def with_aqi(day: DayValues) -> DayValues:
    """``day`` with its IAQIs, AQI, category and primary pollutants (HJ 633-2012)."""
    result = daily_aqi(
        pm25=day.pm25,
        pm10=day.pm10,
        so2=day.so2,
        no2=day.no2,
        co=day.co,
        o3_8h=day.o3_8h,
        o3_1h=day.o3_1h,
    )
    return day.model_copy(
        update={
            "aqi": result.aqi,
            "iaqi": dict(result.iaqi),
            "category": result.category.number,
            "primary_pollutants": list(result.primary_pollutants),
        }
    )
