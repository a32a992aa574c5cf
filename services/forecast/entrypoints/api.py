"""HTTP API under /forecast: thin — build a command, run its handler."""

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from pydantic import BaseModel, Field

from services.forecast.domain.commands import SubmitForecast
from services.forecast.domain.csv_intake import parse_csv
from services.forecast.domain.duty import stale_since
from services.forecast.domain.model import Forecast
from services.forecast.service_layer import duty, handlers
from services.forecast.service_layer.unit_of_work import ForecastUnitOfWork
from shared.auth import TokenStore, require_forecaster
from shared.auth.http import bearer
from shared.contracts.payloads import DayValues, SupportedTime
from shared.contracts.strict import StrictModel
from shared.error_responses import errors
from shared.errors import NotFound, Rejected
from shared.runtime import ServiceRuntime

LOCAL = ZoneInfo("Asia/Shanghai")
MAX_CSV_BYTES = 5_000_000
UnitName = Literal["ug/m3", "mg/m3", "ppb", "ppm"]


class ForecastIn(StrictModel):
    area: str = Field(examples=["500103"])
    source: str = Field(min_length=1, max_length=100, examples=["city-office"])
    kind: Literal["forecast", "observation"] = "forecast"
    issued_at: SupportedTime
    days: list[DayValues] = Field(min_length=1, max_length=31)
    units: dict[str, UnitName] = Field(
        default_factory=dict,
        description="units of values not in µg/m³ (CO mg/m³), e.g. {'so2': 'ppb', 'co': 'ppm'}",
    )

    def command(self) -> SubmitForecast:
        return SubmitForecast(
            area=self.area,
            source=self.source,
            kind=self.kind,
            issued_at=self.issued_at,
            days=tuple(self.days),
            units=dict(self.units),
        )


class BatchIn(StrictModel):
    forecasts: list[ForecastIn] = Field(min_length=1, max_length=handlers.MAX_FORECASTS_PER_REQUEST)


class ObservationIn(StrictModel):
    area: str
    source: str = Field(min_length=1, max_length=100, examples=["monitoring-centre"])
    issued_at: SupportedTime | None = Field(
        default=None, description="default: the end (00:00 local) of the last day observed"
    )
    days: list[DayValues] = Field(min_length=1, max_length=31)
    units: dict[str, UnitName] = Field(default_factory=dict)


class ForecastOut(BaseModel):
    forecast_id: str
    area: str
    source: str
    kind: str
    issued_at: dt.datetime
    days: list[DayValues]

    @classmethod
    def of(cls, forecast: Forecast) -> "ForecastOut":
        return cls.model_validate(forecast, from_attributes=True)


class DutyOut(BaseModel):
    area: str
    level: str
    latest_forecast_id: str | None
    latest_issued_at: dt.datetime | None
    stale_since: dt.datetime
    stale_minutes: int


class AcceptedOut(BaseModel):
    forecast_id: str
    created: bool


