"""A transparent statistical baseline forecast for an area that nobody sends a forecast for.

For each pollutant p of ``POLLUTANTS`` and each forecast day t, with h the number of days
from the pollutant's latest observation before the issue date to t:

    forecast = w(h)·persistence + (1 − w(h))·climatology(t) + φ^h·slope,   w(h) = ρ^h

clamped at 0 and rounded (0.1 µg/m³; CO 0.01 mg/m³), where

- persistence: the latest observed value of p before the issue date;
- climatology(t): the area's own mean of p near t's day of the year (``climatology.py``:
  ±``window_days`` over all past years, else the area's overall mean, else a city default);
- slope: the least-squares slope (per day) of p over the last ``trend_days`` days before
  the issue date, 0 if fewer than two of them have p;
- ρ (``persistence``) and φ (``trend_damping``) are fixed parameters, not fitted.

This is the best forecast of a day-to-day AR(1) departure from the seasonal normal (the
departure shrinks by ρ a day), plus a short, fast-fading nudge in the direction the last
days were moving.  Through h a gap in the history simply means more weight on climatology
and less on a stale last value and its trend.

Days: the forecast covers the issue date and the six days after it (7 days for the default
``horizon``).  Only days strictly before the issue date are used, because the issue date's
own 24-h mean is not complete when the forecast is made; so on a history without gaps the
issue date is lead 1.  The days are never earlier than the issue date, as a ``kind =
"forecast"`` message requires.

Not forecast: ``o3_1h`` and ``max_hourly_aqi`` stay None; without an hourly value the plan's
short-term heavy pollution clause (rules §2, yellow) is not met by this forecast.  ``aqi``
and friends are left to intake (``model.with_aqi``).  A pollutant the area has never
reported stays None too: the baseline does not invent a pollutant the area does not measure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np

from services.forecast.domain.climatology import (
    Floats,
    Ints,
    Source,
    climatology,
    days_of_year,
)
from shared.contracts.payloads import DayValues

POLLUTANTS: Final = ("pm25", "pm10", "so2", "no2", "co", "o3_8h")
DECIMALS: Final = {"pm25": 1, "pm10": 1, "so2": 1, "no2": 1, "co": 2, "o3_8h": 1}


@dataclass(frozen=True, slots=True)
class BaselineParams:
    """Every number the baseline uses; the defaults are set by hand, nothing is fitted."""

    horizon: int = 7
    """Forecast days: the issue date and the ``horizon - 1`` days after it."""
    persistence: float = 0.75
    """ρ: w(h) = ρ^h.  Of the order of the lag-1 autocorrelation of daily PM2.5 and O3-8h
    departures from their seasonal normal."""
    trend_days: int = 3
    """The slope is taken over the observations of this many days before the issue date."""
    trend_damping: float = 0.5
    """φ: the slope adds φ^h·slope at lead h; a trend in air quality rarely outlives a day
    or two, because episodes end when the weather changes, so it fades fast."""
    window_days: int = 15
    """Climatology: days of the year within ± this of the target's."""
    min_window_samples: int = 10
    """Fewer observations in the window: use the overall mean instead."""
    min_overall_samples: int = 30
    """Fewer observations at all: use the city default instead."""

    def __post_init__(self) -> None:
        if not 1 <= self.horizon <= 15:
            raise ValueError(f"horizon must be 1..15 days, got {self.horizon}")
        for name in ("persistence", "trend_damping"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")
        if self.trend_days < 2:
            raise ValueError(f"trend_days must be at least 2, got {self.trend_days}")
        if not 0 <= self.window_days <= 182:
            raise ValueError(f"window_days must be 0..182, got {self.window_days}")
        if self.min_window_samples < 1 or self.min_overall_samples < 1:
            raise ValueError("min_window_samples and min_overall_samples must be at least 1")


DEFAULT_PARAMS: Final = BaselineParams()


@dataclass(frozen=True, slots=True)
class Term:
    """How one forecast value was made, so that it can be checked by hand."""

    pollutant: str
    date: dt.date
    lead: int  # h: days from the latest observation of the pollutant to ``date``
    persistence: float
    weight: float  # w(h)
    climatology: float
    climatology_source: Source
    slope: float  # per day
    trend: float  # φ^h·slope
    value: float  # clamped and rounded


@dataclass(frozen=True, slots=True)
class _History:
    ordinals: Ints
    doys: Ints
    values: Floats  # one row per day, one column per pollutant; NaN = not observed


def _history(history: Iterable[DayValues], issue_date: dt.date) -> _History:
    by_date: dict[dt.date, DayValues] = {}
    for day in history:
        if day.date < issue_date:
            by_date[day.date] = day  # a later entry for the same date replaces an earlier one
    dates = sorted(by_date)
    rows = [
        [np.nan if (v := getattr(by_date[d], p)) is None else float(v) for p in POLLUTANTS]
        for d in dates
    ]
    values = np.array(rows, dtype=np.float64).reshape(len(dates), len(POLLUTANTS))
    if not (~np.isnan(values)).any():
        raise ValueError(
            f"no observations before the issue date {issue_date.isoformat()}: "
            "the baseline needs at least one observed concentration"
        )
    return _History(
        ordinals=np.array([d.toordinal() for d in dates], dtype=np.int64),
        doys=days_of_year(dates),
        values=values,
    )


def _slope(ordinals: Ints, values: Floats) -> float:
    """Least-squares slope per day; 0 for fewer than two points."""
    if values.size < 2:
        return 0.0
    x = (ordinals - ordinals.mean()).astype(np.float64)
    return float((x * (values - values.mean())).sum() / (x * x).sum())


def explain(
    history: Iterable[DayValues], issue_date: dt.date, params: BaselineParams = DEFAULT_PARAMS
) -> list[list[Term]]:
    """The terms of the forecast issued on ``issue_date``: one list per forecast day, one
    ``Term`` per pollutant the area has observed.  ValueError if nothing was observed."""
    past = _history(history, issue_date)
    start = issue_date.toordinal()
    dates = [issue_date + dt.timedelta(days=k) for k in range(params.horizon)]
    normals = [
        climatology(
            past.doys,
            past.values,
            POLLUTANTS,
            date,
            window_days=params.window_days,
            min_window_samples=params.min_window_samples,
            min_overall_samples=params.min_overall_samples,
        )
        for date in dates
    ]
    terms: list[list[Term]] = [[] for _ in dates]
    for j, pollutant in enumerate(POLLUTANTS):
        present = ~np.isnan(past.values[:, j])
        if not present.any():
            continue
        ordinals, values = past.ordinals[present], past.values[present, j]
        last_ordinal, last_value = int(ordinals[-1]), float(values[-1])
        recent = ordinals >= start - params.trend_days
        slope = _slope(ordinals[recent], values[recent])
        for k, date in enumerate(dates):
            lead = start + k - last_ordinal
            weight = params.persistence**lead
            normal = normals[k][j]
            trend = params.trend_damping**lead * slope
            raw = weight * last_value + (1.0 - weight) * normal.value + trend
            value = round(max(0.0, raw), DECIMALS[pollutant])
            terms[k].append(
                Term(
                    pollutant=pollutant,
                    date=date,
                    lead=lead,
                    persistence=last_value,
                    weight=weight,
                    climatology=normal.value,
                    climatology_source=normal.source,
                    slope=slope,
                    trend=trend,
                    value=value,
                )
            )
    return terms


def baseline_forecast(
    history: Iterable[DayValues], issue_date: dt.date, params: BaselineParams = DEFAULT_PARAMS
) -> list[DayValues]:
    """The baseline forecast issued on ``issue_date`` from an area's daily observations:
    ``params.horizon`` days from ``issue_date`` on.  Days of ``history`` on or after the issue
    date are ignored; gaps and missing pollutants are allowed.  ValueError if no pollutant
    was observed before the issue date."""
    return [
        DayValues.model_validate(
            {"date": day[0].date, **{term.pollutant: term.value for term in day}}
        )
        for day in explain(history, issue_date, params)
    ]
