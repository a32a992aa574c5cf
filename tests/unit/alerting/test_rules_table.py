"""Hand-worked cases for the warning levels (rules §1, §2, §4.1 steps 3–4).

An independent reading of /work/shared/docs/plan-rules.md: every expected value
below is worked out by hand from the spec (see each case's comment), not from
the implementation.

Conventions: the first forward day is ``BASE`` (2023-01-10); ``hist(...)``
lays its days out so that the last one is the day before ``BASE``;
``fwd(...)`` lays its days out from ``BASE`` on. Where a case is about one
clause, the values of the other clauses are left unknown (``None``) so that
nothing else can fire.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from services.alerting.domain.episodes import episodes
from services.alerting.domain.rules import Day, episode_pollutant, findings, level_of

BASE = dt.date(2023, 1, 10)
ONE = dt.timedelta(days=1)


def v(
    aqi: int | None = None,
    pm25: float | None = None,
    o3: float | None = None,
    hourly: int | None = None,
    primary: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {"aqi": aqi, "pm25": pm25, "o3_8h": o3, "max_hourly_aqi": hourly, "primary": primary}


CLEAN = v(aqi=60, pm25=40, o3=80)  # not heavy on any count


def hist(*specs: dict[str, Any]) -> list[Day]:
    n = len(specs)
    return [Day(date=BASE - (n - i) * ONE, forward=False, **s) for i, s in enumerate(specs)]


def fwd(*specs: dict[str, Any]) -> list[Day]:
    return [Day(date=BASE + i * ONE, forward=True, **s) for i, s in enumerate(specs)]


def d(offset: int) -> dt.date:
    return BASE + offset * ONE


# ---------------------------------------------------------------------------
# §1 / §4.1 step 3: heavy day = AQI > 200 or PM2.5 > 115 or O3-8h > 215 (strict).
# ---------------------------------------------------------------------------
HEAVY_CASES = [
    pytest.param(v(aqi=200), False, id="aqi-200-not-heavy(200>200 false)"),
    pytest.param(v(aqi=201), True, id="aqi-201-heavy(201>200)"),
    pytest.param(v(pm25=115), False, id="pm25-115-not-heavy(115>115 false)"),
    pytest.param(v(pm25=115.1), True, id="pm25-115.1-heavy"),
    pytest.param(v(o3=215), False, id="o3-215-not-heavy(215>215 false)"),
    pytest.param(v(o3=215.1), True, id="o3-215.1-heavy"),
    pytest.param(v(aqi=200, pm25=115, o3=215), False, id="all-at-threshold-not-heavy"),
    pytest.param(v(aqi=150, pm25=115.1), True, id="pm25-alone-makes-heavy(or)"),
    pytest.param(v(hourly=450), False, id="hourly-alone-not-heavy(not in §1 definition)"),
    pytest.param(v(), False, id="all-unknown-not-heavy"),
]


@pytest.mark.parametrize(("spec", "heavy"), HEAVY_CASES)
def test_heavy_day_definition(spec: dict[str, Any], heavy: bool) -> None:
    """Rules §1 'Heavy pollution weather' and §4.1 step 3; comparisons strict (§1)."""
    day = Day(date=BASE, forward=True, **spec)
    assert day.heavy is heavy
    # A single heavy forward day is an episode (§4.1 step 3); a non-heavy one is not.
    assert len(episodes([], [day])) == (1 if heavy else 0)


# ---------------------------------------------------------------------------
# §2 warning levels with §4.1 step 4 (run lengths count history; the clause's
# own/peak condition must be met by a forward day of the run).
# ---------------------------------------------------------------------------
LEVEL_CASES = [
    # --- yellow ---
    pytest.param([], [v(aqi=201)], "yellow", id="yellow:single-fwd-aqi-201"),
    pytest.param([], [v(aqi=200)], None, id="none:single-fwd-aqi-200(not >200)"),
    # run of 2 PM2.5>115; hourly 201 on a forward day of the run -> short-term heavy -> yellow
    pytest.param(
        [], [v(pm25=116, hourly=201), v(pm25=116)], "yellow", id="yellow:pm25-run2+hourly-201"
    ),
    pytest.param(
        [], [v(pm25=116), v(pm25=116, hourly=201)], "yellow", id="yellow:pm25-run2+hourly-201-day2"
    ),
    # hourly 200 is not > 200 -> clause not met; nothing else fires
    pytest.param([], [v(pm25=116, hourly=200), v(pm25=116)], None, id="none:pm25-run2+hourly-200"),
    # Decision §2: no hourly value -> clause not met
    pytest.param([], [v(pm25=116), v(pm25=116)], None, id="none:pm25-run2+hourly-None"),
    pytest.param([], [v(o3=216, hourly=250), v(o3=216)], "yellow", id="yellow:o3-run2+hourly-250"),
    pytest.param([], [v(o3=216), v(o3=216)], None, id="none:o3-run2+hourly-None"),
    # run of 1 is not a run of >= 2, whatever the hourly value
    pytest.param([], [v(pm25=116, hourly=250)], None, id="none:pm25-run1+hourly-250"),
    pytest.param(
        [], [v(pm25=116, hourly=250), CLEAN, v(pm25=116)], None, id="none:pm25-1+gap+1+hourly"
    ),
    # run of 2 counting a history day; the hourly condition on the forward day -> yellow
    pytest.param(
        [v(pm25=116)], [v(pm25=116, hourly=250)], "yellow", id="yellow:pm25-run2-hist+fwd-hourly"
    ),
    # step 4: the hourly condition is met only on the history day -> not met
    pytest.param(
        [v(pm25=116, hourly=250)], [v(pm25=116)], None, id="none:pm25-run2-hourly-only-on-hist"
    ),
    # --- orange ---
    pytest.param([], [v(aqi=201)] * 3, "orange", id="orange:aqi-run3"),
    pytest.param([], [v(aqi=201)] * 2, "yellow", id="yellow:aqi-run2(not 3)"),
    pytest.param([], [v(aqi=201)] * 2 + [v(aqi=200)], "yellow", id="yellow:aqi-201,201,200"),
    # PM2.5 run 3 with a day at 150: 150 > 150 false -> no orange; no hourly -> no yellow either
    pytest.param([], [v(pm25=116), v(pm25=150), v(pm25=116)], None, id="none:pm25-run3-peak-150"),
    pytest.param(
        [], [v(pm25=116), v(pm25=150.1), v(pm25=116)], "orange", id="orange:pm25-run3-peak-150.1"
    ),
    # PM2.5 run of only 2 with a 150.1 day -> not orange (needs 3)
    pytest.param([], [v(pm25=150.1), v(pm25=116)], None, id="none:pm25-run2-peak-150.1"),
    pytest.param([], [v(o3=216), v(o3=265), v(o3=216)], None, id="none:o3-run3-peak-265"),
    pytest.param([], [v(o3=216), v(o3=265.1), v(o3=216)], "orange", id="orange:o3-run3-peak-265.1"),
    # peak 150 in the run but hourly on a forward day: orange not met, yellow clause met
    pytest.param(
        [],
        [v(pm25=116, hourly=201), v(pm25=150), v(pm25=116)],
        "yellow",
        id="yellow:pm25-run3-peak-150+hourly",
    ),
    # --- red ---
    pytest.param([], [v(aqi=300), v(aqi=250), v(aqi=250)], "orange", id="orange:aqi-run3-max-300"),
    pytest.param([], [v(aqi=301), v(aqi=250), v(aqi=250)], "red", id="red:aqi-run3-with-301"),
    pytest.param([], [v(aqi=250), v(aqi=250), v(aqi=301)], "red", id="red:aqi-run3-301-last"),
    # 301 but the AQI run is only 2 long -> red run clause not met; orange not met -> yellow
    pytest.param([], [v(aqi=301), v(aqi=250)], "yellow", id="yellow:aqi-run2-with-301"),
    pytest.param([], [v(aqi=499)], "yellow", id="yellow:single-aqi-499"),
    pytest.param([], [v(aqi=500)], "red", id="red:single-aqi-500(>=500)"),
    pytest.param([v(aqi=600)], [v(aqi=250)], "yellow", id="yellow:aqi-600-only-on-hist"),
    # --- §4.1 step 4: history counts for length, peaks must be forward ---
    # run of 3 AQI>200 (1 hist + 2 fwd) -> orange; 320 is on the history day -> not red
    pytest.param(
        [v(aqi=320)], [v(aqi=250), v(aqi=250)], "orange", id="orange:hist-320+fwd-250x2(not red)"
    ),
    # same, the >300 day is forward -> red
    pytest.param([v(aqi=250)], [v(aqi=320), v(aqi=250)], "red", id="red:hist-250+fwd-320,250"),
    pytest.param(
        [v(aqi=250), v(aqi=250)], [v(aqi=250)], "orange", id="orange:hist-250x2+fwd-250(run3)"
    ),
    # history run of 3 but the forward day is not AQI>200 -> nothing from history alone
    pytest.param([v(aqi=250)] * 3, [CLEAN], None, id="none:hist-only-aqi-run3"),
    pytest.param([v(aqi=250)] * 3, [CLEAN, CLEAN], None, id="none:hist-only-then-clean-fwd"),
    # PM2.5 run of 3 (2 hist + 1 fwd); 150.1 on a history day only -> not orange
    pytest.param(
        [v(pm25=150.1), v(pm25=116)], [v(pm25=116)], None, id="none:pm25-peak-only-on-hist"
    ),
    pytest.param(
        [v(pm25=116), v(pm25=116)], [v(pm25=150.1)], "orange", id="orange:pm25-hist2+fwd-peak"
    ),
    pytest.param([v(o3=216), v(o3=216)], [v(o3=265.1)], "orange", id="orange:o3-hist2+fwd-peak"),
    pytest.param([v(o3=265.1), v(o3=216)], [v(o3=216)], None, id="none:o3-peak-only-on-hist"),
]


@pytest.mark.parametrize(("history", "forward", "expected"), LEVEL_CASES)
def test_level_table(
    history: list[dict[str, Any]], forward: list[dict[str, Any]], expected: str | None
) -> None:
    """Rules §2 clauses (strict > except AQI >= 500, §1) with §4.1 step 4.

    Hand-working is in each case's comment/id; e.g. ``orange:hist-320+fwd-250x2``:
    the AQI>200 run is 3 days long (history counts) -> orange; its only AQI>300
    day is a history day, so the red clause lacks a forward peak -> orange.
    """
    days = [*hist(*history), *fwd(*forward)]
    assert level_of(days) == expected


def test_pm25_peak_150_gives_no_orange_finding_even_with_aqi() -> None:
    """§2 orange PM2.5 clause in isolation: PM2.5 150 is not > 150.

    With HJ 633 AQIs (PM2.5 116 -> IAQI 152, 150 -> 200): no AQI>200 day, so
    no AQI clause; the PM2.5-orange finding must be absent. With 150.1 the
    IAQI is 200.1 -> 201, so yellow by AQI and orange by PM2.5 -> orange.
    """
    at = fwd(v(aqi=152, pm25=116), v(aqi=200, pm25=150), v(aqi=152, pm25=116))
    assert not any(f.level == "orange" for f in findings(at))
    assert level_of(at) is None
    above = fwd(v(aqi=152, pm25=116), v(aqi=201, pm25=150.1), v(aqi=152, pm25=116))
    assert {(f.level, f.clause) for f in findings(above)} >= {("orange", "pm25"), ("yellow", "aqi")}
    assert level_of(above) == "orange"


# ---------------------------------------------------------------------------
# §4.1 step 3 episodes and merging; §4 "Episode merging" Decision.
# Expected: list of (start offset, end offset, level) from BASE.
# ---------------------------------------------------------------------------
A = v(aqi=250)
EPISODE_CASES = [
    # one non-heavy day between two runs -> one episode; levels yellow and yellow
    pytest.param([], [A, CLEAN, A], [(0, 2, "yellow")], id="gap-1-day:one-episode"),
    # two non-heavy days -> two episodes
    pytest.param([], [A, CLEAN, CLEAN, A], [(0, 0, "yellow"), (3, 3, "yellow")], id="gap-2-days"),
    # durations not added across the gap (Decision §4): 2 + 1 AQI>200 days -> yellow, not orange
    pytest.param([], [A, A, CLEAN, A], [(0, 3, "yellow")], id="gap-1:durations-not-added"),
    # merged level = highest of parts: orange (3-run) + yellow -> orange, either order
    pytest.param([], [A, A, A, CLEAN, A], [(0, 4, "orange")], id="merge:orange-then-yellow"),
    pytest.param([], [A, CLEAN, A, A, A], [(0, 4, "orange")], id="merge:yellow-then-orange"),
    pytest.param(
        [],
        [A, CLEAN, v(aqi=350), A, A],
        [(0, 4, "red")],
        id="merge:yellow-then-red",
    ),
    # a part with no level (PM2.5 run 1, no hourly) merged with a yellow part -> yellow
    pytest.param([], [v(pm25=116), CLEAN, A], [(0, 2, "yellow")], id="merge:none-part+yellow-part"),
    # extended back through contiguous heavy history days; run of 3 counting history -> orange
    pytest.param([CLEAN, A, A], [A, CLEAN, CLEAN], [(-2, 0, "orange")], id="extends-into-history"),
    # history-only heavy days, clean forward window -> no episode
    pytest.param([A, A, A], [CLEAN, CLEAN], [], id="history-only:no-episode"),
    pytest.param([A, A, A], [CLEAN], [], id="history-only+1-clean-fwd:no-episode"),
    # history run, one clean forward day, heavy forward day -> one episode (gap of 1)
    # history part has no forward day, so contributes no level; forward part alone -> yellow
    pytest.param([A, A], [CLEAN, A], [(-2, 1, "yellow")], id="hist-run+gap-1+fwd:merged"),
    # history run, two clean days (1 hist + 1 fwd) -> separate; only the forward one is reported
    pytest.param([A, A, CLEAN], [CLEAN, A], [(1, 1, "yellow")], id="hist-run+gap-2:separate"),
    # a day heavy by PM2.5 only keeps the episode contiguous
    pytest.param([], [A, v(pm25=116), A], [(0, 2, "yellow")], id="pm25-heavy-day-joins"),
    # three runs each separated by one day -> one episode; a 3-run part -> orange
    pytest.param([], [A, CLEAN, A, CLEAN, A, A, A], [(0, 6, "orange")], id="chain-of-three-parts"),
]


@pytest.mark.parametrize(("history", "forward", "expected"), EPISODE_CASES)
def test_episode_table(
    history: list[dict[str, Any]],
    forward: list[dict[str, Any]],
    expected: list[tuple[int, int, str | None]],
) -> None:
    """Rules §4.1 step 3 (episodes, one-day-gap merging) and step 4 (merged level =
    highest of its parts), §4 'Episode merging' Decision (no adding durations)."""
    found = episodes(hist(*history), fwd(*forward))
    assert [(e.start, e.end, e.level) for e in found] == [
        (d(s), d(e), level) for s, e, level in expected
    ]


# ---------------------------------------------------------------------------
# §2 Decision: the episode's primary pollutant.
# ---------------------------------------------------------------------------
PM, O3 = ("PM2.5",), ("O3",)
POLLUTANT_CASES = [
    # AQI clause gives yellow; highest-AQI forward day (250) has primary O3 -> O3
    pytest.param([], [v(aqi=230, primary=PM), v(aqi=250, primary=O3)], "O3", id="aqi:top-day-O3"),
    pytest.param([], [v(aqi=250, primary=PM), v(aqi=230, primary=O3)], "PM2.5", id="aqi:top-PM"),
    # tie on AQI 250: earliest day decides
    pytest.param(
        [], [v(aqi=250, primary=PM), v(aqi=250, primary=O3)], "PM2.5", id="aqi:tie-PM-1st"
    ),
    pytest.param([], [v(aqi=250, primary=O3), v(aqi=250, primary=PM)], "O3", id="aqi:tie-O3-first"),
    # O3 tied with another pollutant on the day -> PM2.5
    pytest.param([], [v(aqi=250, primary=("O3", "PM2.5"))], "PM2.5", id="aqi:O3+PM2.5-tie"),
    pytest.param([], [v(aqi=250, primary=("PM2.5", "O3"))], "PM2.5", id="aqi:PM2.5+O3-tie"),
    # every other pollutant counts as PM2.5
    pytest.param([], [v(aqi=250, primary=("PM10",))], "PM2.5", id="aqi:PM10->PM2.5"),
    pytest.param([], [v(aqi=250, primary=("NO2",))], "PM2.5", id="aqi:NO2->PM2.5"),
    # only forward days count: history AQI 320 O3 is ignored; orange by AQI run 3
    pytest.param(
        [v(aqi=320, primary=O3)],
        [v(aqi=250, primary=PM), v(aqi=250, primary=PM)],
        "PM2.5",
        id="aqi:history-top-day-ignored",
    ),
    # AQI (orange run 3) and PM2.5 (run 3 with 151) and O3 (run 3 with 300) all give orange;
    # AQI clause gives the level -> top AQI day primary O3 (HJ633: O3 300 -> 207, PM 151 -> 201)
    pytest.param(
        [],
        [v(aqi=207, pm25=120, o3=300, primary=O3)] * 3,
        "O3",
        id="aqi-and-pm25-clauses:aqi-wins",
    ),
    # PM2.5 clause gives orange, AQI clause only yellow -> PM2.5 even though top AQI day is O3
    pytest.param(
        [],
        [v(pm25=116), v(aqi=210, pm25=151, primary=O3), v(pm25=116)],
        "PM2.5",
        id="pm25-orange-over-aqi-yellow",
    ),
    # O3 clause gives orange, AQI clause only yellow -> O3 even if top AQI day is PM2.5
    pytest.param(
        [],
        [v(o3=216), v(aqi=210, o3=266, primary=PM), v(o3=216)],
        "O3",
        id="o3-orange-over-aqi-yellow",
    ),
    # yellow by the PM2.5 short-term clause only -> PM2.5; by the O3 one only -> O3
    pytest.param([], [v(pm25=116, hourly=250), v(pm25=116)], "PM2.5", id="pm25-yellow-only"),
    pytest.param([], [v(o3=216, hourly=250), v(o3=216)], "O3", id="o3-yellow-only"),
    # both PM2.5 and O3 clauses give orange, no AQI clause -> PM2.5
    pytest.param(
        [],
        [v(pm25=116, o3=216), v(pm25=151, o3=266), v(pm25=116, o3=216)],
        "PM2.5",
        id="pm25-and-o3-clauses:pm25",
    ),
]


@pytest.mark.parametrize(("history", "forward", "expected"), POLLUTANT_CASES)
def test_episode_pollutant_table(
    history: list[dict[str, Any]], forward: list[dict[str, Any]], expected: str
) -> None:
    """Rules §2 Decision on the primary pollutant (AQI clause -> primary of the
    highest-AQI forward day, earliest on a tie, O3 alone -> O3 else PM2.5;
    otherwise PM2.5 clause -> PM2.5, else O3)."""
    days = [*hist(*history), *fwd(*forward)]
    level = level_of(days)
    assert level is not None
    assert episode_pollutant(days, level) == expected
    (episode,) = episodes(hist(*history), fwd(*forward))
    assert episode.pollutant == expected
