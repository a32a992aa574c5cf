"""Forecast intake through the HTTP API of the embedded system: single, batch, CSV and
observations; what is refused publishes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from fastapi import FastAPI

from shared.bus.memory import InMemoryBus
from shared.contracts.envelope import decode
from shared.contracts.topics import FORECAST_ISSUED
from tests.conftest import eventually
from tests.e2e.support import CST, FORECASTER, forecast_body


def published(app: FastAPI) -> list[Any]:
    bus: InMemoryBus = app.state.bus
    return [decode(m).payload for m in bus.messages(FORECAST_ISSUED.name)]


async def test_a_forecast_is_published_with_each_days_aqi(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    body = forecast_body("500103", pm25=160.0)
    body["units"] = {"o3_8h": "ppb"}
    assert (
        await client.post("/forecast/forecasts", json=body, headers=FORECASTER)
    ).status_code == 201
    await eventually(lambda: len(published(app)) == 1, what="the forecast on the bus")
    day = published(app)[0].days[0]
    assert (day.aqi, day.category, day.primary_pollutants) == (210, 5, ["PM2.5"])
    assert day.iaqi["O3"] > 0 and day.o3_8h > 90.0  # 90 ppb of O3 is about 177 µg/m³


async def test_a_batch_is_all_or_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    good = [forecast_body(code) for code in ("500104", "500105")]
    bad = forecast_body("500106")
    bad["days"][1]["date"] = bad["days"][0]["date"]
    refused = await client.post(
        "/forecast/forecasts/batch", json={"forecasts": [*good, bad]}, headers=FORECASTER
    )
    assert refused.status_code == 422
    assert "forecasts[2]: days[1].date" in refused.text
    assert published(app) == []
    accepted = await client.post(
        "/forecast/forecasts/batch", json={"forecasts": good}, headers=FORECASTER
    )
    assert accepted.status_code == 201 and len(accepted.json()) == 2
    await eventually(lambda: len(published(app)) == 2, what="two forecasts on the bus")


async def test_a_conflict_in_a_batch_applies_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    first = forecast_body("500107")
    assert (
        await client.post("/forecast/forecasts", json=first, headers=FORECASTER)
    ).status_code == 201
    changed = {**first, "days": [{**d, "pm25": 10.0} for d in first["days"]]}
    batch = {"forecasts": [forecast_body("500108"), changed]}
    conflict = await client.post("/forecast/forecasts/batch", json=batch, headers=FORECASTER)
    assert conflict.status_code == 409 and "forecasts[1]" in conflict.text
    assert (await client.get("/forecast/forecasts/500108/latest")).status_code == 404


async def test_a_csv_export_is_taken_and_errors_name_the_line(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    issued = (dt.datetime.now(CST) - dt.timedelta(hours=2)).replace(microsecond=0).isoformat()
    today = dt.datetime.now(CST).date()
    rows = [f"500109,{issued},{today + dt.timedelta(days=i)},{100 + 10 * i},1.0" for i in range(3)]
    text = "area,issued_at,date,pm25,co[ppm]\n" + "\n".join(rows) + "\n"
    headers = {**FORECASTER, "content-type": "text/csv"}
    made = await client.post("/forecast/forecasts/csv", content=text, headers=headers)
    assert made.status_code == 201, made.text
    latest = (await client.get("/forecast/forecasts/500109/latest")).json()
    assert [d["pm25"] for d in latest["days"]] == [100.0, 110.0, 120.0]
    assert abs(latest["days"][0]["co"] - 28.010 / 24.465) < 1e-9  # 1 ppm of CO in mg/m³
    broken = text.replace(f"{today + dt.timedelta(days=1)},110", f"{today},110")
    refused = await client.post("/forecast/forecasts/csv", content=broken, headers=headers)
    assert refused.status_code == 422
    assert "lines 2-4: days[1].date" in refused.text


async def test_observations_have_their_own_door(app: FastAPI, client: httpx.AsyncClient) -> None:
    yesterday = dt.datetime.now(CST).date() - dt.timedelta(days=1)
    body = {
        "area": "500110",
        "source": "monitoring",
        "days": [{"date": yesterday.isoformat(), "pm25": 80, "max_hourly_aqi": 150}],
    }
    made = await client.post("/forecast/observations", json=body, headers=FORECASTER)
    assert made.status_code == 201, made.text
    again = await client.post("/forecast/observations", json=body, headers=FORECASTER)
    assert again.status_code == 200
    seen = (await client.get("/forecast/forecasts/500110", params={"kind": "observation"})).json()
    assert len(seen) == 1 and seen[0]["kind"] == "observation"


async def test_dates_out_of_the_systems_years_are_refused(client: httpx.AsyncClient) -> None:
    """Found by fuzzing: year 9999 broke date arithmetic (a 500); now a 422 naming it."""
    body = forecast_body("500111")
    body["days"][0]["date"] = "9999-12-31"
    refused = await client.post("/forecast/forecasts", json=body, headers=FORECASTER)
    assert refused.status_code == 422 and "outside the years 2000–2100" in refused.text
    observed = {"area": "500111", "source": "m", "days": [{"date": "9999-12-31", "pm25": 1}]}
    assert (
        await client.post("/forecast/observations", json=observed, headers=FORECASTER)
    ).status_code == 422


async def test_a_csv_source_is_one_to_a_hundred_characters(client: httpx.AsyncClient) -> None:
    """Found by fuzzing: ``?source=`` (empty) broke the published event (a 500)."""
    issued = (dt.datetime.now(CST) - dt.timedelta(hours=1)).replace(microsecond=0).isoformat()
    text = f"area,issued_at,date,pm25\n500112,{issued},{dt.datetime.now(CST).date()},40\n"
    headers = {**FORECASTER, "content-type": "text/csv"}
    url = "/forecast/forecasts/csv"
    empty = await client.post(url, params={"source": ""}, content=text, headers=headers)
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["query", "source"]
    named = text.replace("area,", "source,area,").replace("\n500112", f"\n{'s' * 101},500112")
    long = await client.post(url, content=named, headers=headers)
    assert long.status_code == 422 and "line 2: source: 101 characters" in long.text
    assert (await client.get("/forecast/forecasts/500112")).json() == []


async def test_a_body_that_is_not_text_is_a_422_naming_it(client: httpx.AsyncClient) -> None:
    """Found by fuzzing: bytes that are not UTF-8 got FastAPI's bare 400."""
    headers = {**FORECASTER, "content-type": "application/json"}
    refused = await client.post("/forecast/forecasts", content=b'{"area": "\xff"}', headers=headers)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("body: not JSON: 'utf-8' codec can't decode")
