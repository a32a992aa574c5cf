"""The fault suite's input and what it is judged by.

Input: a fixed stream of forecasts that takes a few districts through yellow, orange
and red and back (rules §2, §4.1 steps 5–6), auto-approved so warnings, tasks and
bulletins flow without a person. Every test has its own districts and its own
(event-time) day, so one stack serves the whole suite and no test sees another's
areas, and no region ever has the two thirds of fresh members it would need for a
derived series of its own (rules §4.1 step 8).

Judge: the same stream replayed on the embedded system (in-memory bus, SQLite, one
process) gives the expected :class:`Outcome`; after a fault the stack must reach it
exactly, with nothing missing and nothing twice, and stay there once quiescent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.app import build_app
from shared.bus.memory import InMemoryBus
from shared.runtime import ServiceRuntime
from shared.settings import SERVICE_NAMES, load_settings
from tests.conftest import eventually

CST = dt.timezone(dt.timedelta(hours=8))
OFFICE = {"authorization": "Bearer dev-office-duty"}

#: PM2.5 (µg/m³) for the issue day and the four after it, one forecast per row
PROFILE: tuple[tuple[float, ...], ...] = (
    (90, 160, 100, 60, 60),  # one day AQI 210: yellow (§2)
    (90, 160, 170, 130, 60),  # three days > 115, one > 150: orange, an upgrade
    (90, 260, 270, 260, 90),  # three days AQI > 200, one > 300: red, an upgrade
    (90, 170, 160, 130, 60),  # back to orange: a downgrade (§4.1 step 6, g = 1)
    (60, 60, 50, 40, 40),  # two clean days ahead and more: lift (g ≥ 2)
)

#: settings both the embedded replay and the stack run with: approvals at once, and
#: the wall-clock jobs (duty watch, baselines, reminders) out of the way of the input
COMMON_SETTINGS: dict[str, object] = {
    "alerting_auto_approve": True,
    "duty_check_seconds": 3600,
    "baseline_every_seconds": 3600,
    "reminder_check_seconds": 3600,
}


@dataclass(frozen=True)
class Stream:
    """One test's input: ``PROFILE`` for each of ``areas``, issued on ``day`` hour by hour."""

    areas: tuple[str, ...]
    day: dt.date

    def forecasts(self) -> list[dict[str, Any]]:
        made = []
        for step, values in enumerate(PROFILE):
            issued = dt.datetime.combine(self.day, dt.time(8 + step), CST)
            for area in self.areas:
                made.append(
                    {
                        "area": area,
                        "source": "fault-suite",
                        "issued_at": issued.isoformat(),
                        "days": [
                            {"date": (self.day + dt.timedelta(days=i)).isoformat(), "pm25": v}
                            for i, v in enumerate(values)
                        ],
                    }
                )
        return made


#: each test's stream: disjoint districts (one per region), days a week apart
STREAMS: dict[str, Stream] = {
    name: Stream(areas, dt.date(2025, 1, 6) + dt.timedelta(days=7 * index))
    for index, (name, areas) in enumerate(
        {
            "crash-forecast": ("500103", "500101", "500114"),
            "crash-alerting": ("500104", "500154", "500156"),
            "crash-response": ("500105", "500155", "500240"),
            "crash-notify": ("500106", "500229", "500241"),
            "broker-restart": ("500107", "500230", "500242"),
            "postgres-restart": ("500108", "500231", "500243"),
            "webhook-down": ("500109", "500233", "500235"),
            "poison": ("500112", "500236", "500237"),
        }.items()
    )
}


@dataclass
class Outcome:
    """What the system did with a stream, by stable identities (warning and bulletin
    ids are random; episode and task ids are derived from event time)."""

    warnings: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    responses: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    tasks: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    bulletins: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    bulletin_ids: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def comparable(self) -> tuple[Counter[tuple[Any, ...]], ...]:
        return (self.warnings, self.responses, self.tasks, self.bulletins)

    def matches(self, other: Outcome) -> bool:
        return self.comparable() == other.comparable()

    def difference(self, expected: Outcome) -> str:
        """What is missing and what is extra (or twice), per kind."""
        lines = []
        for kind in ("warnings", "responses", "tasks", "bulletins"):
            got: Counter[tuple[Any, ...]] = getattr(self, kind)
            want: Counter[tuple[Any, ...]] = getattr(expected, kind)
            missing, extra = want - got, got - want
            if missing or extra:
                lines.append(
                    f"{kind}: missing {sorted(missing.elements())[:5]} ({sum(missing.values())})"
                )
                lines.append(
                    f"{kind}: extra {sorted(extra.elements())[:5]} ({sum(extra.values())})"
                )
        return "\n".join(lines) or "no difference"

    def duplicates(self) -> list[tuple[Any, ...]]:
        return [key for counter in self.comparable() for key, count in counter.items() if count > 1]

    def size(self) -> str:
        return (
            f"{sum(self.warnings.values())} warnings, {sum(self.tasks.values())} tasks, "
            f"{sum(self.bulletins.values())} bulletins"
        )


