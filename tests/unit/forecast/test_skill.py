"""The skill evaluation: synthetic data, persistence, verification and the measured table."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from services.forecast.skill import (
    DEFAULT_SEED,
    METHODS,
    SYNTHETIC_AREAS,
    SkillTable,
    evaluate,
    format_table,
    heavy,
    main,
    persistence_forecast,
    synthetic_series,
)
from shared.contracts.payloads import DayValues


@pytest.fixture(scope="module")
def small() -> SkillTable:
    """One area, two years, the last two months held out: winter, so events happen."""
    series = synthetic_series(11, years=2, areas=SYNTHETIC_AREAS[:1])
    return evaluate(series, holdout_from=dt.date(2023, 11, 1))


@pytest.fixture(scope="module")
def default() -> SkillTable:
    """The table of docs/baseline-forecast.md."""
    return evaluate(synthetic_series(DEFAULT_SEED), holdout_from=dt.date(2023, 1, 1))


def test_synthetic_series_is_seeded_and_chongqing_like() -> None:
    series = synthetic_series(3, years=3)
    assert series == synthetic_series(3, years=3)
    assert series != synthetic_series(4, years=3)
    assert set(series) == {area.code for area in SYNTHETIC_AREAS}
    days = series["500103"]
    assert days[0].date >= dt.date(2021, 1, 1) and days[-1].date <= dt.date(2023, 12, 31)
    assert 0.95 * 3 * 365 < len(days) < 3 * 366  # a few outage days are missing

    def median(pollutant: str, months: set[int]) -> float:
        values = [getattr(d, pollutant) for d in days if d.date.month in months]
        return float(np.median([v for v in values if v is not None]))

    assert 80 <= median("pm25", {12, 1, 2}) <= 150
    assert 20 <= median("pm25", {6, 7, 8}) <= 45
    assert 120 <= median("o3_8h", {6, 7, 8}) <= 230
    assert median("o3_8h", {12, 1, 2}) < 80
    assert any(d.pm25 is not None and d.pm25 > 150 for d in days)
    assert any(d.o3_8h is not None and d.o3_8h > 215 for d in days)
    assert any(d.so2 is None for d in days)  # some analyser gaps


def test_persistence_repeats_each_pollutants_latest_value() -> None:
    issue = dt.date(2024, 1, 10)
    history = [
        DayValues(date=dt.date(2024, 1, 9), pm25=80.0),
        DayValues(date=dt.date(2024, 1, 7), pm25=60.0, o3_8h=40.0),
        DayValues(date=issue, pm25=999.0),  # not before the issue date: unused
    ]
    forecast = persistence_forecast(history, issue, 7)
    assert [d.date for d in forecast] == [issue + dt.timedelta(days=k) for k in range(7)]
    assert {(d.pm25, d.o3_8h, d.so2) for d in forecast} == {(80.0, 40.0, None)}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"pm25": 115.0}, False),  # "greater than": 115 itself is not heavy
        ({"pm25": 115.1}, True),
        ({"o3_8h": 215.0}, False),
        ({"o3_8h": 215.1}, True),
        ({"pm10": 360.0}, True),  # PM10 IAQI > 200: the AQI clause
        ({"pm25": 60.0, "o3_8h": 100.0, "pm10": np.nan}, False),
    ],
)
def test_heavy_pollution_day(values: dict[str, float], expected: bool) -> None:
    columns = {p: np.array([v]) for p, v in values.items()}
    columns.setdefault("pm25", np.array([np.nan]))
    columns.setdefault("o3_8h", np.array([np.nan]))
    assert bool(heavy(columns)[0]) is expected


def test_small_evaluation_gives_rates_and_errors_in_range(small: SkillTable) -> None:
    assert set(small) == {(m, lead) for m in METHODS for lead in (*range(1, 8), None)}
    for scores in small.values():
        assert scores.pairs > 0
        assert scores.mae_pm25 >= 0 and scores.mae_o3_8h >= 0
        assert 0 <= scores.hits <= min(scores.observed_events, scores.forecast_events)
    for method in METHODS:
        pooled = small[method, None]
        assert pooled.observed_events > 0 and pooled.forecast_events > 0
        assert 0 <= pooled.pod <= 1 and 0 <= pooled.far <= 1
        assert pooled.pairs == sum(small[method, lead].pairs for lead in range(1, 8))
    # Both methods are verified against the same observed days.
    for lead in (*range(1, 8), None):
        assert small["baseline", lead].pairs == small["persistence", lead].pairs
        assert small["baseline", lead].observed_events == small["persistence", lead].observed_events


def test_the_table_prints_as_markdown_and_text(small: SkillTable) -> None:
    markdown = format_table(small)
    assert markdown.splitlines()[0].startswith("| lead (days) | method | MAE PM2.5 |")
    assert len(markdown.splitlines()) == 2 + 4 * 2  # leads 1, 3, 7 and all; two methods
    text = format_table(small, markdown=False)
    assert "|" not in text and "persistence" in text


def test_clean_air_has_no_events_and_undefined_rates_print_as_a_dash() -> None:
    first = dt.date(2022, 1, 1)
    clean = [
        DayValues(date=first + dt.timedelta(days=k), pm25=30.0, o3_8h=60.0) for k in range(500)
    ]
    table = evaluate({"500114": clean}, holdout_from=dt.date(2023, 1, 1))
    for scores in table.values():
        assert (scores.mae_pm25, scores.mae_o3_8h) == (0.0, 0.0)
        assert (scores.observed_events, scores.forecast_events) == (0, 0)
        assert math.isnan(scores.pod) and math.isnan(scores.far)
    assert "| 1 | baseline | 0.0 | 0.0 | – | – | 0/0/0 |" in format_table(table)


def test_default_seed_baseline_beats_persistence_on_mae_but_not_on_pod(
    default: SkillTable,
) -> None:
    """The relations the documented table shows (seed 2022)."""
    for lead in (1, 2, 3, 4, 5, 6, 7, None):
        base, pers = default["baseline", lead], default["persistence", lead]
        assert base.mae_pm25 <= pers.mae_pm25
        assert base.mae_o3_8h <= pers.mae_o3_8h
        assert base.far <= pers.far  # it forecasts fewer events, and fewer of them wrong
    for lead in (3, 7, None):
        # Relaxing to the normal misses episodes that persistence carries forward.
        assert default["baseline", lead].pod < default["persistence", lead].pod
        assert default["baseline", lead].mae_pm25 < 0.9 * default["persistence", lead].mae_pm25


def test_command_line_prints_a_markdown_table(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--seed", "3", "--years", "2", "--markdown"])
    out = capsys.readouterr().out
    assert "seed 3" in out and "| all | persistence |" in out
    with pytest.raises(SystemExit):
        main(["--years", "1"])
