"""Wires the response service: catalogue, tables, unit of work, subscriptions, reminders."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter

from services.response.adapters.orm import messaging
from services.response.domain.catalog import load_catalog
from services.response.entrypoints.api import router as api_router
from services.response.service_layer import evaluation, handlers
from services.response.service_layer.unit_of_work import ResponseUnitOfWork
from shared.auth import TokenStore
from shared.bus.base import Bus
from shared.contracts.topics import FORECAST_ISSUED, WARNING_CHANGED
from shared.runtime import Job, ServiceRuntime, Subscription
from shared.settings import Settings

NAME = "response"


async def _remind(runtime: ServiceRuntime[Any]) -> None:
    async with runtime.uow() as uow:
        await handlers.remind_overdue(uow)


def build(settings: Settings, bus: Bus) -> ServiceRuntime[ResponseUnitOfWork]:
    on_change = partial(handlers.on_warning_changed, catalog=load_catalog())
    return ServiceRuntime.from_settings(
        NAME,
        settings,
        bus,
        tables=messaging,
        uow_class=ResponseUnitOfWork,
        subscriptions=[
            Subscription(WARNING_CHANGED, "warning-changed", on_change),
            Subscription(FORECAST_ISSUED, "air-quality", evaluation.record_air),
        ],
        jobs=[Job("task reminders", settings.reminder_check_seconds, _remind)],
    )


def router(runtime: ServiceRuntime[ResponseUnitOfWork], settings: Settings) -> APIRouter:
    return api_router(runtime, TokenStore.from_file(settings.tokens_file))
