"""The embedded default (`airwarn up`): all four services in one process, in-memory
bus, SQLite — driven through the HTTP API and the bus, as a user would."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from shared.bus.memory import InMemoryBus
from shared.contracts.envelope import decode, new_event
from shared.contracts.topics import (
    BULLETIN_PUBLISHED,
    FORECAST_ISSUED,
    RESPONSE_TASKS,
    WARNING_CHANGED,
)
from shared.settings import SERVICE_NAMES
from tests.conftest import eventually
from tests.e2e.support import FORECASTER, forecast_body, warning


def on_bus(app: FastAPI, topic: str) -> list[Any]:
    bus: InMemoryBus = app.state.bus
    return [decode(message) for message in bus.messages(topic)]


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = (await client.get("/readyz")).json()
    assert ready["ready"] is True
    assert set(ready["checks"]) == {f"database:{s}" for s in SERVICE_NAMES} | {"bus"}
    metrics = await client.get("/metrics")
    assert "airwarn_outbox_backlog" in metrics.text


async def test_a_forecast_reaches_the_alerting_series_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    body = forecast_body("500106")
    first = await client.post("/forecast/forecasts", json=body, headers=FORECASTER)
    assert first.status_code == 201, first.text
    again = await client.post("/forecast/forecasts", json=body, headers=FORECASTER)
    assert again.status_code == 200
    assert again.json() == {"forecast_id": first.json()["forecast_id"], "created": False}

    async def in_series() -> bool:
        return len((await client.get("/alerting/series/500106")).json()) == 3

    await eventually(in_series, what="the forecast in alerting's series")
    published = on_bus(app, FORECAST_ISSUED.name)
    assert [e.payload.forecast_id for e in published] == [first.json()["forecast_id"]]
    latest = (await client.get("/forecast/forecasts/500106/latest")).json()
    assert latest["forecast_id"] == first.json()["forecast_id"]


async def test_bad_forecasts_are_refused_and_nothing_is_published(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    unknown = forecast_body("500199")
    response = await client.post("/forecast/forecasts", json=unknown, headers=FORECASTER)
    assert response.status_code == 422 and "500199" in response.text
    changed = forecast_body("500107")
    assert (
        await client.post("/forecast/forecasts", json=changed, headers=FORECASTER)
    ).status_code == 201
    changed["days"][0]["pm25"] = 10.0
    conflict = await client.post("/forecast/forecasts", json=changed, headers=FORECASTER)
    assert conflict.status_code == 409 and "already exists" in conflict.text
    missing = await client.get("/forecast/forecasts/500108/latest")
    assert missing.status_code == 404
    await eventually(lambda: len(on_bus(app, FORECAST_ISSUED.name)) == 1, what="one publication")
    assert [e.payload.area for e in on_bus(app, FORECAST_ISSUED.name)] == ["500107"]


async def test_a_warning_episode_gives_tasks_and_bulletins_in_order(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    bus: InMemoryBus = app.state.bus
    changes = [
        warning("500105", "issue", "yellow", None, "ep-e2e"),
        warning("500105", "upgrade", "orange", "yellow", "ep-e2e"),
        warning("500105", "lift", None, "orange", "ep-e2e"),
    ]
    await bus.publish([new_event(WARNING_CHANGED, c, source="/airwarn/alerting") for c in changes])

    async def three_bulletins() -> bool:
        return len((await client.get("/notify/bulletins", params={"area": "500105"})).json()) == 3

    await eventually(three_bulletins, what="three bulletins")
    bulletins = (await client.get("/notify/bulletins", params={"area": "500105"})).json()
    assert [b["msg_type"] for b in reversed(bulletins)] == ["Alert", "Update", "Cancel"]

    async def closed() -> bool:
        found = (await client.get("/response/responses", params={"area": "500105"})).json()
        return len(found) == 1 and found[0]["closed_at"] is not None

    await eventually(closed, what="the response closed by the lift")
    tasks = (await client.get("/response/tasks", params={"area": "500105"})).json()
    reports = [t for t in tasks if t["measure_id"] == "report-to-city-office"]
    assert len(reports) == 3  # §5.1: the issue, the upgrade and the lift
    assert {t["status"] for t in tasks if t["kind"] != "report"} == {"stood_down"}
    await eventually(lambda: len(on_bus(app, RESPONSE_TASKS.name)) == 3, what="task events")
    await eventually(lambda: len(on_bus(app, BULLETIN_PUBLISHED.name)) == 3, what="bulletin events")
    published = [e.payload.msg_type for e in on_bus(app, BULLETIN_PUBLISHED.name)]
    assert published == ["Alert", "Update", "Cancel"]


async def test_oversized_bodies_are_refused_before_they_are_read(client: httpx.AsyncClient) -> None:
    huge = b"x" * 5_000_001
    refused = await client.post(
        "/forecast/forecasts/csv", content=huge, headers={"content-type": "text/csv"}
    )
    assert refused.status_code == 413 and "larger than 5000000 bytes" in refused.text
    no_cors = await client.options(
        "/forecast/forecasts",
        headers={"origin": "https://elsewhere.example", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in no_cors.headers


async def test_a_nul_character_is_refused_wherever_it_is(client: httpx.AsyncClient) -> None:
    """Found by fuzzing on PostgreSQL: its text cannot hold NUL, so one in a path, a query
    or a body was a 500 from the database; now a 422 naming where, before any route."""
    in_path = await client.get("/alerting/warnings/500103%00")
    assert in_path.status_code == 422
    assert in_path.json() == {"detail": "path: a NUL character is not allowed"}
    in_query = await client.get("/notify/bulletins", params={"area": "a\x00"})
    assert in_query.json() == {"detail": "query.area: a NUL character is not allowed"}
    body = forecast_body("500104")
    body["days"][1]["date"] = "2026-01-01\x00"
    in_body = await client.post("/forecast/forecasts", json=body, headers=FORECASTER)
    assert in_body.json() == {"detail": "body.days.1.date: a NUL character is not allowed"}
    csv = "area,issued_at,date,pm25\n500104\x00,2026-01-01T00:00:00+08:00,2026-01-01,5\n"
    in_csv = await client.post(
        "/forecast/forecasts/csv",
        content=csv,
        headers={**FORECASTER, "content-type": "text/csv"},
    )
    assert in_csv.json() == {"detail": "body: a NUL character is not allowed"}
