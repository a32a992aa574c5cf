"""The audit log end to end: a forecast leads to a proposal, a district HQ approves it, the
office on duty closes a task; every service's chain verifies, its rows say who did what
with the thing before and after, and a row altered with raw SQL is named by
`airwarn audit verify`, which also finds the state tables as the log says they are."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from shared.contracts.topics import FORECAST_ISSUED, WARNING_CHANGED
from shared.db.audit import entries, verify
from shared.settings import SERVICE_NAMES
from tests.conftest import eventually
from tests.e2e.support import FORECASTER, ORANGE_PM25, bearer, daily_forecast

CST = dt.timezone(dt.timedelta(hours=8))
AREA = "500112"
DISTRICT_HQ = bearer(f"dev-district-{AREA}")
OFFICE = bearer("dev-office-duty")


async def _episode(client: httpx.AsyncClient) -> tuple[str, str, str]:
    """Forecast, approval and a closed task; their ids."""
    issued = dt.datetime.now(CST).replace(microsecond=0) - dt.timedelta(hours=1)
    posted = await client.post(
        "/forecast/forecasts", json=daily_forecast(AREA, issued, ORANGE_PM25), headers=FORECASTER
    )
    assert posted.status_code == 201, posted.text
    forecast_id = posted.json()["forecast_id"]

    async def proposals() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (
            await client.get("/alerting/proposals", params={"area": AREA})
        ).json()
        return found

    async def proposed() -> bool:
        return len(await proposals()) == 1

    await eventually(proposed, what=f"a proposal for {AREA}")
    proposal_id = (await proposals())[0]["proposal_id"]
    approved = await client.post(
        f"/alerting/proposals/{proposal_id}/approve",
        json={"reason": "forecast confirmed"},
        headers=DISTRICT_HQ,
    )
    assert approved.status_code == 200, approved.text

    async def tasks() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (
            await client.get("/response/tasks", params={"area": AREA, "status": "open"})
        ).json()
        return found

    async def assigned() -> bool:
        return len(await tasks()) > 0

    await eventually(assigned, what=f"tasks for {AREA}")
    task_id = (await tasks())[0]["task_id"]
    closed = await client.post(
        f"/response/tasks/{task_id}/complete", json={"note": "sites inspected"}, headers=OFFICE
    )
    assert closed.status_code == 200, closed.text
    return forecast_id, proposal_id, task_id


async def test_an_episode_is_audited_and_tampering_is_named(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    forecast_id, proposal_id, task_id = await _episode(client)
    urls = {name: rt.database_url for name, rt in app.state.runtimes.items()}

    async def bulletin_audited() -> bool:
        return bool(await entries(urls["notify"], "notify", entity="bulletin"))

    await eventually(bulletin_audited, what="the bulletin's audit entry")
    keys = {name: rt.audit_keys for name, rt in app.state.runtimes.items()}
    for name in SERVICE_NAMES:
        report = await verify(urls[name], name, keys[name])
        assert report.intact and report.entries > 0, report.line()
    code, lines = await _verify_cli(tmp_path)
    assert code == 0, lines
    for name in ("alerting", "response", "notify"):
        assert any(line.startswith(f"{name}: state matches the log (") for line in lines), lines

    (accepted,) = await entries(urls["forecast"], "forecast", entity="forecast", key=forecast_id)
    assert (accepted["action"], accepted["before"]) == ("accepted", None)
    assert accepted["actor"] == "agency:市生态环境局 (dev)"
    after = accepted["after"]
    assert isinstance(after, dict) and after["area"] == AREA

    made, decided = await entries(urls["alerting"], "alerting", entity="proposal", key=proposal_id)
    assert (made["action"], made["actor"]) == ("proposed", f"bus:{FORECAST_ISSUED.name}")
    approver = "district-hq:渝北区重污染天气应急指挥部 (dev)"
    assert (decided["action"], decided["actor"]) == ("approved", approver)
    before, after = decided["before"], decided["after"]
    assert isinstance(before, dict) and isinstance(after, dict)
    assert (before["status"], before["decided_by"]) == ("pending", None)
    assert (after["status"], after["reason"]) == ("approved", "forecast confirmed")
    (warning,) = await entries(urls["alerting"], "alerting", entity="warning", key=AREA)
    assert (warning["action"], warning["actor"], warning["before"]) == ("issue", approver, None)
    assert isinstance(warning["after"], dict) and warning["after"]["level"] == "orange"

    history = await entries(urls["response"], "response", entity="task", key=task_id)
    assert [e["action"] for e in history] == ["assign", "complete"]
    assigned, completed = history
    assert assigned["actor"] == f"bus:{WARNING_CHANGED.name}" and assigned["event_id"]
    assert completed["actor"] == "office-duty:City office on duty (dev)"
    assert isinstance(completed["before"], dict) and isinstance(completed["after"], dict)
    assert (completed["before"]["status"], completed["after"]["status"]) == ("open", "done")
    assert completed["after"]["progress"] == "sites inspected"

    # Tamper: the approval now names someone else, straight in the database.
    seq = decided["seq"]
    with sqlite3.connect(tmp_path / "alerting.db") as connection:
        connection.execute(
            "UPDATE alerting_audit_log SET actor = 'hq-commander:someone else' WHERE seq = ?",
            (seq,),
        )
    report = await verify(urls["alerting"], "alerting", keys["alerting"])
    assert report.broken is not None
    assert report.broken.seq == seq and report.broken.problem.startswith("MAC mismatch")

    code, lines = await _verify_cli(tmp_path)
    assert code == 1, lines
    chains = [line for line in lines if "chain" in line]
    assert [line.split(":")[0] for line in chains] == list(SERVICE_NAMES)
    by_service = dict(line.split(": ", 1) for line in chains)
    assert by_service["alerting"].startswith(f"chain broken at seq {seq}: MAC mismatch")
    for name in ("forecast", "response", "notify"):
        assert "entries, chain intact (head " in by_service[name], by_service[name]


async def _verify_cli(var_dir: Path) -> tuple[int | None, list[str]]:
    """`airwarn audit verify` as a separate process on ``var_dir``: its exit code and lines."""
    env = {
        **os.environ,
        "AIRWARN_VAR_DIR": str(var_dir),
        "AIRWARN_DATABASE_URL": "sqlite+aiosqlite:///{var_dir}/{service}.db",
    }
    command = Path(sys.executable).parent / "airwarn"
    process = await asyncio.create_subprocess_exec(
        str(command),
        "audit",
        "verify",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out.decode().splitlines() + err.decode().splitlines()


async def test_subscriptions_are_audited_without_their_secret(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    body = {
        "name": "district newsroom",
        "channel": "webhook",
        "address": "https://news.example/hook",
        "areas": [AREA],
        "secret": "s3cret-signing-key",
    }
    made = await client.post("/notify/subscriptions", json=body, headers=OFFICE)
    assert made.status_code == 201, made.text
    subscription_id = made.json()["subscription_id"]
    gone = await client.delete(f"/notify/subscriptions/{subscription_id}", headers=OFFICE)
    assert gone.status_code == 204
    missing = await client.delete(f"/notify/subscriptions/{subscription_id}x", headers=OFFICE)
    assert missing.status_code == 404

    url = app.state.runtimes["notify"].database_url
    created, removed = await entries(url, "notify", entity="subscription", key=subscription_id)
    assert (created["action"], removed["action"]) == ("created", "removed")
    assert {created["actor"], removed["actor"]} == {"office-duty:City office on duty (dev)"}
    assert isinstance(created["after"], dict) and isinstance(removed["after"], dict)
    assert (created["after"]["secret"], created["after"]["address"]) == (
        "(set)",
        "https://news.example/hook",
    )
    assert removed["before"] == created["after"]
    assert removed["after"]["active"] is False
    assert "s3cret" not in str(await entries(url, "notify"))
    assert (await verify(url, "notify", app.state.runtimes["notify"].audit_keys)).intact
