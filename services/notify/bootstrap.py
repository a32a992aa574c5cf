"""Wires the notify service: tables, unit of work, subscriptions, the delivery queue, router."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from fastapi import APIRouter

from services.notify.adapters.channels import ChannelAdapter
from services.notify.adapters.channels.guard import guarded_client
from services.notify.adapters.channels.smtp import EmailChannel
from services.notify.adapters.channels.webhook import WebhookChannel
from services.notify.adapters.orm import messaging
from services.notify.domain.addresses import Destinations
from services.notify.entrypoints.api import router as api_router
from services.notify.service_layer import handlers
from services.notify.service_layer.delivery import deliver_due, report_states
from services.notify.service_layer.unit_of_work import NotifyUnitOfWork
from shared.auth import TokenStore
from shared.bus.base import Bus
from shared.contracts.topics import RESPONSE_TASKS, WARNING_CHANGED
from shared.runtime import Job, ServiceRuntime, Subscription
from shared.settings import Settings

NAME = "notify"


def deliveries_job(settings: Settings) -> Job:
    first_retry = dt.timedelta(seconds=settings.delivery_first_retry_seconds)
    reported = False
    # Loading the CA bundle is most of what a new client costs (some 30 ms of CPU, on
    # every run): load it once.
    tls = httpx.create_ssl_context()
    destinations = Destinations.parse(settings.webhook_allow_hosts)

    async def run(runtime: ServiceRuntime[Any]) -> None:
        nonlocal reported
        async with guarded_client(destinations, tls) as client:
            webhook = WebhookChannel(client)
            channels: dict[str, ChannelAdapter] = {
                "webhook": webhook,
                "sms": webhook,
                "wechat": webhook,
                "weibo": webhook,
                "email": EmailChannel(settings.smtp_host, settings.smtp_port, settings.smtp_sender),
            }
            attempted = await deliver_due(runtime.uow, channels, first_retry=first_retry)
        # Statuses change only by an attempt (a new delivery is due at once, so the next
        # run attempts it): count them again then, not on every idle run.
        if attempted or not reported:
            await report_states(runtime.uow)
            reported = True

    # woken when a bulletin is committed (it is published too): it goes out at once
    return Job("deliveries", settings.delivery_every_seconds, run, after_commit=True)


def build(settings: Settings, bus: Bus) -> ServiceRuntime[NotifyUnitOfWork]:
    return ServiceRuntime.from_settings(
        NAME,
        settings,
        bus,
        tables=messaging,
        uow_class=NotifyUnitOfWork,
        subscriptions=[
            Subscription(WARNING_CHANGED, "warning-changed", handlers.on_warning_changed),
            Subscription(RESPONSE_TASKS, "task-notices", handlers.on_task_changes),
        ],
        jobs=[deliveries_job(settings)],
    )


def router(runtime: ServiceRuntime[NotifyUnitOfWork], settings: Settings) -> APIRouter:
    return api_router(
        runtime,
        TokenStore.from_file(settings.tokens_file),
        Destinations.parse(settings.webhook_allow_hosts),
    )
