"""HTTP API under /notify."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel

from services.notify.service_layer import handlers
from services.notify.service_layer.unit_of_work import NotifyUnitOfWork
from shared.runtime import ServiceRuntime


class BulletinOut(BaseModel):
    bulletin_id: str
    area: str
    episode_id: str
    warning_id: str
    msg_type: str
    level: str | None
    references: list[str]
    headline_zh: str
    headline_en: str
    text_zh: str
    text_en: str
    published_at: dt.datetime


def router(runtime: ServiceRuntime[NotifyUnitOfWork]) -> APIRouter:
    api = APIRouter(tags=["notify"])

    @api.get("/bulletins", response_model=list[BulletinOut])
    async def bulletins(area: str | None = None, limit: int = 100) -> list[BulletinOut]:
        async with runtime.uow() as uow:
            found = await handlers.list_bulletins(uow, area=area, limit=max(1, min(limit, 1000)))
        return [BulletinOut.model_validate(b, from_attributes=True) for b in found]

    return api