def router(runtime: ServiceRuntime[ForecastUnitOfWork], tokens: TokenStore) -> APIRouter:
    api = APIRouter(tags=["forecast"], responses=errors(422))
    # Every write: the office on duty or a forecasting bureau (see shared.auth).
    forecaster = [Depends(bearer(tokens, require_forecaster))]
    refusals = errors(401, 403, 409, 413)
    again: dict[int | str, dict[str, Any]] = {
        200: {"model": AcceptedOut, "description": "the same forecast again: nothing new"}
    }

    @api.post(
        "/forecasts",
        status_code=status.HTTP_201_CREATED,
        response_model=AcceptedOut,
        dependencies=forecaster,
        responses={**again, **refusals},
    )
    async def submit(body: ForecastIn, response: Response) -> AcceptedOut:
        """One forecast (or observation) for one area, published with each day's AQI."""
        async with runtime.uow() as uow:
            accepted = await handlers.submit_forecast(body.command(), uow)
        if not accepted.created:
            response.status_code = status.HTTP_200_OK
        return AcceptedOut(forecast_id=accepted.forecast_id, created=accepted.created)

    @api.post(
        "/forecasts/batch",
        status_code=status.HTTP_201_CREATED,
        response_model=list[AcceptedOut],
        dependencies=forecaster,
        responses=refusals,
    )
    async def submit_batch(body: BatchIn) -> list[AcceptedOut]:
        """Many forecasts, all or nothing."""
        async with runtime.uow() as uow:
            accepted = await handlers.submit_batch([f.command() for f in body.forecasts], uow)
        return [AcceptedOut(forecast_id=a.forecast_id, created=a.created) for a in accepted]

    @api.post(
        "/forecasts/csv",
        status_code=status.HTTP_201_CREATED,
        response_model=list[AcceptedOut],
        dependencies=forecaster,
        responses=refusals,
        openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    )
    async def submit_csv(
        request: Request,
        source: Annotated[str, Query(min_length=1, max_length=100)] = "csv-upload",
    ) -> list[AcceptedOut]:
        """A spreadsheet export: one row per area and day (see the CSV columns in the docs)."""
        raw = await request.body()
        if len(raw) > MAX_CSV_BYTES:
            raise Rejected(f"the CSV is larger than {MAX_CSV_BYTES} bytes")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Rejected(f"the CSV is not UTF-8: {exc}") from exc
        commands, lines = parse_csv(text, default_source=source)
        where = [f"lines {ls[0]}-{ls[-1]}" if len(ls) > 1 else f"line {ls[0]}" for ls in lines]
        async with runtime.uow() as uow:
            accepted = await handlers.submit_batch(commands, uow, where=where)
        return [AcceptedOut(forecast_id=a.forecast_id, created=a.created) for a in accepted]

    @api.post(
        "/observations",
        status_code=status.HTTP_201_CREATED,
        response_model=AcceptedOut,
        dependencies=forecaster,
        responses={**again, **refusals},
    )
    async def observe(body: Annotated[ObservationIn, Body()], response: Response) -> AcceptedOut:
        """Observed daily values (an observation beats any forecast of its day)."""
        last = max(day.date for day in body.days)
        issued_at = body.issued_at or dt.datetime.combine(
            last + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL
        )
        command = SubmitForecast(
            area=body.area,
            source=body.source,
            kind="observation",
            issued_at=issued_at,
            days=tuple(sorted(body.days, key=lambda d: d.date)),
            units=dict(body.units),
        )
        async with runtime.uow() as uow:
            accepted = await handlers.submit_forecast(command, uow)
        if not accepted.created:
            response.status_code = status.HTTP_200_OK
        return AcceptedOut(forecast_id=accepted.forecast_id, created=accepted.created)

    @api.get("/duty", response_model=list[DutyOut])
    async def duty_faults() -> list[DutyOut]:
        """Areas under warning whose latest forecast is older than 4 hours (rules §4 Duty).

        A read: faults are opened and cleared (and published) by the duty watch job."""
        now = dt.datetime.now(dt.UTC)
        async with runtime.uow() as uow:
            stale = await duty.stale_watches(uow, now=now)
        return [
            DutyOut(
                area=w.area,
                level=w.level,
                latest_forecast_id=w.latest_forecast_id,
                latest_issued_at=w.latest_issued_at,
                stale_since=stale_since(w),
                stale_minutes=int((now - stale_since(w)).total_seconds() // 60),
            )
            for w in stale
        ]

    @api.get("/forecasts/{area}", response_model=list[ForecastOut])
    async def history(
        area: str, kind: Literal["forecast", "observation"] = "forecast", limit: int = 50
    ) -> list[ForecastOut]:
        async with runtime.uow() as uow:
            found = await handlers.forecast_history(
                area, uow, kind=kind, limit=max(1, min(limit, 500))
            )
        return [ForecastOut.of(forecast) for forecast in found]

    @api.get("/forecasts/{area}/latest", response_model=ForecastOut, responses=errors(404))
    async def latest(area: str) -> ForecastOut:
        async with runtime.uow() as uow:
            found = await handlers.forecast_history(area, uow, limit=1)
        if not found:
            raise NotFound(f"no forecast for area {area!r}")
        return ForecastOut.of(found[0])

    return api
