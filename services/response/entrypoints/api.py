"""HTTP API under /response."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel

from services.response.service_layer import handlers
from services.response.service_layer.unit_of_work import ResponseUnitOfWork
from shared.runtime import ServiceRuntime


class ResponseOut(BaseModel):
    area: str
    episode_id: str
    warning_level: str
    response_level: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    actions: list[str]


class TaskOut(BaseModel):
    task_id: str
    episode_id: str
    area: str
    measure_id: str
    unit: str
    level: str
    status: str
    due: dt.datetime | None
    note: str | None


def router(runtime: ServiceRuntime[ResponseUnitOfWork]) -> APIRouter:
    api = APIRouter(tags=["response"])

    @api.get("/responses", response_model=list[ResponseOut])
    async def responses(area: str | None = None, active: bool | None = None) -> list[ResponseOut]:
        async with runtime.uow() as uow:
            found = await handlers.list_responses(uow, area=area, active=active)
        return [
            ResponseOut(
                area=r.area,
                episode_id=r.episode_id,
                warning_level=r.warning_level,
                response_level=r.response_level,
                opened_at=r.opened_at,
                closed_at=r.closed_at,
                actions=list(r.actions),
            )
            for r in found
        ]

    @api.get("/tasks", response_model=list[TaskOut])
    async def tasks(unit: str | None = None, area: str | None = None) -> list[TaskOut]:
        async with runtime.uow() as uow:
            rows = await handlers.list_tasks(uow, unit=unit, area=area)
        return [TaskOut.model_validate(row) for row in rows]

    return api
