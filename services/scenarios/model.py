"""How a story becomes replay events: a true daily series per district, observations of
it, and forecasts of it that converge as the day comes closer.

The true value of a district-day is the story's curve scaled by a region factor and a
district factor, times a regional and a local noise term. The regional term is shared
by every member of the region, so neighbours move together (spatial correlation); the
local term is small and persists from one day to the next (AR(1)), as stagnant air does.

A forecast of a day ``lead`` days ahead is the truth pulled towards the district's
climatology and multiplied by a forecast error. Both shrink as the lead shortens:
models damp extremes far out, so an episode's peak shows up lower at first and is
raised forecast by forecast (which is what makes warnings upgrade), and successive
forecasts of the same date differ only slightly.

Forecasts come in cycles, every ``cadence`` days: at 00:00 the observations of the day
before, at the issue time the three regions' forecasts, then the 38 districts'. Each
event costs the embedded pipeline some 20–40 ms to replay, whatever its number of days,
so the cadence, not the horizon, is what keeps a replay of all 38 districts short.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from shared.areas import CHONGQING, Area, members

LOCAL = ZoneInfo("Asia/Shanghai")
# Scenarios are Chongqing's weather: areas a deployment registers beyond it are never in one.
REGIONS = {code: area for code, area in CHONGQING.items() if area.kind == "region"}
DISTRICTS = {code: area for code, area in CHONGQING.items() if area.kind == "district"}
ONE_DAY = dt.timedelta(days=1)

#: Day-to-day variation shared by a region's districts (log scale): the weather.
REGION_NOISE = 0.05
#: A district's own variation (log scale) and how much of it carries to the next day.
LOCAL_NOISE = 0.03
LOCAL_PERSISTENCE = 0.5
#: Forecast skill lost per day of lead: a forecast ``lead`` days out keeps the share
#: ``1 - SKILL_LOSS * lead`` of the day's departure from climatology.
SKILL_LOSS = 0.06
#: Forecast error (log scale) at the longest lead; towards shorter leads it keeps the
#: share ``ERROR_KEEP`` and gains a small step, so each forecast of a date is close to
#: the previous one and the last ones are close to the truth.
FAR_ERROR = 0.06
ERROR_KEEP = 0.7
ERROR_STEP = 0.02
#: Uniform draws per district-day, for the pollutants that accompany the story's one.
UNIFORMS = 6
#: The order of a day's fields in the output, as in docs/replay.md.
FIELD_ORDER = ("pm25", "pm10", "so2", "no2", "co", "o3_8h", "o3_1h", "max_hourly_aqi")

Values = dict[str, float | int]
#: A day's values from the story pollutant's concentration and the district-day's draws.
DayMaker = Callable[[float, Sequence[float]], Values]


@dataclass(frozen=True)
class Story:
    """What a scenario is about; the seed changes only the details."""

    #: The first forecast's issue date; the first observation is of the day before.
    first_issue: dt.date
    cycles: int  # forecast cycles
    cadence: int  # days from one cycle to the next
    horizon: int  # days per forecast, the issue date included
    issue_time: dt.time  # local time of every forecast
    #: The story's pollutant for a district of factor 1, a day per entry from the day
    #: before the first issue on.
    curve: tuple[float, ...]
    climate: float  # the value long-lead forecasts drift towards, for a factor-1 district
    region_factor: Mapping[str, float]
    district_factor: Callable[[Area, random.Random], float]
    day: DayMaker

    def __post_init__(self) -> None:
        needed = 1 + (self.cycles - 1) * self.cadence + self.horizon
        if len(self.curve) < needed:
            raise ValueError(f"the curve needs {needed} days, has {len(self.curve)}")
        if set(self.region_factor) != set(REGIONS):
            raise ValueError("every region needs a factor")

    @property
    def last_issue(self) -> dt.date:
        return self.first_issue + (self.cycles - 1) * self.cadence * ONE_DAY


@dataclass(frozen=True)
class _District:
    area: Area
    factor: float
    truth: tuple[float, ...]  # per day index (0 = the day before the first issue)
    draws: tuple[tuple[float, ...], ...]  # per day index
    errors: tuple[tuple[float, ...], ...]  # forecast error per day index, then per lead


def _error_paths(rng: random.Random, days: int, horizon: int) -> list[list[float]]:
    """Per day, the forecast error at each lead (index = lead), built from the far end."""
    paths = []
    for _ in range(days):
        error = rng.gauss(0.0, FAR_ERROR)
        by_lead = [0.0] * horizon
        for lead in range(horizon - 1, -1, -1):
            by_lead[lead] = error
            error = ERROR_KEEP * error + rng.gauss(0.0, ERROR_STEP)
        paths.append(by_lead)
    return paths


def _districts(story: Story, rng: random.Random) -> list[_District]:
    days = len(story.curve)
    # Draw in a fixed order (regions, then districts in the plan's order) so a seed
    # always gives the same scenario, byte for byte.
    weather = {code: [rng.gauss(0.0, REGION_NOISE) for _ in range(days)] for code in REGIONS}
    regional_error = {code: _error_paths(rng, days, story.horizon) for code in REGIONS}
    made = []
    for area in DISTRICTS.values():
        factor = story.region_factor[area.region] * story.district_factor(area, rng)
        local = 0.0
        truth = []
        for index in range(days):
            local = LOCAL_PERSISTENCE * local + rng.gauss(0.0, LOCAL_NOISE)
            noise = math.exp(weather[area.region][index] + local)
            truth.append(story.curve[index] * factor * noise)
        draws = tuple(tuple(rng.random() for _ in range(UNIFORMS)) for _ in range(days))
        # A forecast's error is mostly the region's (one weather model runs for all of
        # it), plus a smaller share of the district's own.
        own = _error_paths(rng, days, story.horizon)
        shared = regional_error[area.region]
        errors = tuple(
            tuple(0.8 * s + 0.5 * o for s, o in zip(shared[i], own[i], strict=True))
            for i in range(days)
        )
        made.append(_District(area, factor, tuple(truth), draws, errors))
    return made


def _forecast_value(story: Story, district: _District, index: int, lead: int) -> float:
    climate = story.climate * district.factor
    skill = 1.0 - SKILL_LOSS * lead
    damped = climate + (district.truth[index] - climate) * skill
    return max(0.0, damped * math.exp(district.errors[index][lead]))


def _region_days(member_days: Sequence[Sequence[Values]]) -> list[Values]:
    """A region's forecast as the plan's Decision derives one (rules §3): per day and
    pollutant, the mean of the members that give it."""
    made: list[Values] = []
    for same_date in zip(*member_days, strict=True):
        day: Values = {}
        for name in FIELD_ORDER:
            given = [d[name] for d in same_date if name in d]
            if given:
                mean = sum(given) / len(given)
                day[name] = round(mean) if name == "max_hourly_aqi" else round(mean, 1)
        made.append(day)
    return made


def _forecast(
    area: str, issued_at: str, dates: Sequence[str], days: Sequence[Values]
) -> dict[str, Any]:
    return {
        "type": "forecast",
        "area": area,
        "issued_at": issued_at,
        "days": [{"date": date, **day} for date, day in zip(dates, days, strict=True)],
    }


def events(story: Story, seed: int) -> list[dict[str, Any]]:
    """The scenario's events, in time order."""
    districts = _districts(story, random.Random(seed))
    made: list[dict[str, Any]] = []
    for cycle in range(story.cycles):
        start = cycle * story.cadence + 1  # day index of the issue date
        today = story.first_issue + cycle * story.cadence * ONE_DAY
        # Yesterday's observations, known at 00:00 today (docs/replay.md).
        for district in districts:
            values = story.day(district.truth[start - 1], district.draws[start - 1])
            made.append(
                {
                    "type": "observation",
                    "area": district.area.code,
                    "date": (today - ONE_DAY).isoformat(),
                    **values,
                }
            )
        issued_at = dt.datetime.combine(today, story.issue_time, tzinfo=LOCAL).isoformat()
        dates = [(today + lead * ONE_DAY).isoformat() for lead in range(story.horizon)]
        forecasts = {
            district.area.code: [
                story.day(
                    _forecast_value(story, district, start + lead, lead),
                    district.draws[start + lead],
                )
                for lead in range(story.horizon)
            ]
            for district in districts
        }
        # The regions' own forecasts come first. With one published, a region is decided
        # once per cycle, not re-derived after each member's forecast (twice the work,
        # and a warning issued ahead is lifted and re-issued by every one of them, rules
        # §4.1 step 6); and a same-time forecast could not replace a derived one, since a
        # forecast replaces only an older one (step 1).
        for region in REGIONS:
            member_days = [forecasts[area.code] for area in members(region)]
            made.append(_forecast(region, issued_at, dates, _region_days(member_days)))
        for code, days in forecasts.items():
            made.append(_forecast(code, issued_at, dates, days))
    return made
