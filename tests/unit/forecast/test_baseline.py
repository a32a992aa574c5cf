"""The baseline forecast: cases small enough to check by hand, and a few properties."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.forecast.domain.baseline import (
    POLLUTANTS,
    BaselineParams,
    baseline_forecast,
    explain,
)
from services.forecast.domain.climatology import (
    CITY_DEFAULT,
    day_of_year,
    days_of_year,
    doy_distance,
)
from services.forecast.domain.model import LOCAL, check_forecast
from shared.contracts.payloads import DayValues

ISSUE = dt.date(2024, 1, 20)
ALL = dict.fromkeys(POLLUTANTS, 0.0)


def _days(
    values: Sequence[float | None], *, end: dt.date = ISSUE, **fixed: float
) -> list[DayValues]:
    """One day per value of PM2.5, the last on the day before ``end``."""
    first = end - dt.timedelta(days=len(values))
    return [
        DayValues(date=first + dt.timedelta(days=k), pm25=v, **fixed) for k, v in enumerate(values)
    ]


def _pm25(forecast: list[DayValues]) -> list[float | None]:
    return [day.pm25 for day in forecast]


def test_constant_history_gives_that_constant_at_every_lead() -> None:
    history = [
        DayValues(
            date=ISSUE - dt.timedelta(days=k),
            pm25=60.0,
            pm10=90.0,
            so2=8.0,
            no2=40.0,
            co=0.9,
            o3_8h=70.0,
        )
        for k in range(1, 61)
    ]
    forecast = baseline_forecast(history, ISSUE)
    assert [day.date for day in forecast] == [ISSUE + dt.timedelta(days=k) for k in range(7)]
    for day in forecast:
        assert (day.pm25, day.pm10, day.so2, day.no2, day.co, day.o3_8h) == (
            60.0,
            90.0,
            8.0,
            40.0,
            0.9,
            70.0,
        )
        assert day.o3_1h is None
        assert day.max_hourly_aqi is None  # documented: no short-term heavy pollution clause
        assert day.aqi is None  # intake computes it


def test_rising_history_adds_a_positive_trend_that_fades_with_lead() -> None:
    # 57 days at 50, then 52, 54, 56: slope 2 per day over the last three days.
    history = _days([50.0] * 57 + [52.0, 54.0, 56.0])
    terms = [day[0] for day in explain(history, ISSUE)]
    assert [t.lead for t in terms] == [1, 2, 3, 4, 5, 6, 7]
    assert all(t.slope == pytest.approx(2.0) for t in terms)
    assert [t.trend for t in terms] == pytest.approx([2.0 * 0.5**h for h in range(1, 8)])
    assert [t.weight for t in terms] == pytest.approx([0.75**h for h in range(1, 8)])
    # By hand, lead 1: the window ±15 days around 20 January holds the last 15 days,
    # (12·50 + 52 + 54 + 56) / 15 = 50.8, so 0.75·56 + 0.25·50.8 + 0.5·2 = 55.7.
    assert terms[0].climatology == pytest.approx(50.8)
    assert terms[0].climatology_source == "window"
    assert terms[0].value == 55.7
    values = [t.value for t in terms]
    assert values == sorted(values, reverse=True)  # relaxing towards the normal of ~50.8
    flat = _pm25(baseline_forecast(history, ISSUE, BaselineParams(trend_damping=0.0)))
    differences = [a - b for a, b in zip(values, flat, strict=True) if b is not None]
    # The trend terms 2·0.5^h, as far as two roundings to 0.1 show them.
    assert differences == pytest.approx([2.0 * 0.5**h for h in range(1, 8)], abs=0.101)
    assert differences[0] > 0 and all(d >= 0 for d in differences)


@pytest.mark.parametrize(
    "history",
    [
        [],
        [DayValues(date=ISSUE - dt.timedelta(days=1))],  # a day without any concentration
        [DayValues(date=ISSUE, pm25=80.0)],  # only the issue date itself: not complete yet
        [DayValues(date=ISSUE + dt.timedelta(days=3), pm25=80.0)],
    ],
)
def test_nothing_observed_before_the_issue_date_is_a_clear_error(
    history: list[DayValues],
) -> None:
    with pytest.raises(ValueError, match="no observations before the issue date 2024-01-20"):
        baseline_forecast(history, ISSUE)


def test_a_gap_moves_weight_to_climatology_and_drops_the_trend() -> None:
    # 40 days at 100, a last day at 200, then four days missing before the issue date.
    history = _days([100.0] * 40 + [200.0], end=ISSUE - dt.timedelta(days=4))
    first = explain(history, ISSUE)[0][0]
    assert first.lead == 5  # 200 was observed five days before the issue date
    assert first.weight == pytest.approx(0.75**5)
    assert first.slope == 0.0  # no observation in the last three days
    assert first.value == pytest.approx(0.75**5 * 200 + (1 - 0.75**5) * first.climatology, abs=0.05)


def test_missing_pollutants_persist_their_last_value_or_stay_absent() -> None:
    history = _days([60.0] * 40, o3_8h=50.0)
    # O3 missing on the last two days; SO2 never reported.
    history[-2:] = [day.model_copy(update={"o3_8h": None}) for day in history[-2:]]
    terms = {t.pollutant: t for t in explain(history, ISSUE)[0]}
    assert set(terms) == {"pm25", "o3_8h"}
    assert terms["o3_8h"].lead == 3
    assert terms["o3_8h"].value == 50.0
    forecast = baseline_forecast(history, ISSUE)
    assert all(day.so2 is None and day.pm10 is None for day in forecast)
    assert all(day.pm25 == 60.0 for day in forecast)


def test_a_later_entry_for_the_same_day_wins_and_order_does_not_matter() -> None:
    history = _days([float(40 + k % 7) for k in range(50)], o3_8h=30.0)
    shuffled = history[:]
    random.Random(4).shuffle(shuffled)
    assert baseline_forecast(shuffled, ISSUE) == baseline_forecast(history, ISSUE)
    corrected = [*history, history[-1].model_copy(update={"pm25": 90.0})]
    assert explain(corrected, ISSUE)[0][0].persistence == 90.0


def test_deterministic() -> None:
    history = _days([float(30 + (k * 37) % 50) for k in range(400)])
    assert baseline_forecast(history, ISSUE) == baseline_forecast(history, ISSUE)


def test_a_steep_fall_is_clamped_at_zero() -> None:
    history = _days([2.0] * 40 + [60.0, 30.0, 0.0])
    first = explain(history, ISSUE)[0][0]
    assert first.persistence + first.trend < 0  # the raw sum would be negative
    assert first.value == 0.0
    assert all(v is not None and v >= 0 for v in _pm25(baseline_forecast(history, ISSUE)))


def test_climatology_falls_back_to_the_overall_mean_then_the_city_default() -> None:
    # 40 days of January at 100: in July no January day is within the window.
    january = _days([100.0] * 40, end=dt.date(2024, 2, 10))
    july = dt.date(2024, 7, 1)
    term = explain(january, july)[0][0]
    assert (term.climatology_source, term.climatology) == ("overall", 100.0)
    # Five days only: the city's hand-set default for the target's month.
    short = explain(_days([100.0] * 5), ISSUE)
    assert {day[0].climatology_source for day in short} == {"city-default"}
    assert short[0][0].climatology == CITY_DEFAULT["pm25"][0]


def test_the_window_wraps_around_new_year_and_leap_days() -> None:
    assert day_of_year(dt.date(2024, 2, 29)) == day_of_year(dt.date(2024, 2, 28)) == 59
    assert day_of_year(dt.date(2024, 3, 1)) == day_of_year(dt.date(2023, 3, 1)) == 60
    assert day_of_year(dt.date(2024, 12, 31)) == 365
    assert list(doy_distance(days_of_year([dt.date(2023, 12, 31)]), 1)) == [1]
    # Last winter's days either side of New Year make this January's normal.
    history = _days([150.0] * 30, end=dt.date(2024, 1, 10)) + _days(
        [40.0] * 30, end=dt.date(2024, 11, 1)
    )
    term = explain(history, dt.date(2024, 12, 25))[-1][0]  # 31 December
    assert (term.climatology_source, term.climatology) == ("window", 150.0)


@pytest.mark.parametrize(
    "changes",
    [
        {"horizon": 0},
        {"horizon": 16},
        {"persistence": 1.5},
        {"trend_damping": -0.1},
        {"trend_days": 1},
        {"window_days": 200},
        {"min_window_samples": 0},
    ],
)
def test_parameters_are_checked(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        BaselineParams(**changes)  # type: ignore[arg-type]


def test_the_forecast_passes_the_intake_rules_as_a_forecast() -> None:
    history = _days([float(30 + k % 40) for k in range(800)], o3_8h=120.0, no2=30.0)
    issued_at = dt.datetime.combine(ISSUE, dt.time(16), tzinfo=LOCAL)
    forecast = tuple(baseline_forecast(history, ISSUE))
    check_forecast(
        area="500103", kind="forecast", issued_at=issued_at, days=forecast, now=issued_at
    )


_values = st.one_of(st.none(), st.floats(min_value=0, max_value=500, allow_nan=False))
_day = st.builds(
    lambda offset, values: DayValues(
        date=ISSUE - dt.timedelta(days=offset), **dict(zip(POLLUTANTS, values, strict=True))
    ),
    st.integers(min_value=-3, max_value=800),
    st.tuples(*[_values] * len(POLLUTANTS)),
)


def _past(history: list[DayValues]) -> list[DayValues]:
    """The days the baseline reads: before the issue date, a later entry replacing an earlier."""
    return list({day.date: day for day in history if day.date < ISSUE}.values())


@settings(max_examples=60, deadline=None)
@given(st.lists(_day, min_size=1, max_size=60))
def test_any_history_gives_seven_ascending_non_negative_days(history: list[DayValues]) -> None:
    past = _past(history)
    seen = {p for day in past for p in POLLUTANTS if getattr(day, p) is not None}
    if not seen:
        with pytest.raises(ValueError, match="no observations"):
            baseline_forecast(history, ISSUE)
        return
    forecast = baseline_forecast(history, ISSUE)
    assert [day.date for day in forecast] == [ISSUE + dt.timedelta(days=k) for k in range(7)]
    for day in forecast:
        for p in POLLUTANTS:
            value = getattr(day, p)
            assert (value is not None) == (p in seen)
            assert value is None or value >= 0


@settings(max_examples=60, deadline=None)
@given(st.lists(_day, min_size=1, max_size=60))
def test_without_trend_the_forecast_stays_within_the_history(history: list[DayValues]) -> None:
    # min_overall_samples=1: the area's own values always give the normal, never the city's.
    params = BaselineParams(trend_damping=0.0, min_overall_samples=1)
    past = _past(history)
    if not any(getattr(day, p) is not None for day in past for p in POLLUTANTS):
        return
    for day in baseline_forecast(history, ISSUE, params):
        for p in POLLUTANTS:
            seen = [v for d in past if (v := getattr(d, p)) is not None]
            value = getattr(day, p)
            if seen:
                assert min(seen) - 0.05 <= value <= max(seen) + 0.05  # rounding to 0.1
