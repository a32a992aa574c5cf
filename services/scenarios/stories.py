"""The three stories: when they happen, how bad they get where, and which pollutants
accompany the one each story is about.

Curves give the story's pollutant for a district of factor 1 (a central main-metro
district), from the day before the first forecast on. The thresholds they are drawn
against (rules §1–§2, HJ 633-2012): PM2.5 above 115 µg/m³ is heavy, above 150 is AQI
above 200, above 250 is AQI above 300; O3-8h above 215 is heavy, above 265 is AQI
above 200.

Forecast cycles come every second day, not daily: a replay costs some 20–40 ms per event
and more per warning action (the response's tasks), so daily cycles for 38 districts
would take about a minute to replay; every second day keeps the episode's every turn
(issue, upgrade, merge over the relief, downgrade, lift) at half the cost.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from services.scenarios.model import Story, Values
from shared.aqi import hourly_aqi
from shared.areas import Area

#: The nine central urban districts (中心城区): the densest traffic, on the basin floor
#: between the rivers, where winter haze is worst.
CENTRAL = frozenset(
    {"500103", "500104", "500105", "500106", "500107", "500108", "500109", "500112", "500113"}
)
#: Every forecast is issued at 10:00 local, as a daily consultation would publish it.
MORNING = dt.time(10, 0)


@dataclass(frozen=True)
class Spread:
    """A district's factor, drawn uniformly from the range of its kind."""

    central: tuple[float, float]
    metro: tuple[float, float]  # the rest of main-metro
    elsewhere: tuple[float, float]  # three-gorges and wuling (their region factor does the rest)

    def __call__(self, area: Area, rng: random.Random) -> float:
        if area.code in CENTRAL:
            low, high = self.central
        elif area.region == "main-metro":
            low, high = self.metro
        else:
            low, high = self.elsewhere
        return rng.uniform(low, high)


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def winter_day(pm25: float, u: Sequence[float]) -> Values:
    """A winter day around its PM2.5: the same stagnant air that traps PM2.5 holds the
    primary gases too (NO2 40–80 µg/m³, SO2 8–20, CO 0.8–2 mg/m³), while haze and short
    days keep O3-8h low (60 down to 30). PM10 is 1.3–1.6 times PM2.5."""
    stagnation = _clamp((pm25 - 35.0) / 215.0)

    def rising(k: int) -> float:
        return _clamp(stagnation * (0.75 + 0.5 * u[k]))

    pm10 = pm25 * (1.3 + 0.3 * u[0])
    day: Values = {
        "pm25": round(pm25),
        "pm10": round(pm10),
        "so2": round(8.0 + 12.0 * rising(2)),
        "no2": round(40.0 + 40.0 * rising(1)),
        "co": round(0.8 + 1.2 * rising(3), 1),
        "o3_8h": round(60.0 - 30.0 * rising(4)),
    }
    if pm25 > 75.0:
        # The office adds the day's highest hourly AQI only on polluted days; the
        # evening peak of PM2.5 runs 20–45 % above the 24-h mean.
        day["max_hourly_aqi"] = hourly_aqi(pm25=round(pm25 * (1.2 + 0.25 * u[5]))).aqi
    return day


def summer_day(o3_8h: float, u: Sequence[float]) -> Values:
    """A summer day around its O3-8h: PM2.5 stays low (about 18–40), gases are modest,
    and the afternoon hourly O3 peak runs 25–45 % above the 8-h mean, which is what
    drives the day's highest hourly AQI."""
    photochemistry = _clamp((o3_8h - 100.0) / 200.0)
    pm25 = 18.0 + 14.0 * u[0] + 8.0 * photochemistry  # some secondary aerosol with the O3
    o3_1h = o3_8h * (1.25 + 0.2 * u[5])
    day: Values = {
        "pm25": round(pm25),
        "pm10": round(pm25 * (1.6 + 0.4 * u[1])),
        "so2": round(5.0 + 5.0 * u[2]),
        "no2": round(18.0 + 17.0 * u[3]),
        "co": round(0.5 + 0.3 * u[4], 1),
        "o3_8h": round(o3_8h),
        "o3_1h": round(o3_1h),
    }
    if o3_8h > 160.0:
        day["max_hourly_aqi"] = hourly_aqi(pm25=round(pm25), o3_1h=round(o3_1h)).aqi
    return day


