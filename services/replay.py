"""`airwarn replay`: run a scenario through the whole pipeline, in one process, on the
embedded default, and print one JSON line per outcome.

The duty office uses it to rehearse and to audit: the same scenario always gives
the same lines, since every decision is driven by event time (rules §4).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from services.app import build_app
from services.forecast.domain.model import check_forecast
from shared.areas import AREAS
from shared.bus.memory import InMemoryBus
from shared.contracts.envelope import decode
from shared.contracts.payloads import (
    BulletinPublished,
    DayValues,
    ResponseTasks,
    SupportedDate,
    SupportedTime,
    TaskChange,
    WarningChanged,
)
from shared.contracts.strict import StrictModel
from shared.contracts.topics import BULLETIN_PUBLISHED, RESPONSE_TASKS, WARNING_CHANGED
from shared.errors import Rejected
from shared.settings import SERVICE_NAMES, load_settings

LOCAL = ZoneInfo("Asia/Shanghai")
OFFICE_TOKEN = "dev-office-duty"
#: forecasts and observations come from the forecasting bureau (see shared.auth)
FORECAST_TOKEN = "dev-unit-ecology-environment-bureau"


def _known_area(value: str) -> str:
    if value not in AREAS:
        raise ValueError(f"unknown area code {value!r}")
    return value


class _Event(StrictModel):
    """Strict (shared.contracts.strict): a concentration is a JSON number, a time an
    RFC 3339 string with an offset, as in the HTTP API the events go to."""

    area: str
    _area = field_validator("area")(_known_area)


class ForecastEvent(_Event):
    type: Literal["forecast"]
    issued_at: SupportedTime
    source: str = "scenario"
    days: list[DayValues] = Field(min_length=1)


class ObservationEvent(_Event):
    # the day's values, validated (strictly) as DayValues by observation_day
    model_config = ConfigDict(extra="allow")

    type: Literal["observation"]
    date: SupportedDate
    source: str = "scenario"


class AdvisoryEvent(_Event):
    type: Literal["advisory"]
    level: Literal["yellow", "orange", "red"]
    issuer: str = Field(min_length=1)
    issued_at: SupportedTime
    start: SupportedDate
    end: SupportedDate
    pollutant: Literal["PM2.5", "O3"] | None = None


ScenarioEvent = Annotated[
    ForecastEvent | ObservationEvent | AdvisoryEvent, Field(discriminator="type")
]


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[ScenarioEvent]


class ScenarioError(ValueError):
    """A scenario that cannot be replayed; names the event index and the field."""


def observation_day(event: ObservationEvent) -> DayValues:
    values = {k: v for k, v in (event.model_extra or {}).items()}
    return DayValues.model_validate({"date": event.date, **values})


def observation_issued_at(event: ObservationEvent) -> dt.datetime:
    """An observation of a day is known when the day is over (local time)."""
    return dt.datetime.combine(event.date + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL)


def parse_scenario(text: str) -> Scenario:
    """Validate every event before anything is applied."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"not JSON: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("events"), list):
        raise ScenarioError('a scenario is an object with a list "events"')
    events: list[Any] = []
    adapter: TypeAdapter[Any] = TypeAdapter(ScenarioEvent)
    now = dt.datetime.now(dt.UTC)
    for index, item in enumerate(raw["events"]):
        try:
            event = adapter.validate_python(item)
            if isinstance(event, ForecastEvent):
                check_forecast(
                    area=event.area,
                    kind="forecast",
                    issued_at=event.issued_at,
                    days=tuple(event.days),
                    now=now,
                )
            elif isinstance(event, ObservationEvent):
                check_forecast(
                    area=event.area,
                    kind="observation",
                    issued_at=observation_issued_at(event),
                    days=(observation_day(event),),
                    now=now,
                )
            elif event.end < event.start:
                raise Rejected("end: the advisory ends before it starts")
        except ValidationError as exc:
            first = exc.errors()[0]
            tag = item.get("type") if isinstance(item, dict) else None
            raise ScenarioError(
                f"event {index}: {_field(first['loc'], tag)}: {first['msg']}"
            ) from exc
        except Rejected as exc:
            raise ScenarioError(f"event {index}: {exc}") from exc
        events.append(event)
    return Scenario.model_construct(events=events)


