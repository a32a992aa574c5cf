"""Rules §4.1 step 1: the daily series keeps, per date, the latest known values."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from services.alerting.domain.series import SeriesDay, apply, supersedes
from shared.contracts.payloads import DayValues, ForecastIssued

T0 = dt.datetime(2026, 1, 5, 0, tzinfo=dt.UTC)
D0 = dt.date(2026, 1, 5)


def _issued(
    kind: str, hours: int, pm25: float, first_day: int = 0, days: int = 3
) -> ForecastIssued:
    return ForecastIssued(
        area="500103",
        forecast_id=f"{kind}-{hours}-{pm25}",
        kind=kind,  # type: ignore[arg-type]
        source="test",
        issued_at=T0 + dt.timedelta(hours=hours),
        days=[
            DayValues(date=D0 + dt.timedelta(days=first_day + i), pm25=pm25) for i in range(days)
        ],
    )


def _fold(items: list[ForecastIssued]) -> dict[dt.date, SeriesDay]:
    series: dict[dt.date, SeriesDay] = {}
    for item in items:
        for day in apply(series, item):
            series[day.date] = day
    return series


def test_a_newer_forecast_replaces_an_older_one() -> None:
    series = _fold([_issued("forecast", 0, 100), _issued("forecast", 6, 160)])
    assert {d.values.pm25 for d in series.values()} == {160}


def test_an_older_forecast_changes_nothing() -> None:
    series = _fold([_issued("forecast", 6, 160), _issued("forecast", 0, 100)])
    assert {d.values.pm25 for d in series.values()} == {160}


def test_an_observation_beats_any_forecast_even_a_newer_one() -> None:
    series = _fold([_issued("observation", 0, 90, days=1), _issued("forecast", 12, 200)])
    assert series[D0].kind == "observation" and series[D0].values.pm25 == 90
    assert series[D0 + dt.timedelta(days=1)].values.pm25 == 200


def test_a_corrected_observation_replaces_the_first() -> None:
    series = _fold([_issued("observation", 0, 90, days=1), _issued("observation", 3, 95, days=1)])
    assert series[D0].values.pm25 == 95


def test_the_same_forecast_twice_changes_nothing_the_second_time() -> None:
    once = _issued("forecast", 0, 120)
    series = _fold([once])
    assert apply(series, once) == []


def test_supersedes_table() -> None:
    current = SeriesDay("500103", D0, "forecast", "f", T0, DayValues(date=D0))
    assert supersedes("forecast", T0 + dt.timedelta(seconds=1), current)
    assert not supersedes("forecast", T0, current, "f")  # the same forecast again
    assert supersedes("forecast", T0, current, "g")  # another of the same moment: the later
    assert not supersedes("forecast", T0 - dt.timedelta(seconds=1), current, "g")
    assert supersedes("observation", T0 - dt.timedelta(days=1), current)
    assert supersedes("forecast", T0, None)


inputs = st.lists(
    st.tuples(
        st.sampled_from(["forecast", "observation"]),
        st.integers(min_value=0, max_value=96),
        st.floats(min_value=0, max_value=500, allow_nan=False),
        st.integers(min_value=0, max_value=4),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda t: (t[0], t[1]),
)


@settings(max_examples=150, deadline=None)
@given(inputs, st.randoms(use_true_random=False))
def test_the_series_does_not_depend_on_arrival_order(items: list[tuple], rnd: object) -> None:
    made = [_issued(kind, hours, pm25, first) for kind, hours, pm25, first in items]
    shuffled = list(made)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert _fold(made) == _fold(shuffled)


@settings(max_examples=50, deadline=None)
@given(inputs)
def test_refolding_everything_again_changes_nothing(items: list[tuple]) -> None:
    made = [_issued(kind, hours, pm25, first) for kind, hours, pm25, first in items]
    series = _fold(made)
    assert all(apply(series, item) == [] for item in itertools.chain(made))
