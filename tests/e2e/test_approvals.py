"""Rules §4 Authority through the HTTP API: nothing is issued until the right role approves."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from shared.areas import members
from shared.bus.memory import InMemoryBus
from shared.contracts.envelope import decode
from shared.contracts.topics import BULLETIN_PUBLISHED, WARNING_CHANGED
from tests.conftest import eventually
from tests.e2e.support import FORECASTER, ORANGE_PM25, bearer, daily_forecast

CST = dt.timezone(dt.timedelta(hours=8))


async def pending(client: httpx.AsyncClient, area: str) -> list[dict[str, Any]]:
    return (await client.get("/alerting/proposals", params={"area": area})).json()


async def test_a_district_warning_waits_for_that_districts_hq(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    issued = dt.datetime.now(CST).replace(microsecond=0) - dt.timedelta(hours=1)
    posted = await client.post(
        "/forecast/forecasts",
        json=daily_forecast("500112", issued, ORANGE_PM25),
        headers=FORECASTER,
    )
    assert posted.status_code == 201

    async def proposed() -> bool:
        return len(await pending(client, "500112")) == 1

    await eventually(proposed, what="a proposal for 500112")
    proposal = (await pending(client, "500112"))[0]
    assert (proposal["action"], proposal["level"], proposal["required_role"]) == (
        "issue",
        "orange",
        "district-hq",
    )
    assert (await client.get("/alerting/warnings/500112")).json()["level"] is None
    bus: InMemoryBus = app.state.bus
    assert bus.messages(WARNING_CHANGED.name) == []

    url = f"/alerting/proposals/{proposal['proposal_id']}/approve"
    assert (await client.post(url, json={})).status_code == 401
    assert (await client.post(url, json={}, headers=bearer("forged"))).status_code == 401
    for wrong in ("dev-hq-commander", "dev-office-director", "dev-district-500103"):
        refused = await client.post(url, json={}, headers=bearer(wrong))
        assert refused.status_code == 403, wrong
    approved = await client.post(
        url, json={"reason": "forecast confirmed"}, headers=bearer("dev-district-500112")
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    again = await client.post(url, json={}, headers=bearer("dev-district-500112"))
    assert again.status_code == 409

    current = (await client.get("/alerting/warnings/500112")).json()
    assert current["level"] == "orange"
    await eventually(lambda: len(bus.messages(WARNING_CHANGED.name)) == 1, what="the warning out")
    changes = [decode(m).payload for m in bus.messages(WARNING_CHANGED.name)]
    assert [(c.action, c.level, c.approver) for c in changes] == [
        ("issue", "orange", "渝北区重污染天气应急指挥部 (dev)")
    ]
    assert changes[0].issuing_unit == "渝北区重污染天气应急指挥部"

    await eventually(lambda: len(bus.messages(BULLETIN_PUBLISHED.name)) == 1, what="a bulletin")
    history = (await client.get("/alerting/history/500112")).json()
    assert [(h["status"], h["decided_by"], h["reason"]) for h in history] == [
        ("approved", "渝北区重污染天气应急指挥部 (dev)", "forecast confirmed")
    ]
    assert history[0]["cause_ref"] == posted.json()["forecast_id"]


async def test_a_rejection_is_kept_with_who_and_why_and_publishes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    issued = dt.datetime.now(CST).replace(microsecond=0) - dt.timedelta(hours=1)
    await client.post(
        "/forecast/forecasts",
        json=daily_forecast("500113", issued, ORANGE_PM25),
        headers=FORECASTER,
    )

    async def proposed() -> bool:
        return len(await pending(client, "500113")) == 1

    await eventually(proposed, what="a proposal for 500113")
    proposal = (await pending(client, "500113"))[0]
    url = f"/alerting/proposals/{proposal['proposal_id']}/reject"
    without_reason = await client.post(url, json={}, headers=bearer("dev-district-500113"))
    assert without_reason.status_code == 422
    rejected = await client.post(
        url, json={"reason": "local monitoring disagrees"}, headers=bearer("dev-district-500113")
    )
    assert rejected.status_code == 200
    history = (await client.get("/alerting/history/500113")).json()
    assert [(h["status"], h["reason"]) for h in history] == [
        ("rejected", "local monitoring disagrees")
    ]
    assert history[0]["decided_at"] is not None
    bus: InMemoryBus = app.state.bus
    assert bus.messages(WARNING_CHANGED.name) == []


async def test_a_region_orange_needs_hq_and_then_binds_its_other_districts(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    issued = dt.datetime.now(CST).replace(microsecond=0) - dt.timedelta(hours=1)
    codes = [a.code for a in members("main-metro")]
    for code in codes[:14]:
        assert (
            await client.post(
                "/forecast/forecasts",
                json=daily_forecast(code, issued, ORANGE_PM25),
                headers=FORECASTER,
            )
        ).status_code == 201

    async def region_proposed() -> bool:
        return len(await pending(client, "main-metro")) == 1

    await eventually(region_proposed, what="a main-metro proposal")
    proposal = (await pending(client, "main-metro"))[0]
    assert proposal["required_role"] == "hq-commander"
    assert proposal["issuing_unit"] == "重庆市重污染天气应急指挥部"
    url = f"/alerting/proposals/{proposal['proposal_id']}/approve"
    for wrong in ("dev-office-director", "dev-office-duty", "dev-district-500103"):
        assert (await client.post(url, json={}, headers=bearer(wrong))).status_code == 403
    assert (await client.post(url, json={}, headers=bearer("dev-hq-commander"))).status_code == 200
    for code in codes[14:]:
        waiting = await pending(client, code)
        assert [(p["cause"], p["level"], p["required_role"]) for p in waiting] == [
            ("region", "orange", "district-hq")
        ], code


async def test_only_the_office_submits_advisories(client: httpx.AsyncClient) -> None:
    # Chongqing's today, not the machine's: between 16:00 and 24:00 UTC they differ, and an
    # advisory that ended yesterday proposes nothing.
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    body = {
        "area": "500101",
        "level": "orange",
        "issuer": "southwest-centre",
        "start": today,
        "end": today,
    }
    assert (await client.post("/alerting/advisories", json=body)).status_code == 401
    refused = await client.post(
        "/alerting/advisories", json=body, headers=bearer("dev-district-500101")
    )
    assert refused.status_code == 403
    made = await client.post("/alerting/advisories", json=body, headers=bearer("dev-office-duty"))
    assert made.status_code == 201, made.text
    assert [(p["area"], p["level"], p["cause"]) for p in made.json()["proposals"]] == [
        ("500101", "orange", "advisory")
    ]
    bad = await client.post(
        "/alerting/advisories",
        json={**body, "area": "500199"},
        headers=bearer("dev-office-duty"),
    )
    assert bad.status_code == 422 and "500199" in bad.text
