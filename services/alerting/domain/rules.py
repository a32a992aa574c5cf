"""The warning levels of the plan (rules §2, plan §3.2.1), applied to one episode.

Every clause needs a forward day in its run that meets the clause's own
condition — its peak condition where it has one (rules §4.1 step 4) — so a
warning is never raised on history alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from shared.levels import rank

Level = Literal["yellow", "orange", "red"]
Clause = Literal["aqi", "pm25", "o3"]
EpisodePollutant = Literal["PM2.5", "O3"]

# Thresholds of rules §1 and §2; every comparison is strict except AQI >= 500.
HEAVY_AQI = 200
SEVERE_AQI = 300
TOP_AQI = 500
HEAVY_PM25 = 115.0
PEAK_PM25 = 150.0
HEAVY_O3 = 215.0
PEAK_O3 = 265.0
SHORT_TERM_HOURLY_AQI = 200


def highest(*levels: Level | None) -> Level | None:
    return max(levels, key=rank, default=None)


@dataclass(frozen=True)
class Day:
    """One area-day as the rules see it."""

    date: dt.date
    aqi: int | None = None
    pm25: float | None = None
    o3_8h: float | None = None
    max_hourly_aqi: int | None = None
    primary: tuple[str, ...] = ()
    forward: bool = False

    @property
    def heavy(self) -> bool:
        """Heavy pollution weather (rules §1, plan §1.3)."""
        return (
            aqi_above(self, HEAVY_AQI) or pm25_above(self, HEAVY_PM25) or o3_above(self, HEAVY_O3)
        )


def aqi_above(day: Day, limit: int) -> bool:
    return day.aqi is not None and day.aqi > limit


def pm25_above(day: Day, limit: float) -> bool:
    return day.pm25 is not None and day.pm25 > limit


def o3_above(day: Day, limit: float) -> bool:
    return day.o3_8h is not None and day.o3_8h > limit


def short_term_heavy(day: Day) -> bool:
    """Rules §2 Decision: a day whose highest hourly AQI is above 200; unknown → not met."""
    return day.max_hourly_aqi is not None and day.max_hourly_aqi > SHORT_TERM_HOURLY_AQI


def runs(days: Sequence[Day], condition: Callable[[Day], bool]) -> list[list[Day]]:
    """Maximal runs of consecutive dates whose days meet ``condition``."""
    found: list[list[Day]] = []
    for day in sorted(days, key=lambda d: d.date):
        if not condition(day):
            continue
        if found and (day.date - found[-1][-1].date).days == 1:
            found[-1].append(day)
        else:
            found.append([day])
    return found


@dataclass(frozen=True)
class Finding:
    """A clause of §2 that holds, and the level it gives."""

    level: Level
    clause: Clause
    rule: str


def _run_clause(
    days: Sequence[Day],
    member: Callable[[Day], bool],
    length: int,
    peak: Callable[[Day], bool],
) -> bool:
    return any(
        len(run) >= length and any(d.forward and peak(d) for d in run) for run in runs(days, member)
    )


def findings(days: Sequence[Day]) -> list[Finding]:
    """Every clause of §2.1 that the days meet (rules §2 and §4.1 step 4)."""

    def aqi_gt(limit: int) -> Callable[[Day], bool]:
        return lambda d: aqi_above(d, limit)

    def pm25_gt(limit: float) -> Callable[[Day], bool]:
        return lambda d: pm25_above(d, limit)

    def o3_gt(limit: float) -> Callable[[Day], bool]:
        return lambda d: o3_above(d, limit)

    checks: list[tuple[Finding, bool]] = [
        (
            Finding("red", "aqi", "≥3 days AQI>200 with a day AQI>300"),
            _run_clause(days, aqi_gt(HEAVY_AQI), 3, aqi_gt(SEVERE_AQI)),
        ),
        (
            Finding("red", "aqi", "a day AQI≥500"),
            any(d.forward and d.aqi is not None and d.aqi >= TOP_AQI for d in days),
        ),
        (
            Finding("orange", "aqi", "≥3 days AQI>200"),
            _run_clause(days, aqi_gt(HEAVY_AQI), 3, aqi_gt(HEAVY_AQI)),
        ),
        (
            Finding("orange", "pm25", "≥3 days PM2.5>115 with a day PM2.5>150"),
            _run_clause(days, pm25_gt(HEAVY_PM25), 3, pm25_gt(PEAK_PM25)),
        ),
        (
            Finding("orange", "o3", "≥3 days O3-8h>215 with a day O3-8h>265"),
            _run_clause(days, o3_gt(HEAVY_O3), 3, o3_gt(PEAK_O3)),
        ),
        (
            Finding("yellow", "aqi", "a day AQI>200"),
            any(d.forward and aqi_above(d, HEAVY_AQI) for d in days),
        ),
        (
            Finding("yellow", "pm25", "≥2 days PM2.5>115 with short-term heavy pollution"),
            _run_clause(days, pm25_gt(HEAVY_PM25), 2, short_term_heavy),
        ),
        (
            Finding("yellow", "o3", "≥2 days O3-8h>215 with short-term heavy pollution"),
            _run_clause(days, o3_gt(HEAVY_O3), 2, short_term_heavy),
        ),
    ]
    return [finding for finding, holds in checks if holds]


def level_of(days: Sequence[Day]) -> Level | None:
    return highest(*(f.level for f in findings(days)))


def episode_pollutant(days: Sequence[Day], level: Level) -> EpisodePollutant:
    """Rules §2 Decision on an episode's primary pollutant, which picks its measures."""
    giving = {f.clause for f in findings(days) if f.level == level}
    if "aqi" in giving:
        candidates = [d for d in days if d.forward and d.aqi is not None]
        top = min(candidates, key=lambda d: (-(d.aqi or 0), d.date))
        return "O3" if set(top.primary) == {"O3"} else "PM2.5"
    return "PM2.5" if "pm25" in giving else "O3"
