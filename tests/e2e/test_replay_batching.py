"""Feeding the same events in any batching gives the same decisions.

Whether the pipeline settles after every event or takes several at once, each
area's events keep their order on the bus and every handler is idempotent, so
each area's warnings are the same.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import defaultdict
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.replay import parse_scenario, replay

AREAS = ("500103", "500101", "500114")  # one per region: no derived region series
CST = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2023, 1, 5, 9, tzinfo=CST)

forecasts = st.lists(
    st.tuples(
        st.sampled_from(AREAS),
        st.integers(min_value=1, max_value=30),  # hours after the previous forecast
        st.lists(st.sampled_from([40.0, 100.0, 120.0, 160.0, 260.0]), min_size=2, max_size=5),
    ),
    min_size=2,
    max_size=10,
)


def scenario_of(items: list[tuple[str, int, list[float]]]) -> str:
    events = []
    at = START
    for area, hours, values in items:
        at += dt.timedelta(hours=hours)
        day0 = at.date()
        events.append(
            {
                "type": "forecast",
                "area": area,
                "issued_at": at.isoformat(),
                "days": [
                    {"date": (day0 + dt.timedelta(days=i)).isoformat(), "pm25": v}
                    for i, v in enumerate(values)
                ],
            }
        )
    return json.dumps({"events": events})


def by_area(lines: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Each area's warning lines and task lines, each in their own order."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        grouped[(line["area"], line["kind"])].append(line)
    return dict(grouped)


async def both(text: str, cuts: list[bool]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    one_by_one: list[dict[str, Any]] = []
    batched: list[dict[str, Any]] = []
    await replay(parse_scenario(text), auto_approve=True, emit=one_by_one.append)
    await replay(
        parse_scenario(text),
        auto_approve=True,
        emit=batched.append,
        settle_after=lambda i: cuts[i % len(cuts)],
    )
    return one_by_one, batched


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forecasts, st.lists(st.booleans(), min_size=1, max_size=5))
def test_batching_changes_no_area_decision(
    items: list[tuple[str, int, list[float]]], cuts: list[bool]
) -> None:
    one_by_one, batched = asyncio.run(both(scenario_of(items), cuts))
    assert by_area(batched) == by_area(one_by_one)