async def collect(
    client: httpx.AsyncClient, urls: Mapping[str, str], areas: tuple[str, ...]
) -> Outcome:
    """The outcome for ``areas``, read over each service's HTTP API."""
    made = Outcome()
    for area in areas:
        history = await _json(client, f"{urls['alerting']}/alerting/history/{area}")
        made.warnings.update(
            (p["area"], p["action"], p["level"], p["previous"], p["episode_id"], p["cause_at"])
            for p in history
            if p["status"] == "approved"
        )
        responses = await _json(client, f"{urls['response']}/response/responses?area={area}")
        made.responses.update(
            (
                r["area"],
                r["episode_id"],
                r["warning_level"],
                r["response_level"],
                tuple(r["actions"]),
                r["closed_at"] is None,
            )
            for r in responses
        )
        tasks = await _json(client, f"{urls['response']}/response/tasks?area={area}")
        made.tasks.update(  # not by task_id: a report task's carries the random warning id
            (
                t["episode_id"],
                t["measure_id"],
                t["unit"],
                t["level"],
                t["status"],
                t["kind"],
                t["due"],
                t["note"],
            )
            for t in tasks
        )
        bulletins = await _json(client, f"{urls['notify']}/notify/bulletins?area={area}&limit=1000")
        for b in bulletins:
            key = (b["area"], b["episode_id"], b["msg_type"], b["level"], len(b["references"]))
            made.bulletins[key] += 1
            made.bulletin_ids[b["bulletin_id"]] = key
    return made


async def _json(client: httpx.AsyncClient, url: str) -> Any:
    response = await client.get(url, headers=OFFICE)
    response.raise_for_status()
    return response.json()


async def post_forecast(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], *, timeout: float = 120
) -> None:
    """POST one forecast until it is accepted: a resend of the same forecast is a no-op
    (same source, area and issue time), so retrying across a crash is safe."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = ""
    while loop.time() < deadline:
        try:
            response = await client.post(f"{url}/forecast/forecasts", json=body, headers=OFFICE)
        except httpx.TransportError as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code in (200, 201):
                return
            if response.status_code < 500:
                pytest.fail(f"forecast refused: {response.status_code} {response.text}")
            last = f"HTTP {response.status_code}"
        await asyncio.sleep(0.2)
    pytest.fail(f"forecast for {body['area']} not accepted in {timeout}s: {last}")


class Feeder:
    """Posts a stream's forecasts in order, a little apart, as a background task;
    ``sent`` counts those accepted so a test can strike mid-stream."""

    def __init__(
        self, client: httpx.AsyncClient, url: str, stream: Stream, pace: float = 0.15
    ) -> None:
        self.sent = 0
        self.total = len(stream.forecasts())
        self._client, self._url, self._stream, self._pace = client, url, stream, pace
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="fault-suite feeder")

    async def _run(self) -> None:
        for body in self._stream.forecasts():
            await post_forecast(self._client, self._url, body)
            self.sent += 1
            await asyncio.sleep(self._pace)

    async def reached(self, count: int, timeout: float = 120) -> None:
        await eventually(
            lambda: self.sent >= count or (self.task is not None and self.task.done()),
            timeout=timeout,
            what=f"{count} forecasts accepted",
        )
        if self.task is not None and self.task.done():
            self.task.result()

    async def finish(self, timeout: float = 180) -> None:
        assert self.task is not None
        await asyncio.wait_for(self.task, timeout)


async def replay_embedded(stream: Stream) -> Outcome:
    """The expected outcome: ``stream`` through the embedded system."""
    with tempfile.TemporaryDirectory(prefix="airwarn-faults-") as tmp:
        settings = load_settings(
            bus="memory", var_dir=Path(tmp), outbox_poll_seconds=0.02, **COMMON_SETTINGS
        )
        app = build_app(settings, SERVICE_NAMES)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://airwarn") as client,
        ):
            urls = {name: "http://airwarn" for name in SERVICE_NAMES}
            for body in stream.forecasts():
                await post_forecast(client, urls["forecast"], body)
            await _embedded_quiet(app.state.bus, list(app.state.runtimes.values()))
            return await collect(client, urls, stream.areas)


async def _embedded_quiet(bus: InMemoryBus, runtimes: list[ServiceRuntime[Any]]) -> None:
    """Every message handled and every outbox empty, twice in a row."""
    calm = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120
    while calm < 2:
        if loop.time() > deadline:
            pytest.fail("the embedded replay did not settle in 120 s")
        await asyncio.sleep(0.05)
        backlog = [await rt.relay.backlog() for rt in runtimes if rt.relay is not None]
        calm = calm + 1 if bus.unhandled() == 0 and not any(backlog) else 0
