"""A value the database refuses is the caller's error (422), and says nothing of internals."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import DataError

from shared.observability import context
from shared.web import create_app


async def _nothing() -> None:
    return None


async def _bus_up() -> bool:
    return True


def _app() -> FastAPI:
    app = create_app(
        title="probe",
        runtimes=[],
        routers={},
        on_startup=_nothing,
        on_shutdown=_nothing,
        bus_ready=_bus_up,
    )

    @app.post("/probe/too-long")
    async def too_long() -> None:
        raise DataError("INSERT INTO secret_table ...", {}, Exception("value too long for type"))

    @app.get("/probe/actor")
    async def actor() -> dict[str, str]:
        return {"actor": context.actor.get()}

    return app


async def test_database_data_error_is_a_422_without_internals() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.post("/probe/too-long")
    assert answer.status_code == 422
    assert "does not fit" in answer.json()["detail"]
    assert "secret_table" not in answer.text


async def test_each_request_starts_anonymous_and_leaves_no_actor_behind() -> None:
    transport = httpx.ASGITransport(app=_app())
    before = context.actor.get()
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/probe/actor")
    assert answer.json() == {"actor": "http:anonymous"}
    assert context.actor.get() == before
