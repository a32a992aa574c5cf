"""The benchmark's own arithmetic and inputs: what `make bench` reports must be right even
though the run itself is not a test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from bench import nationwide, report
from bench.timing import percentile
from bench.workload import CLEAN, ORANGE, RED, YELLOW, forecast
from shared import areas


@pytest.fixture(autouse=True)
def chongqing_again() -> Iterator[None]:
    yield
    areas.reset()


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([3.0], 99) == 3.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_each_workload_shape_gives_its_level() -> None:
    issued = dt.datetime(2026, 1, 10, 2, tzinfo=dt.UTC)
    counts = {
        name: nationwide.expected_changes([forecast("500103", issued, shape)])
        for name, shape in (("clean", CLEAN), ("yellow", YELLOW), ("orange", ORANGE), ("red", RED))
    }
    assert counts == {"clean": 0, "yellow": 1, "orange": 1, "red": 1}


def test_the_nationwide_cycle_is_3000_registrable_areas() -> None:
    document = nationwide.areas_document()
    registered = areas.register(areas.parse_areas(document))
    assert registered == 3000 == nationwide.REGIONS + nationwide.DISTRICTS
    made = nationwide.bodies(dt.datetime(2026, 1, 10, 2, tzinfo=dt.UTC))
    assert len(made) == 3000 and all(len(b["days"]) == 7 for b in made)  # type: ignore[arg-type]
    # six districts in ten warn (rules §2): 2969 districts → 1781
    assert nationwide.expected_changes(made) == 1781


def test_the_report_says_met_or_missed_against_each_target() -> None:
    results = {
        "machine": {"cpus": 2, "load_average_at_start": [1.0, 1.0, 1.0]},
        "max": {"throughput_forecasts_per_s": 300.0},
        "relay": {"messages_per_s": 1000.0},
        "nationwide": {
            "seconds_to_last_change": 12.5,
            "areas": 3000,
            "changes": 5,
            "expected_changes": 5,
        },
    }
    table = report.markdown(results)
    assert "| pipeline / bare relay | 30.00% | ≥ 30 % | met |" in table
    assert "| 12.5 s | < 10 s | **missed** |" in table


def test_the_report_says_what_a_commit_survived() -> None:
    machine = {"cpus": 2, "load_average_at_start": [1.0, 1.0, 1.0]}
    on = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
    durable = report.markdown({"machine": machine, "durability": on})
    assert "synchronous_commit = on" in durable and "(production durability)" in durable
    flattering = report.markdown({"machine": machine, "durability": {**on, "fsync": "off"}})
    assert "fsync = off" in flattering and "NOT durable" in flattering
