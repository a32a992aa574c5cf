"""Properties of the warning levels (rules §2, §4.1 steps 3–4).

(1) More pollution never lowers a level: every clause of §2 is a strict
    "value > threshold" (or AQI >= 500) condition over runs of days, so raising
    one value of a forward day can only make more days meet conditions, make
    runs longer or join them, and add forward peaks — never remove one.
(2) The level does not depend on the order the days are given in: a run is a
    sequence of consecutive *dates* (§2), not of list positions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.alerting.domain.episodes import episodes
from services.alerting.domain.rules import Day, level_of
from shared.levels import rank

BASE = dt.date(2023, 1, 10)
ONE = dt.timedelta(days=1)

# values around every threshold of §1/§2, plus anything in range
AQIS = st.one_of(
    st.none(),
    st.sampled_from([50, 200, 201, 300, 301, 499, 500]),
    st.integers(0, 600),
)
PM25S = st.one_of(
    st.none(),
    st.sampled_from([35.0, 115.0, 115.1, 116.0, 150.0, 150.1, 250.0]),
    st.floats(0, 500, allow_nan=False),
)
O3S = st.one_of(
    st.none(),
    st.sampled_from([100.0, 215.0, 215.1, 265.0, 265.1, 400.0]),
    st.floats(0, 800, allow_nan=False),
)
HOURLY = st.one_of(st.none(), st.sampled_from([150, 200, 201, 300]), st.integers(0, 600))
PRIMARY = st.sampled_from([("PM2.5",), ("O3",), ("O3", "PM2.5"), ("PM10",)])

FIELDS = {"aqi": AQIS, "pm25": PM25S, "o3_8h": O3S, "max_hourly_aqi": HOURLY}


@st.composite
def windows(draw: st.DrawFn) -> tuple[list[Day], list[Day]]:
    """A history of 0–4 days followed by a forward window of 1–6 days, consecutive dates."""
    n_hist = draw(st.integers(0, 4))
    n_fwd = draw(st.integers(1, 6))
    days = [
        Day(
            date=BASE + (i - n_hist) * ONE,
            aqi=draw(AQIS),
            pm25=draw(PM25S),
            o3_8h=draw(O3S),
            max_hourly_aqi=draw(HOURLY),
            primary=draw(PRIMARY),
            forward=i >= n_hist,
        )
        for i in range(n_hist + n_fwd)
    ]
    return days[:n_hist], days[n_hist:]


def _raised(current: Any, data: st.DataObject, field: str) -> Any:
    """A strictly higher value for ``field`` (from unknown: any value at all)."""
    if current is None:
        return data.draw(FIELDS[field].filter(lambda x: x is not None), label="from-none")
    if field in ("aqi", "max_hourly_aqi"):
        return current + data.draw(st.integers(1, 400), label="delta")
    return current + data.draw(st.floats(0.01, 400, allow_nan=False), label="delta")


@settings(max_examples=600, deadline=None)
@given(window=windows(), data=st.data())
def test_more_pollution_never_lowers_the_level(
    window: tuple[list[Day], list[Day]], data: st.DataObject
) -> None:
    """Rules §2 + §4.1 step 4, property (1): raising any one of aqi, pm25, o3_8h,
    max_hourly_aqi of any forward day never lowers level_of(days)."""
    history, forward = window
    index = data.draw(st.integers(0, len(forward) - 1), label="forward day")
    field = data.draw(st.sampled_from(sorted(FIELDS)), label="field")
    day = forward[index]
    new = _raised(getattr(day, field), data, field)
    raised = [*forward[:index], dataclasses.replace(day, **{field: new}), *forward[index + 1 :]]
    before = level_of([*history, *forward])
    after = level_of([*history, *raised])
    assert rank(after) >= rank(before), (field, getattr(day, field), new, before, after)


@settings(max_examples=400, deadline=None)
@given(window=windows(), data=st.data())
def test_level_does_not_depend_on_day_order(
    window: tuple[list[Day], list[Day]], data: st.DataObject
) -> None:
    """Rules §2 ('a run is a maximal sequence of consecutive forecast days') and §4.1
    steps 3–4, property (2): shuffling the days changes neither level_of nor the
    episodes (span, level, pollutant)."""
    history, forward = window
    everything = [*history, *forward]
    shuffled = data.draw(st.permutations(everything), label="all days")
    assert level_of(shuffled) == level_of(everything)

    hist_shuffled = data.draw(st.permutations(history), label="history")
    fwd_shuffled = data.draw(st.permutations(forward), label="forward")

    def summary(found: list[Any]) -> list[tuple[Any, ...]]:
        return [(e.start, e.end, e.level, e.pollutant) for e in found]

    assert summary(episodes(hist_shuffled, fwd_shuffled)) == summary(episodes(history, forward))
