"""The nationwide cycle: 3,000 areas (31 regions and 2,969 districts, registered at
start-up from an areas file) each with a 7-day forecast, posted in batches; timed from the
first POST to the last warning.changed.v1 it causes.

How many warning changes to wait for comes from the pure domain (the alerting service's
own rules applied to each forecast); the run also waits for the alerting consumer group
to have no lag and its outbox to be empty, and reports what it saw."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import httpx

from bench.kafka_tools import WarningWatch, group_lag
from bench.stack import Stack, backlog
from bench.workload import CLEAN, FORECASTER, ORANGE, RED, YELLOW, forecast
from services.alerting.domain.decision import decide, split_window
from services.alerting.domain.regions import rule_day
from shared.contracts.payloads import DayValues

REGIONS = 31
DISTRICTS = 2969
BATCH = 250
#: district i's forecast, by i mod 10: four clean, three yellow, two orange, one red
PATTERN = (CLEAN,) * 4 + (YELLOW,) * 3 + (ORANGE,) * 2 + (RED,)


def region_code(r: int) -> str:
    return f"nw-r{r:02d}"


def district_code(i: int) -> str:
    return f"nw-{i:04d}"


def areas_document() -> dict[str, Any]:
    return {
        "regions": [
            {"code": region_code(r), "name_zh": f"区域{r:02d}", "name_en": f"Region {r:02d}"}
            for r in range(REGIONS)
        ],
        "districts": [
            {
                "code": district_code(i),
                "name_zh": f"区县{i:04d}",
                "name_en": f"County {i:04d}",
                "region": region_code(i % REGIONS),
            }
            for i in range(DISTRICTS)
        ],
    }


def write_areas(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(areas_document(), ensure_ascii=False), encoding="utf-8")
    return path


def bodies(issued_at: dt.datetime) -> list[dict[str, object]]:
    """Regions first (clean, their own: nothing is derived), then every district."""
    made = [forecast(region_code(r), issued_at, CLEAN) for r in range(REGIONS)]
    made += [forecast(district_code(i), issued_at, PATTERN[i % 10]) for i in range(DISTRICTS)]
    return made


def expected_changes(made: list[dict[str, object]]) -> int:
    """Warning changes the forecasts call for, by the alerting domain on an empty history."""
    count = 0
    for body in made:
        days = [DayValues.model_validate(day) for day in body["days"]]  # type: ignore[attr-defined]
        issued = dt.datetime.fromisoformat(str(body["issued_at"]))
        history, forward = split_window([rule_day(d) for d in days], issued, {d.date for d in days})
        count += len(decide(None, history, forward, forecast_id="expected"))
    return count


async def run(
    running: Stack, client: httpx.AsyncClient, *, concurrency: int = 3, idle_limit: float = 30.0
) -> dict[str, Any]:
    watch = WarningWatch(running.kafka)
    await watch.start()
    try:
        made = bodies(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5))
        expected = expected_changes(made)
        url = f"{running.urls['forecast']}/forecast/forecasts/batch"
        batches = [made[i : i + BATCH] for i in range(0, len(made), BATCH)]
        gate = asyncio.Semaphore(concurrency)
        accepted: list[float] = []

        async def post(batch: list[dict[str, object]]) -> None:
            async with gate:
                answer = await client.post(url, json={"forecasts": batch}, headers=FORECASTER)
                answer.raise_for_status()
                accepted.append(time.perf_counter())

        started = time.perf_counter()
        await asyncio.gather(*(post(batch) for batch in batches))
        await _settle(running, watch, expected, idle_limit)
        ours = [c for c in watch.changes if c.area.startswith("nw-")]
        last = max((c.at for c in ours), default=started)
        return {
            "areas": len(made),
            "days_per_area": 7,
            "batches": len(batches),
            "seconds_to_accept_all": max(accepted) - started,
            "expected_changes": expected,
            "changes": len(ours),
            "actions": _count(c.action for c in ours),
            "seconds_to_last_change": last - started,
        }
    finally:
        await watch.stop()


async def _settle(running: Stack, watch: WarningWatch, expected: int, idle_limit: float) -> None:
    """Until the expected changes are out and alerting has nothing left in hand, or
    nothing new came for ``idle_limit`` seconds."""
    seen, progress = -1, time.perf_counter()
    while True:
        count = len(watch.changes)
        if count >= expected:
            lag = (await group_lag(running.kafka)).get("airwarn.alerting.record-forecast", 0)
            if lag == 0 and (await backlog(running))["alerting_outbox"] == 0:
                await asyncio.sleep(1.0)  # a straggler the lag check raced
                return
        if count != seen:
            seen, progress = count, time.perf_counter()
        elif time.perf_counter() - progress > idle_limit:
            return
        await asyncio.sleep(0.25)


def _count(actions: Any) -> dict[str, int]:
    counted: dict[str, int] = {}
    for action in actions:
        counted[action] = counted.get(action, 0) + 1
    return counted
