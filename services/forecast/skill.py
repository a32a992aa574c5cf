"""Skill of the baseline forecast against plain persistence, on synthetic data.

There is no real observation archive in this repository, so ``synthetic_series`` makes a
seeded, Chongqing-like daily series per area (winter PM2.5, summer O3, day-to-day
persistence, multi-day episodes, a few gaps).  The last year is held out: for each of its
days a forecast is issued from the days before it, by the baseline and by persistence
(every lead gets the latest observed value), and verified against the observations.

    python -m services.forecast.skill [--seed N] [--years N] [--markdown]
                                      [--persistence RHO] [--trend-damping PHI]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt

from services.forecast.domain.baseline import (
    DEFAULT_PARAMS,
    POLLUTANTS,
    BaselineParams,
    baseline_forecast,
)
from shared.aqi import daily_aqi_array
from shared.contracts.payloads import DayValues

DEFAULT_SEED: Final = 2022
REPORTED_LEADS: Final = (1, 3, 7)
METHODS: Final = ("baseline", "persistence")

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SyntheticArea:
    code: str
    pm_scale: float  # multiplies the PM2.5 (and PM10, NO2, SO2) seasonal normal
    o3_scale: float


SYNTHETIC_AREAS: Final = (
    SyntheticArea("500103", 1.0, 1.0),  # Yuzhong, main metro
    SyntheticArea("500101", 0.85, 0.9),  # Wanzhou, Three Gorges
    SyntheticArea("500114", 0.7, 0.85),  # Qianjiang, Wuling: cleaner
)


def _episodes(rng: np.random.Generator, start_chance: Floats, low: float, high: float) -> Floats:
    """A log-scale boost: episodes that build up over two days, hold, and clear at once
    (a cold front or rain ends them), starting with the given daily chance."""
    boost = np.zeros(start_chance.size)
    t = 0
    while t < start_chance.size:
        if rng.random() < start_chance[t]:
            length = int(rng.integers(3, 7))
            amplitude = rng.uniform(low, high)
            for k in range(min(length, start_chance.size - t)):
                boost[t + k] = amplitude * min(1.0, (k + 1) / 2)
            t += length
        else:
            t += 1
    return boost


def _ar1(rng: np.random.Generator, n: int, rho: float, sd: float) -> Floats:
    """A stationary AR(1) series with lag-1 correlation ``rho`` and standard deviation ``sd``."""
    shocks = rng.normal(0.0, sd * math.sqrt(1 - rho * rho), n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, sd)
    for t in range(1, n):
        out[t] = rho * out[t - 1] + shocks[t]
    return out


def synthetic_series(
    seed: int = DEFAULT_SEED,
    *,
    years: int = 5,
    last_year: int = 2023,
    areas: Sequence[SyntheticArea] = SYNTHETIC_AREAS,
) -> dict[str, list[DayValues]]:
    """``years`` calendar years of daily observations per area, ending 31 December of
    ``last_year``.  Same seed, same series."""
    rng = np.random.default_rng(seed)
    first = dt.date(last_year - years + 1, 1, 1)
    dates = [
        first + dt.timedelta(days=k) for k in range((dt.date(last_year, 12, 31) - first).days + 1)
    ]
    n = len(dates)
    phase = np.array([2 * math.pi * (d.timetuple().tm_yday - 15) / 365.25 for d in dates])
    winter = 0.5 * (1 + np.cos(phase))  # 1 in mid-January, 0 in mid-July
    summer = 1 - winter
    series: dict[str, list[DayValues]] = {}
    for area in areas:
        pm_anomaly = _ar1(rng, n, 0.75, 0.30) + _episodes(rng, 0.01 + 0.05 * winter, 0.3, 0.7)
        pm25 = area.pm_scale * (32 + 68 * winter) * np.exp(pm_anomaly)
        o3_anomaly = _ar1(rng, n, 0.7, 0.15) + _episodes(rng, 0.04 * summer**2, 0.1, 0.25)
        o3_8h = area.o3_scale * (55 + 115 * summer) * np.exp(o3_anomaly)
        # The other pollutants follow the particles' stagnation with their own noise.
        pm10 = pm25 * np.clip(rng.normal(1.45, 0.1, n), 1.1, 2.0)
        no2 = area.pm_scale * (30 + 20 * winter) * np.exp(0.4 * pm_anomaly + rng.normal(0, 0.1, n))
        so2 = area.pm_scale * (9 + 6 * winter) * np.exp(0.3 * pm_anomaly + rng.normal(0, 0.15, n))
        co = (0.7 + 0.5 * winter) * np.exp(0.4 * pm_anomaly + rng.normal(0, 0.1, n))
        day_missing = rng.random(n) < 0.015  # station outage
        gas_missing = rng.random(n) < 0.02  # one analyser down
        o3_missing = rng.random(n) < 0.01
        days = []
        for t, date in enumerate(dates):
            if day_missing[t]:
                continue
            days.append(
                DayValues(
                    date=date,
                    pm25=round(float(pm25[t]), 1),
                    pm10=round(float(pm10[t]), 1),
                    so2=None if gas_missing[t] else round(float(so2[t]), 1),
                    no2=round(float(no2[t]), 1),
                    co=None if gas_missing[t] else round(float(co[t]), 2),
                    o3_8h=None if o3_missing[t] else round(float(o3_8h[t]), 1),
                )
            )
        series[area.code] = days
    return series


def persistence_forecast(
    history: Sequence[DayValues], issue_date: dt.date, horizon: int
) -> list[DayValues]:
    """Tomorrow = today, for every lead: each pollutant's latest value before ``issue_date``."""
    latest: dict[str, float] = {}
    past = sorted((d for d in history if d.date < issue_date), key=lambda d: d.date)
    for day in reversed(past):
        for p in POLLUTANTS:
            if p not in latest and (value := getattr(day, p)) is not None:
                latest[p] = value
        if len(latest) == len(POLLUTANTS):
            break
    return [
        DayValues.model_validate({"date": issue_date + dt.timedelta(days=k), **latest})
        for k in range(horizon)
    ]


