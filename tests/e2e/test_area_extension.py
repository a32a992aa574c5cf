"""The embedded system with areas registered beyond Chongqing's (``AIRWARN_AREAS_FILE``):
a forecast for such an area is warned on and announced like any other, and the response
service, whose measure catalogue is Chongqing's, opens no tasks for it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.app import build_app
from shared import areas
from shared.settings import SERVICE_NAMES, load_settings
from tests.conftest import eventually
from tests.e2e.support import forecast_body

#: a forecasting bureau (see shared.auth): forecasts need one
FORECASTER = {"authorization": "Bearer dev-unit-ecology-environment-bureau"}
EXTRA = {
    "regions": [{"code": "cn-11", "name_zh": "北京市", "name_en": "Beijing"}],
    "districts": [
        {"code": "110101", "name_zh": "东城区", "name_en": "Dongcheng", "region": "cn-11"},
        {"code": "110102", "name_zh": "西城区", "name_en": "Xicheng", "region": "cn-11"},
    ],
}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    path = tmp_path / "areas.json"
    path.write_text(json.dumps(EXTRA, ensure_ascii=False), encoding="utf-8")
    settings = load_settings(
        bus="memory",
        var_dir=tmp_path,
        outbox_poll_seconds=0.05,
        alerting_auto_approve=True,
        areas_file=path,
    )
    try:
        app: FastAPI = build_app(settings, SERVICE_NAMES)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://airwarn") as made:
                yield made
    finally:
        areas.reset()


async def test_an_extra_area_is_warned_and_announced_without_tasks(
    client: httpx.AsyncClient,
) -> None:
    posted = await client.post(
        "/forecast/forecasts", json=forecast_body("110101", pm25=160.0), headers=FORECASTER
    )
    assert posted.status_code == 201, posted.text
    home = await client.post(
        "/forecast/forecasts", json=forecast_body("500103", pm25=160.0), headers=FORECASTER
    )
    assert home.status_code == 201, home.text

    async def bulletins(area: str) -> list[dict[str, object]]:
        return (await client.get("/notify/bulletins", params={"area": area})).json()  # type: ignore[no-any-return]

    async def announced() -> bool:
        return bool(await bulletins("110101")) and bool(await bulletins("500103"))

    await eventually(announced, what="bulletins for both areas")
    (bulletin,) = await bulletins("110101")
    assert bulletin["msg_type"] == "Alert" and "Dongcheng" in str(bulletin["headline_en"])
    warning = (await client.get("/alerting/warnings/110101")).json()
    assert warning["level"] == "orange"

    async def responded(area: str) -> bool:
        return bool((await client.get("/response/responses", params={"area": area})).json())

    await eventually(lambda: responded("110101"), what="the extra area's response")
    await eventually(lambda: responded("500103"), what="Chongqing's response")

    async def home_tasks() -> bool:
        return bool((await client.get("/response/tasks", params={"area": "500103"})).json())

    await eventually(home_tasks, what="the Chongqing district's tasks")
    assert (await client.get("/response/tasks", params={"area": "110101"})).json() == []
    refused = await client.post(
        "/forecast/forecasts", json=forecast_body("110105"), headers=FORECASTER
    )
    assert refused.status_code == 422 and "110105" in refused.text
