"""Micro-benchmarks: the AQI (scalar and vectorised) against python-aqi's China (MEP)
algorithm and a bare ``numpy.interp`` on the same inputs, and the warning rules applied to
one area's 7-day forecast."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from bench.timing import best_of
from services.alerting.domain.decision import decide, split_window
from services.alerting.domain.regions import rule_day
from shared.aqi import iaqi, iaqi_array
from shared.aqi.standard import segments_of
from shared.contracts.payloads import DayValues

#: concentrations every benchmark sees: PM2.5 24-h means with one decimal, 0–500 µg/m³
VECTOR_VALUES = 1_000_000
SCALAR_VALUES = 20_000
PYTHON_AQI_VALUES = 5_000


def pm25_inputs(count: int, seed: int = 7) -> np.ndarray[Any, np.dtype[np.float64]]:
    rng = np.random.default_rng(seed)
    return np.round(rng.uniform(0.0, 500.0, count), 1)


def aqi_benchmarks() -> dict[str, Any]:
    """Seconds per value of each way to turn a PM2.5 concentration into its IAQI."""
    import aqi as python_aqi  # python-aqi: a dev dependency, only the benchmark needs it

    values = pm25_inputs(VECTOR_VALUES)
    scalar_inputs = [float(v) for v in values[:SCALAR_VALUES]]
    reference_inputs = [str(v) for v in values[:PYTHON_AQI_VALUES]]
    segments = segments_of("pm25_24h")
    # numpy.interp over the standard's own breakpoints: the floor for a vectorised IAQI
    # (it does the interpolation and nothing else: no rounding up, no validation).
    breakpoints = np.array([0.0, 35, 75, 115, 150, 250, 350, 500])
    indices = np.array([0.0, 50, 100, 150, 200, 300, 400, 500])

    def python_aqi_all() -> None:
        for text in reference_inputs:
            python_aqi.to_iaqi(python_aqi.POLLUTANT_PM25, text, algo=python_aqi.ALGO_MEP)

    def scalar_all() -> None:
        for value in scalar_inputs:
            iaqi("pm25_24h", value)

    per_value = {
        "python_aqi": best_of(python_aqi_all, repeat=3) / PYTHON_AQI_VALUES,
        "scalar": best_of(scalar_all, repeat=5) / SCALAR_VALUES,
        "vector": best_of(lambda: iaqi_array("pm25_24h", values), repeat=9) / VECTOR_VALUES,
        "numpy_interp": best_of(lambda: np.interp(values, breakpoints, indices), repeat=9)
        / VECTOR_VALUES,
    }
    ours = iaqi_array("pm25_24h", values[:PYTHON_AQI_VALUES])
    theirs = [
        int(python_aqi.to_iaqi(python_aqi.POLLUTANT_PM25, t, algo=python_aqi.ALGO_MEP))
        for t in reference_inputs
    ]
    pairs = list(zip(ours.tolist(), theirs, strict=True))
    agree = sum(a == b for a, b in pairs)
    near = sum(abs(a - b) <= 2 for a, b in pairs)
    return {
        "values": {
            "vector": VECTOR_VALUES,
            "scalar": SCALAR_VALUES,
            "python_aqi": PYTHON_AQI_VALUES,
        },
        "seconds_per_value": per_value,
        "vector_speedup_over_python_aqi": per_value["python_aqi"] / per_value["vector"],
        "vector_over_numpy_interp": per_value["vector"] / per_value["numpy_interp"],
        "scalar_speedup_over_python_aqi": per_value["python_aqi"] / per_value["scalar"],
        # python-aqi reads Table 1 with integer breakpoints (36, 76, ...) and truncates the
        # concentration, so between two integers it can differ from HJ 633 by one.
        "agreement_with_python_aqi": agree / PYTHON_AQI_VALUES,
        "within_2_of_python_aqi": near / PYTHON_AQI_VALUES,
        "top_of_row": segments.top,
    }


def seven_day_forecast(today: dt.date, peak: float) -> list[DayValues]:
    shape = (0.8, 1.0, 0.9, 0.6, 0.5, 0.45, 0.4)
    return [
        DayValues(date=today + dt.timedelta(days=i), pm25=round(peak * f, 1), o3_8h=90.0)
        for i, f in enumerate(shape)
    ]


def rule_benchmark() -> dict[str, Any]:
    """Microseconds to decide one area's level from its 7-day forecast (rules §4.1: the
    rules' days with each AQI, the window split and the decision), for a clean, a yellow,
    an orange and a red forecast in turn."""
    issued = dt.datetime(2024, 1, 10, 8, tzinfo=dt.UTC)
    forecasts = [seven_day_forecast(issued.date(), peak) for peak in (60, 160, 190, 400)]
    dates = [{d.date for d in f} for f in forecasts]
    rounds = 500

    def evaluate_all() -> None:
        for days, forward_dates in zip(forecasts, dates, strict=True):
            history, forward = split_window([rule_day(d) for d in days], issued, forward_dates)
            decide(None, history, forward, forecast_id="f")

    per_forecast = best_of(evaluate_all, repeat=5, number=rounds) / len(forecasts)
    levels = []
    for days, forward_dates in zip(forecasts, dates, strict=True):
        history, forward = split_window([rule_day(d) for d in days], issued, forward_dates)
        changes = decide(None, history, forward, forecast_id="f")
        levels.append(changes[0].current.level if changes and changes[0].current else None)
    return {"microseconds_per_area_forecast": per_forecast * 1e6, "levels": levels}
