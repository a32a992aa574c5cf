"""Regression (found by the fault suite, tests/faults/test_webhook_sink_down.py): the
24 hours a delivery is retried run from when it was queued. They used to run from the
bulletin's event time, so the bulletin of a replayed or late warning (decided three
days ago, say) was dead-lettered at its first refused attempt."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.app import build_app
from shared.contracts.envelope import new_event
from shared.contracts.topics import WARNING_CHANGED
from shared.settings import SERVICE_NAMES, load_settings
from tests.conftest import eventually
from tests.e2e.support import warning
from tests.stack import free_port

OFFICE = {"authorization": "Bearer dev-office-duty"}


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = load_settings(
        bus="memory",
        var_dir=tmp_path,
        outbox_poll_seconds=0.05,
        delivery_every_seconds=0.05,
        delivery_first_retry_seconds=0.05,
    )
    app = build_app(settings, SERVICE_NAMES)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://airwarn") as client:
            yield app, client


async def test_an_old_warnings_bulletin_is_retried_not_given_up_at_once(
    system: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = system
    nobody = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens: connection refused
    made = await client.post(
        "/notify/subscriptions",
        headers=OFFICE,
        json={"name": "down", "channel": "webhook", "address": nobody, "areas": ["500106"]},
    )
    assert made.status_code == 201, made.text
    three_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    change = warning("500106", "issue", "yellow", None, "ep-old").model_copy(
        update={"decided_at": three_days_ago, "cause_at": three_days_ago}
    )
    await app.state.bus.publish([new_event(WARNING_CHANGED, change, source="/airwarn/alerting")])

    log: list[dict[str, Any]] = []

    async def refused_twice() -> bool:
        nonlocal log
        bulletins = (await client.get("/notify/bulletins", params={"area": "500106"})).json()
        if not bulletins:
            return False
        found = await client.get(f"/notify/bulletins/{bulletins[0]['bulletin_id']}/deliveries")
        log = found.json()
        return bool(log) and (log[0]["attempts"] >= 2 or log[0]["status"] != "pending")

    await eventually(refused_twice, what="two refused attempts")
    assert log[0]["status"] == "pending", log[0]["last_error"]
    queued = dt.datetime.fromisoformat(log[0]["created_at"])
    assert dt.datetime.now(dt.UTC) - queued < dt.timedelta(minutes=5)
