"""Response (plan §4.2, §5.1; rules §5): a replayed episode assigns exactly the
catalogue's measures for its level and pollutant and stands them down on downgrade and
lift; tasks change only by their unit or HQ; inventories import as versions."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

import httpx
from fastapi import FastAPI

from services.replay import parse_scenario, replay
from services.response.domain.catalog import load_catalog
from services.response.domain.tasks import unit_for
from tests.conftest import eventually
from tests.e2e.support import CST, FORECASTER, bearer
from tests.e2e.test_replay import documented_examples

CATALOG = load_catalog()


def expected(level: str, pollutant: str, area: str, *, only_added: bool = False) -> set[str]:
    pick = CATALOG.added_by if only_added else CATALOG.for_level
    return {
        m.id
        for m in pick(level, pollutant, district=area)  # type: ignore[arg-type]
        if m.kind != "report" and unit_for(m, area) is not None
    }


async def test_an_episode_assigns_and_stands_down_exactly_the_catalogue() -> None:
    """Example 2 of docs/replay.md: orange (II) → red (I) → orange (II) → lifted, PM2.5."""
    scenario = next(s for name, s, _ in documented_examples() if name == "episode")
    lines: list[dict[str, Any]] = []
    await replay(parse_scenario(scenario), auto_approve=True, emit=lines.append)
    steps: list[dict[str, set[str]]] = []
    for line in lines:
        if line["kind"] == "warning":
            steps.append(defaultdict(set))
        elif line["kind"] == "task" and line["measure"] != "report-to-city-office":
            steps[-1][line["action"]].add(line["measure"])
    issue, upgrade, downgrade, lift = steps
    assert issue["assign"] == expected("II", "PM2.5", "500105")
    assert upgrade["assign"] == expected("I", "PM2.5", "500105", only_added=True)
    assert downgrade["stand_down"] == upgrade["assign"]
    assert not downgrade["assign"]
    assert lift["stand_down"] == issue["assign"]
    reports = [line for line in lines if line.get("measure") == "report-to-city-office"]
    assert len(reports) == 4  # §5.1: one per issue, change and lift
    assert all(
        r["unit"] == "district-government:500105" and r["action"] == "assign" for r in reports
    )
    first = next(line for line in lines if line["kind"] == "task")
    assert first["due"].endswith("+08:00")


async def test_an_o3_episode_takes_no_dust_measures() -> None:
    days = [
        {"date": f"2023-07-{10 + i:02d}", "o3_8h": v, "pm25": 30, "max_hourly_aqi": 230}
        for i, v in enumerate([120, 180, 230, 240, 270, 150])
    ]
    scenario = {
        "events": [
            {
                "type": "forecast",
                "area": "500106",
                "issued_at": "2023-07-10T10:00:00+08:00",
                "days": days,
            }
        ]
    }
    lines: list[dict[str, Any]] = []
    await replay(parse_scenario(json.dumps(scenario)), auto_approve=True, emit=lines.append)
    warning = next(line for line in lines if line["kind"] == "warning")
    assert (warning["level"], warning["primary_pollutant"]) == ("orange", "O3")
    assigned = {line["measure"] for line in lines if line["kind"] == "task"} - {
        "report-to-city-office"
    }
    assert assigned == expected("II", "O3", "500106")
    assert not {m for m in assigned if CATALOG.measure(m).source == "dust"}


async def warn(client: httpx.AsyncClient, area: str) -> None:
    issued = dt.datetime.now(CST).replace(microsecond=0) - dt.timedelta(hours=1)
    body = {
        "area": area,
        "source": "city-office",
        "issued_at": issued.isoformat(),
        "days": [
            {"date": (issued.date() + dt.timedelta(days=i)).isoformat(), "pm25": v}
            for i, v in enumerate([60, 90, 120, 160, 170, 130])
        ],
    }
    await client.post("/forecast/forecasts", json=body, headers=FORECASTER)

    async def proposed() -> list[dict[str, Any]]:
        return (await client.get("/alerting/proposals", params={"area": area})).json()

    await eventually(lambda: _any(proposed), what="a proposal")
    proposal = (await proposed())[0]
    await client.post(
        f"/alerting/proposals/{proposal['proposal_id']}/approve",
        json={},
        headers=bearer(f"dev-district-{area}"),
    )

    async def tasks_exist() -> bool:
        return bool((await client.get("/response/tasks", params={"area": area})).json())

    await eventually(tasks_exist, what="tasks")


async def test_only_the_assigned_unit_or_hq_changes_a_task(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await warn(client, "500117")
    board = (
        await client.get(
            "/response/tasks",
            params={"area": "500117", "unit": "public-security-bureau", "status": ["open"]},
        )
    ).json()
    assert board, "the public security bureau has Level II tasks"
    task = board[0]
    url = f"/response/tasks/{task['task_id']}"
    assert (await client.post(f"{url}/acknowledge")).status_code == 401
    assert (
        await client.post(f"{url}/acknowledge", headers=bearer("dev-unit-transport-bureau"))
    ).status_code == 403
    assert (
        await client.post(f"{url}/acknowledge", headers=bearer("dev-district-500117"))
    ).status_code == 403
    acked = await client.post(
        f"{url}/acknowledge", headers=bearer("dev-unit-public-security-bureau")
    )
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    no_note = await client.post(
        f"{url}/complete", json={}, headers=bearer("dev-unit-public-security-bureau")
    )
    assert no_note.status_code == 422
    progress = await client.post(
        f"{url}/progress",
        json={"note": "checkpoints staffed"},
        headers=bearer("dev-unit-public-security-bureau"),
    )
    assert progress.json()["status"] == "in_progress"
    done = await client.post(
        f"{url}/complete", json={"note": "ban enforced"}, headers=bearer("dev-hq-commander")
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    again = await client.post(
        f"{url}/progress", json={"note": "x"}, headers=bearer("dev-hq-commander")
    )
    assert again.status_code == 409
    own = (
        await client.get(
            "/response/tasks", params={"area": "500117", "unit": "district-government:500117"}
        )
    ).json()
    mine = own[0]["task_id"]
    ok = await client.post(
        f"/response/tasks/{mine}/acknowledge", headers=bearer("dev-district-500117")
    )
    assert ok.status_code == 200


async def test_overdue_tasks_are_flagged_and_reminded_by_unit(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    from services.response.service_layer.handlers import remind_overdue

    await warn(client, "500118")
    runtime = app.state.runtimes["response"]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    async with runtime.uow() as uow:
        grouped = await remind_overdue(uow, now=later)
    assert "district-government:500118" in grouped
    assert all(t.area == "500118" for tasks in grouped.values() for t in tasks)
    async with runtime.uow() as uow:
        assert await remind_overdue(uow, now=later + dt.timedelta(minutes=5)) == {}


INVENTORY = """source_id,name,kind,sector,grade,key_industry,routine,so2,nox,pm,vocs,so2_orange,nox_orange,pm_orange,vocs_orange
E1,Steel works,enterprise,steel,B,yes,no,100,200,50,300,30,50,12,70
E2,Glass works,enterprise,glass,C,yes,no,50,100,30,100,,,,
"""


async def test_an_inventory_imports_as_a_version_and_is_checked(client: httpx.AsyncClient) -> None:
    url = "/response/inventories/500119"
    csv = {"content-type": "text/csv"}
    refused = await client.put(
        url, content=INVENTORY, headers={**csv, **bearer("dev-district-500103")}
    )
    assert refused.status_code == 403
    made = await client.put(
        url, content=INVENTORY, headers={**csv, **bearer("dev-district-500119")}
    )
    assert made.status_code == 200, made.text
    assert made.json()["version"] == 1
    broken = INVENTORY.replace("E2,Glass works,enterprise", "E2,Glass works,factory")
    bad = await client.put(url, content=broken, headers={**csv, **bearer("dev-district-500119")})
    assert bad.status_code == 422 and "line 3: kind" in bad.text
    assert (await client.get(url)).json()["version"] == 1
    again = await client.put(url, content=INVENTORY, headers={**csv, **bearer("dev-office-duty")})
    assert again.json()["version"] == 2
    check = (
        await client.get(f"{url}/check", params={"level": "orange", "pollutant": "PM2.5"})
    ).json()
    shares = {s["pollutant"]: round(s["share"], 4) for s in check["shares"]}
    # SO2 30/150, NOx 50/300, PM 12/80, VOCs 70/400; SO2+NOx 36.7 % < 40 %
    assert shares == {"so2": 0.2, "nox": 0.1667, "pm": 0.15, "vocs": 0.175}
    assert (check["met"], check["traded"], check["without_plan"]) == (False, False, ["E2"])
    office = bearer("dev-office-duty")
    empty = await client.put(
        url, content=b"", headers={**office, "content-type": "application/json"}
    )
    assert empty.status_code == 422 and "Invalid JSON" in empty.text
    plain = await client.put(url, content=b"x", headers={**office, "content-type": "text/plain"})
    assert plain.status_code == 415
    no_level = await client.get(f"{url}/check")
    assert no_level.status_code == 422 and "no active warning" in no_level.text


async def _any(fetch: object) -> bool:
    return bool(await fetch())  # type: ignore[operator]


async def test_an_inventory_source_id_fits_its_column(client: httpx.AsyncClient) -> None:
    """Found by fuzzing on PostgreSQL: a CSV source_id over 100 characters was a 500."""
    url = "/response/inventories/500120"
    headers = {**bearer("dev-office-duty"), "content-type": "text/csv"}
    long_id = INVENTORY.replace("\nE2,", f"\n{'E' * 101},")
    refused = await client.put(url, content=long_id, headers=headers)
    assert refused.status_code == 422
    assert "line 3: source_id: 101 characters; at most 100" in refused.text
    assert (await client.put(url, content=INVENTORY, headers=headers)).json()["version"] == 1
