"""Plan §6: once lifted, the episode's report — timeline, tasks per unit, reductions
against target, forecast against observed AQI — as JSON, an HTML page and a PNG chart."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI

from services.response.domain.model import REPORT_MEASURE
from tests.conftest import eventually
from tests.e2e.support import FORECASTER
from tests.e2e.test_replay import documented_examples

INVENTORY = """source_id,name,kind,sector,grade,key_industry,so2,nox,pm,vocs,so2_red,nox_red,pm_red,vocs_red
E1,Steel works,enterprise,steel,B,yes,100,200,50,300,35,50,20,90
E2,Glass works,enterprise,glass,C,yes,50,100,30,100,,,,
"""


async def test_a_lifted_episode_has_its_report(
    rehearsal: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = rehearsal
    office = {"authorization": "Bearer dev-office-duty"}
    put = await client.put(
        "/response/inventories/500105",
        content=INVENTORY,
        headers={**office, "content-type": "text/csv"},
    )
    assert put.status_code == 200
    scenario = json.loads(next(s for name, s, _ in documented_examples() if name == "episode"))
    for event in scenario["events"][:-1]:  # issue orange, up to red, down to orange
        body = {**{k: v for k, v in event.items() if k != "type"}, "source": "city-office"}
        assert (
            await client.post("/forecast/forecasts", json=body, headers=FORECASTER)
        ).status_code == 201
    for date, pm25 in (("2023-01-09", 125), ("2023-01-10", 240), ("2023-01-11", 190)):
        observed = {
            "area": "500105",
            "source": "monitoring",
            "days": [{"date": date, "pm25": pm25}],
        }
        assert (
            await client.post("/forecast/observations", json=observed, headers=FORECASTER)
        ).status_code == 201

    async def responses() -> list[dict[str, Any]]:
        return (await client.get("/response/responses", params={"area": "500105"})).json()

    async def downgraded() -> bool:
        found = await responses()
        return bool(found) and found[0]["actions"] == ["issue", "upgrade", "downgrade"]

    await eventually(downgraded, what="issue, upgrade and downgrade handled")
    board = (
        await client.get(
            "/response/tasks",
            params={"area": "500105", "unit": "district-government:500105", "status": ["open"]},
        )
    ).json()
    # The issue's §5.1 report, chosen by measure and not by its place on the board: it falls
    # due with the district's own measures (both a day after the issue), so the board's
    # tie-break on task id, which starts with the random warning id, put a measure first in
    # about one run in six — and the later assertions then found four reports open.
    reports = [t for t in board if t["measure_id"] == REPORT_MEASURE]
    assert [t["note"] for t in reports] == [
        f"report the warning {action} to the city office"
        for action in ("issue", "upgrade", "downgrade")
    ]
    done = await client.post(
        f"/response/tasks/{reports[0]['task_id']}/complete",
        json={"note": "done, late"},
        headers=office,
    )
    assert done.status_code == 200
    last = {
        **{k: v for k, v in scenario["events"][-1].items() if k != "type"},
        "source": "city-office",
    }
    assert (
        await client.post("/forecast/forecasts", json=last, headers=FORECASTER)
    ).status_code == 201

    async def lifted() -> bool:
        found = await responses()
        return bool(found) and found[0]["closed_at"] is not None

    await eventually(lifted, what="the lift")
    episode = (await responses())[0]["episode_id"]

    report = (await client.get(f"/response/reports/{episode}")).json()
    assert [e["action"] for e in report["timeline"]] == ["issue", "upgrade", "downgrade", "lift"]
    assert (report["highest_level"], report["pollutant"]) == ("I", "PM2.5")
    air = {d["date"]: (d["forecast_aqi"], d["observed_aqi"]) for d in report["air"]}
    # 01-10: forecast the day before (issued 01-09 10:00, PM2.5 260 → AQI 310); observed 240 → 290
    assert air["2023-01-10"] == (310, 290)
    assert air["2023-01-09"] == (158, 165)  # forecast on 01-07 (120 → 158); observed 125 → 165
    units = {u["unit"]: u for u in report["units"]}
    district = units["district-government:500105"]
    # one report done late; the other three §5.1 reports stay owed after the lift
    assert district["done_late"] == 1 and district["open"] == 3
    assert district["stood_down"] > 0
    shares = {s["pollutant"]: round(s["share"], 4) for s in report["reductions"]["shares"]}
    assert shares == {
        "so2": round(35 / 150, 4),
        "nox": round(50 / 300, 4),
        "pm": 0.25,
        "vocs": 0.225,
    }
    assert report["reductions"]["without_plan"] == ["E2"]

    page = await client.get(f"/response/reports/{episode}.html")
    assert page.status_code == 200 and "Episode report" in page.text and "E2" in page.text
    chart = await client.get(f"/response/reports/{episode}/chart.png")
    assert chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n") and len(chart.content) > 5000
    assert (await client.get("/response/reports/nope")).status_code == 404
