"""A forecast where nobody sends one: the scheduled baseline through the embedded system."""

from __future__ import annotations

import datetime as dt

import httpx
from fastapi import FastAPI

from services.forecast.service_layer.baseline import BASELINE_SOURCE, issue_baselines
from shared.bus.memory import InMemoryBus
from shared.contracts.envelope import decode
from shared.contracts.topics import FORECAST_ISSUED
from tests.conftest import eventually
from tests.e2e.support import CST, FORECASTER, forecast_body


async def test_areas_with_observations_but_no_forecast_get_a_baseline(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    today = dt.datetime.now(CST).date()
    for area in ("500152", "500153"):
        days = [
            {"date": (today - dt.timedelta(days=d)).isoformat(), "pm25": 60.0 + d, "o3_8h": 80.0}
            for d in range(1, 11)
        ]
        made = await client.post(
            "/forecast/observations",
            json={"area": area, "source": "monitoring", "days": days},
            headers=FORECASTER,
        )
        assert made.status_code == 201, made.text
    assert (
        await client.post("/forecast/forecasts", json=forecast_body("500153"), headers=FORECASTER)
    ).status_code == 201

    runtime = app.state.runtimes["forecast"]
    # inside one clock hour whatever the wall clock says, so the rerun falls in the same hour
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(
        minutes=1
    )
    async with runtime.uow() as uow:
        issued = await issue_baselines(uow, now=now)
    assert list(issued) == ["500152"], "500153 has a fresh external forecast"
    async with runtime.uow() as uow:
        again = await issue_baselines(uow, now=now + dt.timedelta(minutes=30))
    assert [a.created for a in again.values()] == [False], "once per hour, published once"

    latest = (await client.get("/forecast/forecasts/500152/latest")).json()
    assert latest["source"] == BASELINE_SOURCE
    assert [d["date"] for d in latest["days"]] == [
        (today + dt.timedelta(days=i)).isoformat() for i in range(7)
    ]
    assert all(d["aqi"] is not None for d in latest["days"])
    bus: InMemoryBus = app.state.bus

    def baselines() -> list[str]:
        return [
            p.area
            for p in (decode(m).payload for m in bus.messages(FORECAST_ISSUED.name))
            if p.source == BASELINE_SOURCE
        ]

    await eventually(lambda: baselines() == ["500152"], what="the baseline on the bus")
