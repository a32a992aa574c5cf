"""Wires the response service: its tables, unit of work, subscriptions and router."""

from __future__ import annotations

from fastapi import APIRouter

from services.response.adapters.orm import messaging
from services.response.entrypoints.api import router as api_router
from services.response.service_layer import handlers
from services.response.service_layer.unit_of_work import ResponseUnitOfWork
from shared.bus.base import Bus
from shared.contracts.topics import WARNING_CHANGED
from shared.runtime import ServiceRuntime, Subscription
from shared.settings import Settings

NAME = "response"


def build(settings: Settings, bus: Bus) -> ServiceRuntime[ResponseUnitOfWork]:
    return ServiceRuntime.from_settings(
        NAME,
        settings,
        bus,
        tables=messaging,
        uow_class=ResponseUnitOfWork,
        subscriptions=[
            Subscription(WARNING_CHANGED, "warning-changed", handlers.on_warning_changed)
        ],
    )


def router(runtime: ServiceRuntime[ResponseUnitOfWork], settings: Settings) -> APIRouter:
    return api_router(runtime)
