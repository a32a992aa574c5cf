"""Rules §4.1 step 1, Decision: "older" is per area, not per date. Once a forecast issued
at T has been applied to an area, a forecast issued before T changes no date of its series,
not even a date the newer forecast did not cover; observations still apply."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.alerting.domain.series import SeriesDay, apply, stale
from shared.contracts.payloads import DayValues, ForecastIssued

T0 = dt.datetime(2026, 1, 5, 0, tzinfo=dt.UTC)
D0 = dt.date(2026, 1, 5)


def _issued(
    hours: int, pm25: float, days: int = 3, kind: str = "forecast", name: str = ""
) -> ForecastIssued:
    return ForecastIssued(
        area="500103",
        forecast_id=name or f"{kind}-{hours}-{pm25}-{days}",
        kind=kind,  # type: ignore[arg-type]
        source="test",
        issued_at=T0 + dt.timedelta(hours=hours),
        days=[DayValues(date=D0 + dt.timedelta(days=i), pm25=pm25) for i in range(days)],
    )


def _fold(items: list[ForecastIssued]) -> dict[dt.date, SeriesDay]:
    """The series as the alerting service keeps it: the latest applied forecast's issue
    time carried along and given to ``apply``, as the handler reads it from the database."""
    series: dict[dt.date, SeriesDay] = {}
    applied_at: dt.datetime | None = None
    for item in items:
        changed = apply(series, item, applied_at)
        if item.kind == "forecast" and not stale(item.kind, item.issued_at, applied_at):
            applied_at = item.issued_at
        for day in changed:
            series[day.date] = day
    return series


def _pm25(series: dict[dt.date, SeriesDay]) -> list[float | None]:
    return [series[d].values.pm25 for d in sorted(series)]


@pytest.mark.parametrize(
    ("kind", "issued_hours", "applied_hours", "is_stale"),
    [
        ("forecast", 0, None, False),  # nothing applied yet
        ("forecast", 0, 6, True),  # issued before the applied one
        ("forecast", 6, 6, False),  # the same moment is not "before"
        ("forecast", 7, 6, False),  # newer
        ("observation", 0, 6, False),  # observations apply whenever they arrive
    ],
)
def test_stale_table(
    kind: str, issued_hours: int, applied_hours: int | None, is_stale: bool
) -> None:
    applied = None if applied_hours is None else T0 + dt.timedelta(hours=applied_hours)
    issued = T0 + dt.timedelta(hours=issued_hours)
    assert stale(kind, issued, applied) is is_stale  # type: ignore[arg-type]


def test_an_older_forecast_with_extra_dates_fills_none_of_them() -> None:
    # Newer (06:00) covers D0..D2; the late older one (00:00) covers D0..D4 and would
    # make a five-day heavy run of it. Per area, not per date: the series stays D0..D2.
    newer, older = _issued(6, 160, days=3), _issued(0, 200, days=5)
    series = _fold([newer, older])
    assert sorted(series) == [D0 + dt.timedelta(days=i) for i in range(3)]
    assert _pm25(series) == [160, 160, 160]
    assert apply(series, older, newer.issued_at) == []


def test_in_issue_order_the_older_forecast_keeps_the_dates_the_newer_did_not_cover() -> None:
    # The same two forecasts arriving in issue order: the older applied first, so its
    # D3, D4 stay (nothing newer covered them), and the newer replaces D0..D2.
    series = _fold([_issued(0, 200, days=5), _issued(6, 160, days=3)])
    assert _pm25(series) == [160, 160, 160, 200, 200]


def test_a_forecast_issued_at_the_same_moment_still_applies() -> None:
    first = _issued(6, 160, days=2, name="a")
    same_moment = _issued(6, 120, days=4, name="b")
    assert _pm25(_fold([first, same_moment])) == [120, 120, 120, 120]
    # the same forecast again changes nothing
    assert apply(_fold([first]), first, first.issued_at) == []


def test_an_older_observation_still_applies_to_its_own_dates() -> None:
    series = _fold([_issued(6, 160, days=3), _issued(0, 90, days=1, kind="observation")])
    assert series[D0].kind == "observation"
    assert _pm25(series) == [90, 160, 160]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 8), st.integers(1, 5), st.integers(50, 300)),
        min_size=1,
        max_size=8,
    )
)
def test_stale_forecasts_could_as_well_never_have_arrived(
    specs: list[tuple[int, int, int]],
) -> None:
    """In any arrival order, the series is that of the forecasts which were not stale when
    they arrived (issued no earlier than every forecast before them) alone."""
    items = [
        _issued(hours, float(pm25), days=days, name=f"f{n}")
        for n, (hours, days, pm25) in enumerate(specs)
    ]
    kept, latest = [], None
    for item in items:
        if latest is None or item.issued_at >= latest:
            kept.append(item)
            latest = item.issued_at
    assert _fold(items) == _fold(kept)
