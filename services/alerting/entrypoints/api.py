"""HTTP API under /alerting."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel

from services.alerting.service_layer import handlers
from services.alerting.service_layer.unit_of_work import AlertingUnitOfWork
from shared.contracts.payloads import DayValues
from shared.runtime import ServiceRuntime


class SeriesDayOut(BaseModel):
    date: dt.date
    kind: str
    forecast_id: str
    issued_at: dt.datetime
    values: DayValues


def router(runtime: ServiceRuntime[AlertingUnitOfWork]) -> APIRouter:
    api = APIRouter(tags=["alerting"])

    @api.get("/series/{area}", response_model=list[SeriesDayOut])
    async def area_series(area: str) -> list[SeriesDayOut]:
        async with runtime.uow() as uow:
            days = await handlers.area_series(area, uow)
        return [
            SeriesDayOut(
                date=d.date,
                kind=d.kind,
                forecast_id=d.forecast_id,
                issued_at=d.issued_at,
                values=d.values,
            )
            for d in days
        ]

    return api
