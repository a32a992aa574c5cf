"""The pipeline run: forecasts posted over HTTP, one per district per cycle, each cycle
turning every district's warning on (orange) or off, so that every forecast causes exactly
one warning change and one bulletin; the bulletins arrive at the webhook sink.

Latency is from the forecast service's answer to the POST (the forecast accepted) to the
sink receiving the bulletin of the warning it caused (joined through the warning's
``cause_ref`` read off warning.changed.v1). Regions get a clean forecast of their own
first, so they are not derived from their members (rules §3) and warn on nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.kafka_tools import WarningWatch
from bench.sink import Sink
from bench.stack import Stack
from bench.timing import percentile
from bench.workload import CLEAN, FORECASTER, OFFICE, ORANGE, forecast
from shared.areas import CHONGQING


@dataclass(frozen=True)
class Posted:
    forecast_id: str
    area: str
    issued_at: dt.datetime
    sent: float
    accepted: float


@dataclass
class Feed:
    posted: dict[str, Posted] = field(default_factory=dict)
    by_issue: dict[tuple[str, dt.datetime], Posted] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    locks: dict[str, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))
    cycle_of: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    async def post(self, client: httpx.AsyncClient, url: str, area: str) -> None:
        # One request in flight per area, so an area's forecasts are issued and accepted in
        # order and none is dropped as older than the one before it (rules §4.1 step 1).
        async with self.locks[area]:
            cycle = self.cycle_of[area]
            self.cycle_of[area] += 1
            issued_at = dt.datetime.now(dt.UTC)
            body = forecast(area, issued_at, ORANGE if cycle % 2 == 0 else CLEAN)
            sent = time.perf_counter()
            answer = await client.post(url, json=body, headers=FORECASTER)
            accepted = time.perf_counter()
        if answer.status_code != 201:
            self.refused.append(f"{area}: HTTP {answer.status_code} {answer.text[:200]}")
            return
        forecast_id = answer.json()["forecast_id"]
        posted = Posted(forecast_id, area, issued_at, sent, accepted)
        self.posted[forecast_id] = posted
        self.by_issue[(area, issued_at)] = posted


def districts() -> list[str]:
    return [code for code, area in CHONGQING.items() if area.kind == "district"]


async def prepare(client: httpx.AsyncClient, stack: Stack, sink: Sink) -> None:
    """Subscribe the sink to every area and give each region its own clean forecast."""
    made = await client.post(
        f"{stack.urls['notify']}/notify/subscriptions",
        headers=OFFICE,
        json={
            "name": "bench sink",
            "channel": "webhook",
            "address": sink.url,
            "areas": ["all"],
            "secret": "whsec_" + "YmVuY2gtc2luay1zaWduaW5nLWtleS0zMi1ieXRlcyE=",
        },
    )
    made.raise_for_status()
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    for code, area in CHONGQING.items():
        if area.kind == "region":
            answer = await client.post(
                f"{stack.urls['forecast']}/forecast/forecasts",
                json=forecast(code, now, CLEAN),
                headers=FORECASTER,
            )
            answer.raise_for_status()


async def paced(client: httpx.AsyncClient, url: str, rate: float, seconds: float) -> Feed:
    """Open loop: forecast i is sent at i / rate, whatever happened to the ones before."""
    feed = Feed()
    areas = districts()
    total = int(rate * seconds)
    started = time.perf_counter()
    tasks = []
    for i in range(total):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(feed.post(client, url, areas[i % len(areas)])))
    await asyncio.gather(*tasks)
    return feed


async def flat_out(client: httpx.AsyncClient, url: str, cycles: int) -> Feed:
    """Closed loop: every district posts its next forecast as soon as the last is accepted."""
    feed = Feed()

    async def chain(area: str) -> None:
        for _ in range(cycles):
            await feed.post(client, url, area)

    await asyncio.gather(*(chain(area) for area in districts()))
    return feed


async def wait_for_bulletins(
    feed: Feed, sink: Sink, watch: WarningWatch, *, idle_limit: float, drain_limit: float
) -> None:
    """Until every accepted forecast's bulletin has arrived, nothing arrived for
    ``idle_limit`` seconds, or ``drain_limit`` seconds have passed."""
    last_progress, seen = time.perf_counter(), -1
    give_up = last_progress + drain_limit
    while True:
        done = len(delivered(feed, sink, watch))
        if done >= len(feed.posted) or time.perf_counter() > give_up:
            return
        if done != seen:
            last_progress, seen = time.perf_counter(), done
        elif time.perf_counter() - last_progress > idle_limit:
            return
        await asyncio.sleep(0.2)


def delivered(feed: Feed, sink: Sink, watch: WarningWatch) -> dict[str, float]:
    """Forecast id → when the first bulletin it caused reached the sink. A warning names
    the forecast behind it by area and issue time (``cause_at``): a lift has no
    ``cause_ref``, since no forecast level is its target."""
    first: dict[str, float] = {}
    for warning_id, received in sink.by_warning.items():
        change = watch.by_warning.get(warning_id)
        posted = None if change is None else feed.by_issue.get((change.area, change.cause_at))
        if posted is None:
            continue
        at = first.get(posted.forecast_id)
        first[posted.forecast_id] = received.at if at is None else min(at, received.at)
    return first


def summary(feed: Feed, sink: Sink, watch: WarningWatch) -> dict[str, Any]:
    arrivals = delivered(feed, sink, watch)
    latencies = [arrivals[f] - feed.posted[f].accepted for f in arrivals]
    posts = [p.accepted - p.sent for p in feed.posted.values()]
    first_sent = min((p.sent for p in feed.posted.values()), default=0.0)
    last_sent = max((p.sent for p in feed.posted.values()), default=0.0)
    last_arrival = max(arrivals.values(), default=first_sent)
    elapsed = last_arrival - first_sent
    result: dict[str, Any] = {
        "forecasts_accepted": len(feed.posted),
        "forecasts_refused": len(feed.refused),
        "refusals": feed.refused[:5],
        "bulletins_received": len(sink.received),
        "forecasts_delivered": len(arrivals),
        "feed_seconds": last_sent - first_sent,
        "feed_rate": (len(feed.posted) - 1) / (last_sent - first_sent)
        if last_sent > first_sent
        else None,
        "seconds_to_last_delivery": elapsed,
        "throughput_forecasts_per_s": len(arrivals) / elapsed if elapsed > 0 else None,
        "post_ms": _percentiles(posts),
        "latency_ms": _percentiles(latencies),
    }
    return result


def _percentiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "p50": percentile(values, 50) * 1000,
        "p95": percentile(values, 95) * 1000,
        "p99": percentile(values, 99) * 1000,
        "max": max(values) * 1000,
    }
