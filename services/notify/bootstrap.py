"""Wires the notify service: its tables, unit of work, subscriptions and router."""

from __future__ import annotations

from fastapi import APIRouter

from services.notify.adapters.orm import messaging
from services.notify.entrypoints.api import router as api_router
from services.notify.service_layer import handlers
from services.notify.service_layer.unit_of_work import NotifyUnitOfWork
from shared.bus.base import Bus
from shared.contracts.topics import WARNING_CHANGED
from shared.runtime import ServiceRuntime, Subscription
from shared.settings import Settings

NAME = "notify"


def build(settings: Settings, bus: Bus) -> ServiceRuntime[NotifyUnitOfWork]:
    return ServiceRuntime.from_settings(
        NAME,
        settings,
        bus,
        tables=messaging,
        uow_class=NotifyUnitOfWork,
        subscriptions=[
            Subscription(WARNING_CHANGED, "warning-changed", handlers.on_warning_changed)
        ],
    )


def router(runtime: ServiceRuntime[NotifyUnitOfWork], settings: Settings) -> APIRouter:
    return api_router(runtime)
