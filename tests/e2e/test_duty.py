"""The duty watch through the embedded system: a stale forecast under warning is listed,
counted, and announced on duty.fault.v1; a fresh forecast clears it."""

from __future__ import annotations

import datetime as dt

import httpx
from fastapi import FastAPI

from services.forecast.service_layer.duty import check_duty
from shared.bus.memory import InMemoryBus
from shared.contracts.envelope import decode
from shared.contracts.topics import DUTY_FAULT, WARNING_CHANGED
from tests.conftest import eventually
from tests.e2e.support import CST, FORECASTER, ORANGE_PM25, bearer, daily_forecast


async def test_a_stale_forecast_under_warning_is_a_fault_until_refreshed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    bus: InMemoryBus = app.state.bus
    issued = dt.datetime.now(CST).replace(microsecond=0) - dt.timedelta(hours=5)
    await client.post(
        "/forecast/forecasts",
        json=daily_forecast("500151", issued, ORANGE_PM25),
        headers=FORECASTER,
    )

    async def proposal() -> list[dict[str, object]]:
        return (await client.get("/alerting/proposals", params={"area": "500151"})).json()

    await eventually(lambda: _any(proposal), what="a proposal")
    first = (await proposal())[0]
    approved = await client.post(
        f"/alerting/proposals/{first['proposal_id']}/approve",
        json={},
        headers=bearer("dev-district-500151"),
    )
    assert approved.status_code == 200
    await eventually(lambda: len(bus.messages(WARNING_CHANGED.name)) == 1, what="the warning")

    async def listed() -> bool:
        return [d["area"] for d in (await client.get("/forecast/duty")).json()] == ["500151"]

    await eventually(listed, what="the stale forecast on /forecast/duty")
    duty = (await client.get("/forecast/duty")).json()[0]
    assert duty["stale_minutes"] >= 59 and duty["level"] == "orange"
    # Reading the list opens no fault: the duty watch job does, as here.
    assert bus.messages(DUTY_FAULT.name) == []
    runtime = app.state.runtimes["forecast"]
    async with runtime.uow() as uow:
        assert [w.area for w in await check_duty(uow)] == ["500151"]
    await eventually(lambda: len(bus.messages(DUTY_FAULT.name)) == 1, what="the fault on the bus")
    faults = [decode(m).payload for m in bus.messages(DUTY_FAULT.name)]
    assert [(f.area, f.state) for f in faults] == [("500151", "open")]
    metrics = (await client.get("/metrics")).text
    assert "airwarn_stale_forecasts 1.0" in metrics

    fresh = dt.datetime.now(CST).replace(microsecond=0) - dt.timedelta(minutes=5)
    await client.post(
        "/forecast/forecasts", json=daily_forecast("500151", fresh, ORANGE_PM25), headers=FORECASTER
    )
    assert (await client.get("/forecast/duty")).json() == []
    async with runtime.uow() as uow:
        assert await check_duty(uow) == []
    await eventually(lambda: len(bus.messages(DUTY_FAULT.name)) == 2, what="the fault cleared")
    faults = [decode(m).payload for m in bus.messages(DUTY_FAULT.name)]
    assert [(f.area, f.state) for f in faults] == [("500151", "open"), ("500151", "cleared")]


async def _any(fetch: object) -> bool:
    return bool(await fetch())  # type: ignore[operator]
