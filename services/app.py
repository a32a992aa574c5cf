"""The composition root: which services run in this process, on which bus."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from fastapi import FastAPI

from services.alerting import bootstrap as alerting
from services.console.router import router as console_router
from services.forecast import bootstrap as forecast
from services.notify import bootstrap as notify
from services.response import bootstrap as response
from shared.auth import TokenStore
from shared.bus.base import Bus
from shared.bus.kafka import KafkaBus
from shared.bus.memory import InMemoryBus
from shared.bus.sqlite_log import SqliteLog
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.web import create_app

SERVICES: dict[str, ModuleType] = {
    "forecast": forecast,
    "alerting": alerting,
    "response": response,
    "notify": notify,
}


def make_bus(settings: Settings) -> Bus:
    if settings.bus == "kafka":
        return KafkaBus(
            settings.kafka_bootstrap,
            client_id=settings.kafka_client_id,
            partitions=settings.kafka_partitions,
            retry_max_seconds=settings.consumer_retry_max_seconds,
        )
    # The embedded bus keeps its log next to the services' SQLite files: what it
    # accepted is handled after a kill -9 too (shared.bus.sqlite_log).
    store = SqliteLog(settings.var_dir / "bus.db")
    return InMemoryBus(settings.memory_partitions, settings.consumer_retry_max_seconds, store)


def build_app(
    settings: Settings, names: Sequence[str], *, bus_factory: Callable[[Settings], Bus] = make_bus
) -> FastAPI:
    """An app running the named services, sharing one bus; started by its lifespan."""
    unknown = [name for name in names if name not in SERVICES]
    if unknown:
        raise ValueError(f"unknown service(s): {', '.join(unknown)}")
    bus = bus_factory(settings)
    runtimes: list[ServiceRuntime[Any]] = [SERVICES[name].build(settings, bus) for name in names]
    routers = {rt.name: SERVICES[rt.name].router(rt, settings) for rt in runtimes}
    # The console is static files and a token check: any process can serve it (docs/scaling.md).
    routers["console"] = console_router(TokenStore.from_file(settings.tokens_file))

    async def startup() -> None:
        await bus.start()
        for runtime in runtimes:
            await runtime.start()

    async def shutdown() -> None:
        for runtime in reversed(runtimes):
            await runtime.stop()
        await bus.stop()

    async def bus_ready() -> bool:
        return await bus.ready()

    app = create_app(
        title="airwarn",
        runtimes=runtimes,
        routers=routers,
        on_startup=startup,
        on_shutdown=shutdown,
        bus_ready=bus_ready,
        max_body_bytes=settings.max_body_bytes,
        body_read_timeout=settings.body_read_timeout_seconds,
    )
    app.state.bus = bus
    app.state.runtimes = {rt.name: rt for rt in runtimes}
    return app