@dataclass(frozen=True, slots=True)
class Scores:
    """Verification of one method at one lead (or all leads pooled)."""

    pairs: int  # forecast days with an observation to verify against
    mae_pm25: float
    mae_o3_8h: float
    observed_events: int  # heavy pollution days observed
    forecast_events: int  # heavy pollution days forecast
    hits: int
    pod: float  # hits / observed events (NaN if none were observed)
    far: float  # false alarms / forecast events (NaN if none were forecast)


def _columns(days: Sequence[DayValues]) -> dict[str, Floats]:
    return {
        p: np.array([np.nan if (v := getattr(d, p)) is None else v for d in days], dtype=np.float64)
        for p in POLLUTANTS
    }


def heavy(columns: Mapping[str, Floats]) -> npt.NDArray[np.bool_]:
    """Heavy pollution days (rules §1): AQI > 200, or PM2.5 > 115, or O3-8h > 215."""
    aqi, _ = daily_aqi_array(columns)
    with np.errstate(invalid="ignore"):  # NaN compares False: an absent value is no event
        return (aqi > 200) | (columns["pm25"] > 115) | (columns["o3_8h"] > 215)


def _scores(forecasts: Sequence[DayValues], observations: Sequence[DayValues]) -> Scores:
    fc, ob = _columns(forecasts), _columns(observations)
    errors = {p: np.abs(fc[p] - ob[p]) for p in ("pm25", "o3_8h")}
    # Days where either side lacks the pollutant are left out of its MAE.
    mae = {
        p: float(e[~np.isnan(e)].mean()) if (~np.isnan(e)).any() else math.nan
        for p, e in errors.items()
    }
    fc_heavy, ob_heavy = heavy(fc), heavy(ob)
    hits = int((fc_heavy & ob_heavy).sum())
    observed, forecast = int(ob_heavy.sum()), int(fc_heavy.sum())
    return Scores(
        pairs=len(observations),
        mae_pm25=mae["pm25"],
        mae_o3_8h=mae["o3_8h"],
        observed_events=observed,
        forecast_events=forecast,
        hits=hits,
        pod=hits / observed if observed else math.nan,
        far=(forecast - hits) / forecast if forecast else math.nan,
    )


