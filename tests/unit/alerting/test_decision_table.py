"""Hand-worked cases for lead time and the decision procedure (rules §4, §4.1).

An independent reading of /work/shared/docs/plan-rules.md: each expected value
is worked out by hand from the spec (see the comments), not from the code.

Conventions: the first forward day is ``BASE`` (2023-01-10); ``hist(...)``
ends on the day before ``BASE``; ``fwd(...)`` starts on ``BASE``.
``A`` = a day with AQI 250 (heavy, AQI clause), ``CLEAN`` = not heavy.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from services.alerting.domain.decision import (
    OwnWarning,
    decide,
    is_late,
    local_today,
    split_window,
)
from services.alerting.domain.rules import Day

BASE = dt.date(2023, 1, 10)
ONE = dt.timedelta(days=1)
UTC = dt.UTC
CST = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai has no DST since 1991


def v(
    aqi: int | None = None,
    pm25: float | None = None,
    o3: float | None = None,
    hourly: int | None = None,
    primary: tuple[str, ...] = ("PM2.5",),
) -> dict[str, Any]:
    return {"aqi": aqi, "pm25": pm25, "o3_8h": o3, "max_hourly_aqi": hourly, "primary": primary}


CLEAN = v(aqi=60, pm25=40, o3=80)
A = v(aqi=250)  # one heavy day, AQI>200
A350 = v(aqi=350)
P = v(pm25=116)  # heavy day that gives no level on its own (no hourly value)


def hist(*specs: dict[str, Any]) -> list[Day]:
    n = len(specs)
    return [Day(date=BASE - (n - i) * ONE, forward=False, **s) for i, s in enumerate(specs)]


def fwd(*specs: dict[str, Any]) -> list[Day]:
    return [Day(date=BASE + i * ONE, forward=True, **s) for i, s in enumerate(specs)]


# ---------------------------------------------------------------------------
# §4 lead time: issued >= 24 h before 00:00 Asia/Shanghai of the first day.
# First day 2023-01-10 -> 00:00 local = 2023-01-09T16:00Z -> deadline 2023-01-08T16:00Z.
# ---------------------------------------------------------------------------
LATE_CASES = [
    pytest.param(dt.datetime(2023, 1, 8, 16, 0, 0, tzinfo=UTC), False, id="exactly-24h-utc"),
    pytest.param(dt.datetime(2023, 1, 9, 0, 0, 0, tzinfo=CST), False, id="exactly-24h-local"),
    pytest.param(dt.datetime(2023, 1, 8, 16, 0, 1, tzinfo=UTC), True, id="24h-minus-1s:late"),
    pytest.param(dt.datetime(2023, 1, 8, 15, 59, 59, tzinfo=UTC), False, id="24h-plus-1s"),
    # 24 h before *UTC* midnight would be 2023-01-09T00:00Z, but that is 08:00 local on
    # 01-09, only 16 h before the local midnight -> late
    pytest.param(dt.datetime(2023, 1, 9, 0, 0, 0, tzinfo=UTC), True, id="utc-midnight-trap:late"),
    pytest.param(dt.datetime(2023, 1, 7, 12, 0, tzinfo=UTC), False, id="well-ahead"),
    pytest.param(dt.datetime(2023, 1, 10, 3, 0, tzinfo=UTC), True, id="after-start:late"),
]


@pytest.mark.parametrize(("issued_at", "late"), LATE_CASES)
def test_is_late(issued_at: dt.datetime, late: bool) -> None:
    """Rules §4 'Lead time' and §4.1 step 5 ('late when issued less than 24 h before
    its first day'); exactly 24 h is not less than 24 h -> not late."""
    assert is_late(issued_at, BASE) is late


@pytest.mark.parametrize(
    ("issued_at", "today"),
    [
        pytest.param(dt.datetime(2023, 1, 9, 16, 0, tzinfo=UTC), BASE, id="16:00Z=00:00-local"),
        pytest.param(dt.datetime(2023, 1, 9, 15, 59, 59, tzinfo=UTC), BASE - ONE, id="15:59:59Z"),
        pytest.param(dt.datetime(2023, 1, 10, 23, 59, tzinfo=CST), BASE, id="23:59-local"),
    ],
)
def test_local_today(issued_at: dt.datetime, today: dt.date) -> None:
    """Rules §4.1 step 2: today = the Asia/Shanghai date of the issue time (UTC+8)."""
    assert local_today(issued_at) == today


def test_split_window_uses_local_today() -> None:
    """Rules §4.1 step 2. Issued 2023-01-09T17:00Z = 01-10 01:00 local -> today 01-10.
    The forecast covers 01-09..01-12; forward = 01-10..01-12 (>= today);
    history = the series' days before 01-10 (01-08 and 01-09)."""
    series = [Day(date=BASE + i * ONE, aqi=100 + i) for i in range(-2, 3)]
    forecast_dates = {BASE + i * ONE for i in range(-1, 3)}
    history, forward = split_window(
        series, dt.datetime(2023, 1, 9, 17, 0, tzinfo=UTC), forecast_dates
    )
    assert [d.date for d in history] == [BASE - 2 * ONE, BASE - ONE]
    assert [d.date for d in forward] == [BASE, BASE + ONE, BASE + 2 * ONE]
    assert all(d.forward for d in forward)
    assert not any(d.forward for d in history)


# ---------------------------------------------------------------------------
# §4.1 steps 5–6 with decide(). Expected: list of (action, new level or None).
# ---------------------------------------------------------------------------
def active(level: str) -> OwnWarning:
    return OwnWarning(
        level=level,  # type: ignore[arg-type]
        episode_start=BASE - 3 * ONE,
        episode_end=BASE - ONE,
        pollutant="PM2.5",
        started_by="f-old",
    )


DECIDE_CASES = [
    # --- step 5: no active warning ---
    pytest.param(None, [], [A, A, A], [("issue", "orange")], id="none:issue-orange"),
    pytest.param(None, [], [A, CLEAN, CLEAN], [("issue", "yellow")], id="none:issue-yellow"),
    pytest.param(None, [], [CLEAN, CLEAN, CLEAN], [], id="none:clean->nothing"),
    # first forward episode (single PM2.5 116, no hourly) has no level; the first one
    # that has a level (two clean days later) is issued
    pytest.param(
        None, [], [P, CLEAN, CLEAN, A], [("issue", "yellow")], id="none:skip-levelless-episode"
    ),
    pytest.param(None, [], [P, P, CLEAN], [], id="none:only-levelless-episode->nothing"),
    # history counts: 2 heavy history days + 1 forward -> run 3 -> orange
    pytest.param(None, [A, A], [A, CLEAN], [("issue", "orange")], id="none:hist-run-counts"),
    # history-only heavy days, clean forward -> nothing
    pytest.param(None, [A, A, A], [CLEAN, CLEAN], [], id="none:history-only->nothing"),
    # a 1-day window may issue (the <2-day rule is for an active warning only)
    pytest.param(None, [], [A], [("issue", "yellow")], id="none:1-day-window-issues"),
    # --- step 6: active warning; window shorter than 2 days -> nothing changes ---
    pytest.param("orange", [A], [CLEAN], [], id="orange:1-day-clean-window->nothing"),
    pytest.param("orange", [A], [A350], [], id="orange:1-day-window-red-day->nothing"),
    pytest.param("orange", [A], [v(aqi=600)], [], id="orange:1-day-window-aqi600->nothing"),
    # g >= 2 -> lift
    pytest.param("orange", [A], [CLEAN, CLEAN], [("lift", None)], id="orange:g2->lift"),
    pytest.param("orange", [A], [CLEAN, CLEAN, CLEAN], [("lift", None)], id="orange:g3->lift"),
    # g >= 2 then a later episode with a level -> lift, then issue as step 5
    pytest.param(
        "orange",
        [A],
        [CLEAN, CLEAN, A],
        [("lift", None), ("issue", "yellow")],
        id="orange:g2+later-yellow->lift+issue",
    ),
    pytest.param(
        "orange",
        [A],
        [CLEAN, CLEAN, A, A, A],
        [("lift", None), ("issue", "orange")],
        id="orange:g2+later-orange->lift+issue",
    ),
    # later episode without a level -> lift only
    pytest.param(
        "orange", [A], [CLEAN, CLEAN, P], [("lift", None)], id="orange:g2+levelless->lift"
    ),
    # g = 1, last history day heavy -> merging rule: L' = max(yellow, orange) = orange
    pytest.param("orange", [A], [CLEAN, A, A], [], id="orange:g1+hist-heavy->kept"),
    # g = 1, last history day heavy, forward episode has no level -> raised to orange
    pytest.param("orange", [A], [CLEAN, P, P], [], id="orange:g1+hist-heavy+levelless->kept"),
    # g = 1 without a heavy last history day -> L' = yellow < orange -> downgrade
    pytest.param(
        "orange", [CLEAN], [CLEAN, A, A], [("downgrade", "yellow")], id="orange:g1->downgrade"
    ),
    pytest.param(
        "orange", [A, CLEAN], [CLEAN, A, A], [("downgrade", "yellow")], id="orange:g1-old-hist"
    ),
    # g = 1 without heavy last history day, levelless episode -> L' none -> lift
    pytest.param(
        "orange", [CLEAN], [CLEAN, P, P], [("lift", None)], id="orange:g1+levelless->lift"
    ),
    # g = 1, history heavy, forward orange-level and active yellow -> upgrade to orange
    pytest.param(
        "yellow", [A], [CLEAN, A, A, A], [("upgrade", "orange")], id="yellow:g1+hist->upgrade"
    ),
    # g = 1, history heavy, active red, forward orange -> raised to red -> no change
    pytest.param("red", [A], [CLEAN, A, A, A], [], id="red:g1+hist-heavy->kept"),
    # g = 0: L' from the continuing episode
    pytest.param("yellow", [], [A, A, A], [("upgrade", "orange")], id="yellow:g0-orange->upgrade"),
    pytest.param("orange", [], [A350, A, A], [("upgrade", "red")], id="orange:g0-red->upgrade"),
    pytest.param("orange", [], [A, A, A], [], id="orange:g0-orange->equal"),
    pytest.param("orange", [A, A], [A, CLEAN], [], id="orange:g0-hist-run3->equal"),
    pytest.param(
        "orange", [CLEAN], [A, CLEAN, CLEAN], [("downgrade", "yellow")], id="orange:g0-yellow->down"
    ),
    pytest.param("red", [CLEAN], [A, A, A], [("downgrade", "orange")], id="red:g0-orange->down"),
    # forward heavy days with no level -> L' none -> lift
    pytest.param(
        "orange", [CLEAN], [P, P, CLEAN], [("lift", None)], id="orange:g0-levelless->lift"
    ),
    pytest.param("yellow", [CLEAN], [P, CLEAN], [("lift", None)], id="yellow:g0-levelless->lift"),
]


@pytest.mark.parametrize(("level", "history", "forward", "expected"), DECIDE_CASES)
def test_decide_table(
    level: str | None,
    history: list[dict[str, Any]],
    forward: list[dict[str, Any]],
    expected: list[tuple[str, str | None]],
) -> None:
    """Rules §4.1 steps 5 and 6 (g = leading non-heavy forward days; window < 2 days ->
    nothing; g >= 2 -> lift then step 5; g = 1 with heavy last history day -> L' at
    least L; compare L' with L). Hand-working in each case's comment and id."""
    was = active(level) if level is not None else None
    changes = decide(was, hist(*history), fwd(*forward), forecast_id="f-new")
    got = [(c.action, c.current.level if c.current is not None else None) for c in changes]
    assert got == expected
    for change in changes:
        # an issue starts from none; every other action changes the active warning
        assert change.previous == (None if change.action == "issue" else was)
        assert (change.current is None) == (change.action == "lift")


def test_issue_carries_episode_span_and_pollutant() -> None:
    """§4.1 step 5 + §4 content (episode span, primary pollutant §2 Decision):
    forward [CLEAN, AQI 250 (O3), AQI 260 (PM2.5), AQI 250 (O3), CLEAN] -> episode
    01-11..01-13, run 3 -> orange by AQI; top forward day 260 primary PM2.5 -> PM2.5."""
    forward = fwd(
        CLEAN,
        v(aqi=250, primary=("O3",)),
        v(aqi=260),
        v(aqi=250, primary=("O3",)),
        CLEAN,
    )
    (change,) = decide(None, [], forward, forecast_id="f-new")
    assert change.action == "issue"
    assert change.current is not None
    assert change.current.level == "orange"
    assert (change.current.episode_start, change.current.episode_end) == (
        BASE + ONE,
        BASE + 3 * ONE,
    )
    assert change.current.pollutant == "PM2.5"
    assert change.current.started_by == "f-new"
