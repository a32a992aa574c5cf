"""Wires the alerting service: its tables, unit of work, subscriptions and router."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter

from services.alerting.adapters.orm import messaging
from services.alerting.entrypoints.api import router as api_router
from services.alerting.service_layer import handlers
from services.alerting.service_layer.handlers import Policy
from services.alerting.service_layer.unit_of_work import AlertingUnitOfWork
from shared.auth import TokenStore
from shared.bus.base import Bus
from shared.contracts.topics import FORECAST_ISSUED
from shared.runtime import ServiceRuntime, Subscription
from shared.settings import Settings

NAME = "alerting"


def policy(settings: Settings) -> Policy:
    return Policy(auto_approve=settings.alerting_auto_approve)


def build(settings: Settings, bus: Bus) -> ServiceRuntime[AlertingUnitOfWork]:
    record = partial(handlers.record_forecast, policy=policy(settings))
    return ServiceRuntime.from_settings(
        NAME,
        settings,
        bus,
        tables=messaging,
        uow_class=AlertingUnitOfWork,
        subscriptions=[Subscription(FORECAST_ISSUED, "record-forecast", record)],
    )


def router(runtime: ServiceRuntime[AlertingUnitOfWork], settings: Settings) -> APIRouter:
    return api_router(runtime, TokenStore.from_file(settings.tokens_file), policy(settings))
