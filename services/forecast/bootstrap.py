"""Wires the forecast service: tables, unit of work, subscriptions, the duty watch, router."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.forecast.adapters.orm import messaging
from services.forecast.entrypoints.api import router as api_router
from services.forecast.service_layer import baseline, duty
from services.forecast.service_layer.unit_of_work import ForecastUnitOfWork
from shared.auth import TokenStore
from shared.bus.base import Bus
from shared.contracts.topics import WARNING_CHANGED
from shared.runtime import Job, ServiceRuntime, Subscription
from shared.settings import Settings

NAME = "forecast"


async def _issue_baselines(runtime: ServiceRuntime[Any]) -> None:
    async with runtime.uow() as uow:
        await baseline.issue_baselines(uow)


async def _check_duty(runtime: ServiceRuntime[Any]) -> None:
    async with runtime.uow() as uow:
        await duty.check_duty(uow)


def build(settings: Settings, bus: Bus) -> ServiceRuntime[ForecastUnitOfWork]:
    return ServiceRuntime.from_settings(
        NAME,
        settings,
        bus,
        tables=messaging,
        uow_class=ForecastUnitOfWork,
        subscriptions=[Subscription(WARNING_CHANGED, "warning-changed", duty.on_warning_changed)],
        jobs=[
            Job("duty watch", settings.duty_check_seconds, _check_duty),
            Job("baseline forecasts", settings.baseline_every_seconds, _issue_baselines),
        ],
    )


def router(runtime: ServiceRuntime[ForecastUnitOfWork], settings: Settings) -> APIRouter:
    return api_router(runtime, TokenStore.from_file(settings.tokens_file))
