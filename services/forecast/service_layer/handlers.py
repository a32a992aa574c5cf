"""Forecast service handlers: one async function per command."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from services.forecast.domain.commands import SubmitForecast
from services.forecast.domain.model import Forecast, check_forecast
from services.forecast.service_layer.unit_of_work import ForecastUnitOfWork
from shared.contracts.payloads import ForecastIssued
from shared.contracts.topics import FORECAST_ISSUED
from shared.errors import Conflict


@dataclass(frozen=True)
class Accepted:
    forecast_id: str
    created: bool


async def submit_forecast(
    command: SubmitForecast, uow: ForecastUnitOfWork, *, now: dt.datetime | None = None
) -> Accepted:
    """Store a forecast and publish it once; a resend of the same forecast is a no-op."""
    check_forecast(
        area=command.area,
        kind=command.kind,
        issued_at=command.issued_at,
        days=command.days,
        now=now or dt.datetime.now(dt.UTC),
    )
    forecast = Forecast(
        forecast_id=str(uuid.uuid4()),
        area=command.area,
        source=command.source,
        kind=command.kind,
        issued_at=command.issued_at,
        days=command.days,
    )
    existing = await uow.forecasts.find(
        source=command.source, area=command.area, kind=command.kind, issued_at=command.issued_at
    )
    if existing is not None:
        if existing.same_content(forecast):
            return Accepted(existing.forecast_id, created=False)
        raise Conflict(
            f"a different {command.kind} from {command.source!r} for {command.area} "
            f"issued at {command.issued_at.isoformat()} already exists ({existing.forecast_id})"
        )
    await uow.forecasts.add(forecast)
    await uow.publish(
        FORECAST_ISSUED,
        ForecastIssued(
            area=forecast.area,
            forecast_id=forecast.forecast_id,
            kind=command.kind,
            source=forecast.source,
            issued_at=forecast.issued_at,
            days=list(forecast.days),
        ),
    )
    await uow.commit()
    return Accepted(forecast.forecast_id, created=True)


async def forecast_history(
    area: str, uow: ForecastUnitOfWork, *, limit: int = 50
) -> list[Forecast]:
    return await uow.forecasts.history(area, limit=limit)