SkillTable = dict[tuple[str, int | None], Scores]
"""Keyed by (method, lead); lead None = all leads pooled."""


def evaluate(
    series: Mapping[str, Sequence[DayValues]],
    *,
    holdout_from: dt.date,
    params: BaselineParams = DEFAULT_PARAMS,
) -> SkillTable:
    """Issue both forecasts on every day from ``holdout_from`` to the end of each area's
    series, from the days before it only, and verify every forecast day that was observed."""
    pairs: dict[tuple[str, int], tuple[list[DayValues], list[DayValues]]] = {
        (method, lead): ([], []) for method in METHODS for lead in range(1, params.horizon + 1)
    }
    for days in series.values():
        ordered = sorted(days, key=lambda d: d.date)
        observed = {d.date: d for d in ordered}
        issue = holdout_from
        cut = 0
        while issue <= ordered[-1].date:
            while cut < len(ordered) and ordered[cut].date < issue:
                cut += 1
            history = ordered[:cut]
            for method, forecast in (
                ("baseline", baseline_forecast(history, issue, params)),
                ("persistence", persistence_forecast(history, issue, params.horizon)),
            ):
                for lead, day in enumerate(forecast, start=1):
                    if day.date in observed:
                        pairs[method, lead][0].append(day)
                        pairs[method, lead][1].append(observed[day.date])
            issue += dt.timedelta(days=1)
    table: SkillTable = {key: _scores(*pair) for key, pair in pairs.items()}
    for method in METHODS:
        pooled = [pairs[method, lead] for lead in range(1, params.horizon + 1)]
        table[method, None] = _scores(
            [d for fc, _ in pooled for d in fc], [d for _, ob in pooled for d in ob]
        )
    return table


def _number(value: float, digits: int) -> str:
    return "–" if math.isnan(value) else f"{value:.{digits}f}"


def format_table(
    table: SkillTable, *, leads: Sequence[int] = REPORTED_LEADS, markdown: bool = True
) -> str:
    """The skill table, one row per lead and method, as markdown or as aligned text."""
    header = [
        "lead (days)",
        "method",
        "MAE PM2.5",
        "MAE O3-8h",
        "POD",
        "FAR",
        "hits/obs/fcst",
        "pairs",
    ]
    rows = []
    for lead in (*leads, None):
        for method in METHODS:
            s = table[method, lead]
            rows.append(
                [
                    "all" if lead is None else str(lead),
                    method,
                    _number(s.mae_pm25, 1),
                    _number(s.mae_o3_8h, 1),
                    _number(s.pod, 2),
                    _number(s.far, 2),
                    f"{s.hits}/{s.observed_events}/{s.forecast_events}",
                    str(s.pairs),
                ]
            )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    if markdown:
        line = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        return "\n".join(line + ["| " + " | ".join(r) + " |" for r in rows])
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m services.forecast.skill",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="synthetic data seed")
    parser.add_argument("--years", type=int, default=5, help="years of data; the last is held out")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument(
        "--persistence", type=float, default=DEFAULT_PARAMS.persistence, help="baseline ρ"
    )
    parser.add_argument(
        "--trend-damping", type=float, default=DEFAULT_PARAMS.trend_damping, help="baseline φ"
    )
    args = parser.parse_args(argv)
    if args.years < 2:
        parser.error("--years must be at least 2: one to learn from, one held out")
    params = replace(DEFAULT_PARAMS, persistence=args.persistence, trend_damping=args.trend_damping)
    series = synthetic_series(args.seed, years=args.years)
    last_year = max(d.date.year for days in series.values() for d in days)
    table = evaluate(series, holdout_from=dt.date(last_year, 1, 1), params=params)
    print(
        f"Synthetic data, seed {args.seed}: {len(series)} areas, {args.years} years, "
        f"{last_year} held out; baseline ρ = {params.persistence}, φ = {params.trend_damping}; "
        "heavy day = AQI > 200 or PM2.5 > 115 or O3-8h > 215.\n"
    )
    print(format_table(table, markdown=args.markdown))


if __name__ == "__main__":
    main()
