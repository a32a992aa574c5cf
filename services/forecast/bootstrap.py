"""Wires the forecast service: its tables, unit of work and HTTP router."""

from __future__ import annotations

from fastapi import APIRouter

from services.forecast.adapters.orm import messaging
from services.forecast.entrypoints.api import router as api_router
from services.forecast.service_layer.unit_of_work import ForecastUnitOfWork
from shared.bus.base import Bus
from shared.runtime import ServiceRuntime
from shared.settings import Settings

NAME = "forecast"


def build(settings: Settings, bus: Bus) -> ServiceRuntime[ForecastUnitOfWork]:
    return ServiceRuntime.from_settings(
        NAME, settings, bus, tables=messaging, uow_class=ForecastUnitOfWork, subscriptions=[]
    )


def router(runtime: ServiceRuntime[ForecastUnitOfWork], settings: Settings) -> APIRouter:
    return api_router(runtime)
