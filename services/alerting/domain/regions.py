"""Region series and the bridge from measured values to the rules' days.

Rules §3 Decision: a region without its own forecast takes, per day and pollutant,
the arithmetic mean of its member districts' latest forecasts; rules §4.1 step 8:
only while at least two thirds of the members have a forecast issued in the last
24 hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

from services.alerting.domain.rules import Day
from shared.aqi import daily_aqi
from shared.contracts.payloads import DayValues

FRESH_FOR = dt.timedelta(hours=24)
POLLUTANT_FIELDS = ("pm25", "pm10", "so2", "no2", "co", "o3_8h", "o3_1h", "max_hourly_aqi")


@dataclass(frozen=True)
class MemberForecast:
    area: str
    forecast_id: str
    issued_at: dt.datetime
    days: tuple[DayValues, ...]


def rule_day(values: DayValues) -> Day:
    """A day of the rules, with its AQI and primary pollutants (HJ 633-2012, rules §1)."""
    result = daily_aqi(
        pm25=values.pm25,
        pm10=values.pm10,
        so2=values.so2,
        no2=values.no2,
        co=values.co,
        o3_8h=values.o3_8h,
        o3_1h=values.o3_1h,
    )
    return Day(
        date=values.date,
        aqi=result.aqi,
        pm25=values.pm25,
        o3_8h=values.o3_8h,
        max_hourly_aqi=values.max_hourly_aqi,
        primary=tuple(result.primary_pollutants),
    )


def derived_days(
    members: Sequence[str], latest: Mapping[str, MemberForecast], at: dt.datetime
) -> list[DayValues] | None:
    """The region's derived forecast at ``at``, or None while too few members are fresh."""
    fresh = [
        latest[code]
        for code in members
        if code in latest and at - FRESH_FOR <= latest[code].issued_at <= at
    ]
    if 3 * len(fresh) < 2 * len(members):
        return None
    by_date: dict[dt.date, list[DayValues]] = {}
    for forecast in fresh:
        for day in forecast.days:
            by_date.setdefault(day.date, []).append(day)
    made = []
    for date in sorted(by_date):
        means: dict[str, float | int] = {}
        for name in POLLUTANT_FIELDS:
            given = [getattr(day, name) for day in by_date[date] if getattr(day, name) is not None]
            if given:
                mean = fmean(given)
                means[name] = round(mean) if name == "max_hourly_aqi" else round(mean, 3)
        if any(name != "max_hourly_aqi" for name in means):
            made.append(DayValues(date=date, **means))
    return made
