"""An area's seasonal climatology: the mean of its own past days near a day of the year.

The baseline forecast (``baseline.py``) relaxes towards this value as the lead grows, so it
must be something anyone can recompute by hand from the area's history:

1. ``window``: the mean of every observation of the pollutant whose day of the year lies
   within ``window_days`` of the target's (over all years of history, wrapping around New
   Year), if there are at least ``min_window_samples`` of them;
2. ``overall``: else the mean of all the area's observations of that pollutant, if there are
   at least ``min_overall_samples``;
3. ``city-default``: else the hand-set monthly value of ``CITY_DEFAULT`` for the target's
   month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Source = Literal["window", "overall", "city-default"]

DAYS_IN_YEAR: Final = 365

CITY_DEFAULT: Final[dict[str, tuple[float, ...]]] = {
    # Jan ... Dec.  Hand-set placeholders of the order of Chongqing's monthly means in recent
    # years (winter particles, summer ozone), NOT an official statistic: they are only used
    # for an area with less than ``min_overall_samples`` days of a pollutant, and should be
    # replaced by the city office's own monthly climatology when it is available.
    "pm25": (75, 60, 48, 40, 33, 27, 26, 27, 30, 40, 52, 68),
    "pm10": (110, 90, 75, 65, 55, 45, 42, 44, 48, 62, 80, 100),
    "so2": (10, 9, 8, 8, 7, 7, 7, 7, 7, 8, 9, 10),
    "no2": (45, 38, 38, 35, 30, 28, 27, 28, 33, 40, 45, 48),
    "co": (1.0, 0.9, 0.8, 0.7, 0.7, 0.6, 0.6, 0.6, 0.7, 0.8, 0.9, 1.0),  # mg/m³
    "o3_8h": (50, 65, 90, 115, 135, 140, 150, 150, 115, 85, 60, 45),
}


def day_of_year(date: dt.date) -> int:
    """1..365 in a 365-day calendar: 29 February counts as 28 February, so that 1 March is
    day 60 in every year and the seasons of leap and common years line up."""
    number = date.timetuple().tm_yday
    leap = date.year % 4 == 0 and (date.year % 100 != 0 or date.year % 400 == 0)
    return number - 1 if leap and number > 59 else number


def days_of_year(dates: Sequence[dt.date]) -> Ints:
    """``day_of_year`` of each of ``dates``, at numpy speed (a forecast reads years of days)."""
    days = np.array(dates, dtype="datetime64[D]")
    years = days.astype("datetime64[Y]")
    number: Ints = (days - years).astype(np.int64) + 1
    year = years.astype(np.int64) + 1970
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    shifted: Ints = number - (leap & (number > 59))
    return shifted


def doy_distance(days: Ints, target: int) -> Ints:
    """Days between each of ``days`` and ``target`` around the 365-day circle."""
    apart: Ints = np.abs(days - target) % DAYS_IN_YEAR
    closer: Ints = np.minimum(apart, DAYS_IN_YEAR - apart)
    return closer


@dataclass(frozen=True, slots=True)
class Normal:
    """One climatological value and where it came from."""

    value: float
    source: Source
    samples: int  # observations averaged (0 for the city default)


def climatology(
    doys: Ints,
    values: Floats,
    pollutants: Sequence[str],
    target: dt.date,
    *,
    window_days: int,
    min_window_samples: int,
    min_overall_samples: int,
) -> list[Normal]:
    """The normal of each of ``pollutants`` (the columns of ``values``, NaN = not observed)
    on ``target``, from history days whose 365-day day of the year is ``doys``."""
    observed = ~np.isnan(values)
    filled = np.where(observed, values, 0.0)
    near = doy_distance(doys, day_of_year(target)) <= window_days
    window_count = observed[near].sum(axis=0)
    window_sum = filled[near].sum(axis=0)
    overall_count = observed.sum(axis=0)
    overall_sum = filled.sum(axis=0)
    normals = []
    for j, pollutant in enumerate(pollutants):
        if window_count[j] >= min_window_samples:
            count = int(window_count[j])
            normals.append(Normal(float(window_sum[j]) / count, "window", count))
        elif overall_count[j] >= min_overall_samples:
            count = int(overall_count[j])
            normals.append(Normal(float(overall_sum[j]) / count, "overall", count))
        else:
            normals.append(
                Normal(float(CITY_DEFAULT[pollutant][target.month - 1]), "city-default", 0)
            )
    return normals
