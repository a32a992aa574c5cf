"""HTTP API under /forecast: thin — build a command, run its handler."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.forecast.domain.commands import SubmitForecast
from services.forecast.domain.model import Forecast
from services.forecast.service_layer import handlers
from services.forecast.service_layer.unit_of_work import ForecastUnitOfWork
from shared.contracts.payloads import DayValues
from shared.errors import NotFound
from shared.runtime import ServiceRuntime


class ForecastIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str = Field(examples=["500103"])
    source: str = Field(min_length=1, max_length=100, examples=["city-office"])
    kind: Literal["forecast", "observation"] = "forecast"
    issued_at: dt.datetime
    days: list[DayValues] = Field(min_length=1, max_length=31)


class ForecastOut(BaseModel):
    forecast_id: str
    area: str
    source: str
    kind: str
    issued_at: dt.datetime
    days: list[DayValues]

    @classmethod
    def of(cls, forecast: Forecast) -> ForecastOut:
        return cls(
            forecast_id=forecast.forecast_id,
            area=forecast.area,
            source=forecast.source,
            kind=forecast.kind,
            issued_at=forecast.issued_at,
            days=list(forecast.days),
        )


class AcceptedOut(BaseModel):
    forecast_id: str
    created: bool


def router(runtime: ServiceRuntime[ForecastUnitOfWork]) -> APIRouter:
    api = APIRouter(tags=["forecast"])

    @api.post("/forecasts", status_code=status.HTTP_201_CREATED, response_model=AcceptedOut)
    async def submit(body: ForecastIn, response: Response) -> AcceptedOut:
        command = SubmitForecast(
            area=body.area,
            source=body.source,
            kind=body.kind,
            issued_at=body.issued_at,
            days=tuple(body.days),
        )
        async with runtime.uow() as uow:
            accepted = await handlers.submit_forecast(command, uow)
        if not accepted.created:
            response.status_code = status.HTTP_200_OK
        return AcceptedOut(forecast_id=accepted.forecast_id, created=accepted.created)

    @api.get("/forecasts/{area}", response_model=list[ForecastOut])
    async def history(area: str, limit: int = 50) -> list[ForecastOut]:
        async with runtime.uow() as uow:
            found = await handlers.forecast_history(area, uow, limit=max(1, min(limit, 500)))
        return [ForecastOut.of(forecast) for forecast in found]

    @api.get("/forecasts/{area}/latest", response_model=ForecastOut)
    async def latest(area: str) -> ForecastOut:
        async with runtime.uow() as uow:
            found = await handlers.forecast_history(area, uow, limit=1)
        if not found:
            raise NotFound(f"no forecast for area {area!r}")
        return ForecastOut.of(found[0])

    return api