def _field(loc: tuple[int | str, ...], tag: object) -> str:
    """``days[0].pm25``, without the union's tag that pydantic puts first."""
    parts = list(loc[1:] if loc and loc[0] == tag else loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "type"


def warning_line(change: WarningChanged) -> dict[str, Any]:
    return {
        "kind": "warning",
        "area": change.area,
        "action": change.action,
        "level": change.level or "none",
        "response": change.response_level,
        "previous": change.previous_level or "none",
        "primary_pollutant": change.primary_pollutant,
        "cause": change.cause,
        "at": change.cause_at.astimezone(LOCAL).isoformat(),
        "episode_start": change.episode_start.isoformat(),
        "late": change.late,
    }


def bulletin_line(bulletin: BulletinPublished) -> dict[str, Any]:
    return {
        "kind": "bulletin",
        "area": bulletin.area,
        "level": bulletin.level or "none",
        "msg_type": bulletin.msg_type,
        "languages": list(bulletin.languages),
    }


def task_line(area: str, change: TaskChange) -> dict[str, Any]:
    return {
        "kind": "task",
        "area": area,
        "level": change.level,
        "measure": change.measure_id,
        "unit": change.unit,
        "action": change.action,
        "due": change.due.astimezone(LOCAL).isoformat() if change.due else None,
    }


def proposal_line(proposal: dict[str, Any]) -> dict[str, Any]:
    cause_at = dt.datetime.fromisoformat(proposal["cause_at"]).astimezone(LOCAL)
    return {
        "kind": "proposal",
        "area": proposal["area"],
        "action": proposal["action"],
        "level": proposal["level"] or "none",
        "previous": proposal["previous"] or "none",
        "cause": proposal["cause"],
        "at": cause_at.isoformat(),
        "awaiting": proposal["required_role"],
    }


def event_time(event: Any) -> dt.datetime:
    """When the event happens: its issue time; an observation's, the end of its day."""
    if isinstance(event, ObservationEvent):
        return observation_issued_at(event)
    issued: dt.datetime = event.issued_at
    return issued


def request_for(event: Any) -> tuple[str, dict[str, Any], str]:
    """The HTTP call that puts ``event`` into the system: path, JSON body, bearer token."""
    if isinstance(event, ForecastEvent):
        return (
            "/forecast/forecasts",
            {
                "area": event.area,
                "source": event.source,
                "kind": "forecast",
                "issued_at": event.issued_at.isoformat(),
                "days": [d.model_dump(mode="json", exclude_none=True) for d in event.days],
            },
            FORECAST_TOKEN,
        )
    if isinstance(event, ObservationEvent):
        day = observation_day(event).model_dump(mode="json", exclude_none=True)
        return (
            "/forecast/forecasts",
            {
                "area": event.area,
                "source": event.source,
                "kind": "observation",
                "issued_at": observation_issued_at(event).isoformat(),
                "days": [day],
            },
            FORECAST_TOKEN,
        )
    body = event.model_dump(mode="json", exclude={"type"}, exclude_none=True)
    return "/alerting/advisories", body, OFFICE_TOKEN


class Replay:
    def __init__(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        emit: Callable[[dict[str, Any]], None],
        out: Path | None = None,
    ) -> None:
        self._out = out
        self._app = app
        self._client = client
        self._emit = emit
        self._bus: InMemoryBus = app.state.bus
        self._seen = 0
        self._proposals: set[str] = set()
        self._bulletins: list[BulletinPublished] = []

    async def feed(self, event: Any, *, settle: bool = True) -> None:
        path, body, token = request_for(event)
        await self._post(path, body, token=token)
        if settle:
            await self.settle()

    async def settle(self) -> None:
        await self._settle()
        await self._report()

    async def _post(self, path: str, body: dict[str, Any], token: str) -> None:
        response = await self._client.post(
            path, json=body, headers={"authorization": f"Bearer {token}"}
        )
        if response.status_code >= 400:
            raise ScenarioError(f"{path} refused: {response.status_code} {response.text}")

    async def _settle(self) -> None:
        """Wait until every message is handled and every outbox relayed."""
        runtimes = self._app.state.runtimes.values()
        while True:
            for runtime in runtimes:
                while await runtime.relay.relay_once():
                    pass
            await asyncio.sleep(0)
            if self._bus.unhandled() == 0 and all([await r.relay.backlog() == 0 for r in runtimes]):
                await asyncio.sleep(0)
                if self._bus.unhandled() == 0:
                    return
            await asyncio.sleep(0.001)

    async def _report(self) -> None:
        for raw in self._bus.journal[self._seen :]:
            if raw.topic == WARNING_CHANGED.name:
                self._emit(warning_line(decode(raw).payload))
            elif raw.topic == BULLETIN_PUBLISHED.name:
                bulletin: BulletinPublished = decode(raw).payload
                self._emit(bulletin_line(bulletin))
                self._bulletins.append(bulletin)
                if self._out is not None:
                    name = f"{len(self._bulletins):05d}-{bulletin.area}-{bulletin.msg_type}.xml"
                    (self._out / name).write_text(bulletin.cap_xml, encoding="utf-8")
            elif raw.topic == RESPONSE_TASKS.name:
                tasks: ResponseTasks = decode(raw).payload
                for change in tasks.changes:
                    if change.action in ("assign", "stand_down"):
                        self._emit(task_line(tasks.area, change))
        self._seen = len(self._bus.journal)
        pending = (
            await self._client.get("/alerting/proposals", params={"status": "pending"})
        ).json()
        for proposal in pending:
            if proposal["proposal_id"] not in self._proposals:
                self._proposals.add(proposal["proposal_id"])
                self._emit(proposal_line(proposal))


async def replay(
    scenario: Scenario,
    *,
    auto_approve: bool,
    emit: Callable[[dict[str, Any]], None],
    settle_after: Callable[[int], bool] = lambda _index: True,
    out: Path | None = None,
) -> None:
    """Feed the events in order; after event ``i`` wait for the pipeline to be idle only
    when ``settle_after(i)`` (tests use it to show batching changes no decision). With
    ``out``, each bulletin's CAP XML is written there, named in the order they were made."""
    with tempfile.TemporaryDirectory(prefix="airwarn-replay-") as directory:
        settings = load_settings(
            bus="memory",
            var_dir=Path(directory),
            alerting_auto_approve=auto_approve,
            database_url="sqlite+aiosqlite:///{var_dir}/{service}.db",
            tokens_file=None,
            outbox_poll_seconds=60.0,
        )
        app = build_app(settings, SERVICE_NAMES)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://replay") as client:
                runner = Replay(app, client, emit, out)
                for index, event in enumerate(scenario.events):
                    await runner.feed(event, settle=settle_after(index))
                await runner.settle()


def print_line(line: dict[str, Any]) -> None:
    print(json.dumps(line, ensure_ascii=False, separators=(",", ":")), flush=True)