def autumn_day(pm25: float, u: Sequence[float]) -> Values:
    """A clean autumn day: moderate particles, light traffic gases, O3-8h 70–130."""
    return {
        "pm25": round(pm25),
        "pm10": round(pm25 * (1.4 + 0.4 * u[0])),
        "so2": round(6.0 + 6.0 * u[1]),
        "no2": round(25.0 + 20.0 * u[2]),
        "co": round(0.5 + 0.4 * u[3], 1),
        "o3_8h": round(70.0 + 60.0 * u[4]),
    }


# The curves, a day per entry from the day before the first forecast on.
# fmt: off
WINTER_PM25 = (
    55,                                 # 01-06, observed before the first forecast
    70, 88,                             # 01-07..01-08: build-up
    160, 240, 290, 235,                 # 01-09..01-12: first peak
    85,                                 # 01-13: one day of relief
    190, 245, 200,                      # 01-14..01-16: second peak
    80, 55, 45, 40, 42, 48, 52,         # 01-17..01-23: cleared
)
SUMMER_O3_8H = (
    145,                                # 07-07
    155, 165, 180, 205,                 # 07-08..07-11: climbing
    240, 275, 300, 290, 250,            # 07-12..07-16: above 215, peak 07-13..07-15
    200, 170, 160, 150,                 # 07-17..07-20: a rainy front ends it
    145, 140, 150, 155, 150,            # 07-21..07-25
)
AUTUMN_PM25 = (38, 42, 48, 52, 45, 36, 30, 34, 40, 44, 41, 38, 35, 33)  # 10-15..10-28
# fmt: on

#: January 2023. Build-up from 01-07, heavy from 01-09 with a first peak on 01-11 (AQI
#: above 300 in the centre), one day of relief on 01-13 as a weak front passes, a lower
#: second peak on 01-15, cleared from 01-17. Forecasts every second day from 01-07 (two
#: days ahead of the episode, so in time, rules §4) to 01-17, the one that lifts; the
#: 01-13 one is issued on the relief day itself.
WINTER = Story(
    first_issue=dt.date(2023, 1, 7),
    cycles=6,
    cadence=2,
    horizon=7,
    issue_time=MORNING,
    curve=WINTER_PM25,
    climate=70.0,
    region_factor={"main-metro": 1.0, "three-gorges": 0.72, "wuling": 0.45},
    district_factor=Spread(central=(1.0, 1.1), metro=(0.82, 0.95), elsewhere=(0.9, 1.1)),
    day=winter_day,
)

#: July 2023. A hot, still spell: O3-8h above 215 in the centre 07-12..07-16 and above
#: 265 on 07-13..07-15, then a rainy front ends it. Forecasts every second day,
#: 07-08 to 07-18.
SUMMER = Story(
    first_issue=dt.date(2023, 7, 8),
    cycles=6,
    cadence=2,
    horizon=7,
    issue_time=MORNING,
    curve=SUMMER_O3_8H,
    climate=160.0,
    region_factor={"main-metro": 1.0, "three-gorges": 0.8, "wuling": 0.7},
    district_factor=Spread(central=(0.97, 1.05), metro=(0.88, 0.98), elsewhere=(0.9, 1.05)),
    day=summer_day,
)

#: October 2023: a breezy week after rain, 10-15 to 10-22; nothing comes near a warning.
QUIET = Story(
    first_issue=dt.date(2023, 10, 16),
    cycles=4,
    cadence=2,
    horizon=7,
    issue_time=MORNING,
    curve=AUTUMN_PM25,
    climate=40.0,
    region_factor={"main-metro": 1.0, "three-gorges": 0.85, "wuling": 0.75},
    district_factor=Spread(central=(1.0, 1.1), metro=(0.85, 1.0), elsewhere=(0.9, 1.1)),
    day=autumn_day,
)

STORIES: dict[str, Story] = {"winter-pm25": WINTER, "summer-o3": SUMMER, "quiet-week": QUIET}
