"""Rules §4 Duty: under warning, a forecast older than 4 hours is an operational fault."""

from __future__ import annotations

import datetime as dt

import pytest

from services.forecast.domain.duty import Watch, is_stale, stale_since

T = dt.datetime(2023, 1, 8, 2, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("age", "stale"),
    [(dt.timedelta(hours=4), False), (dt.timedelta(hours=4, seconds=1), True)],
)
def test_four_hours_is_the_limit(age: dt.timedelta, stale: bool) -> None:
    watch = Watch("500103", "orange", T - dt.timedelta(days=1), "f", T - age)
    assert is_stale(watch, T) is stale


def test_without_any_forecast_the_clock_starts_with_the_warning() -> None:
    watch = Watch("500103", "yellow", T, None, None)
    assert stale_since(watch) == T + dt.timedelta(hours=4)
