"""The platform team's signals on the embedded system: one trace id from an HTTP request
through the bus into the consumer's logs, generic 500 bodies, no secrets in logs."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from services.app import build_app
from shared.bus.kafka import KafkaBus
from shared.bus.memory import InMemoryBus
from shared.contracts.envelope import decode, new_event
from shared.contracts.topics import FORECAST_ISSUED, WARNING_CHANGED
from shared.observability.logs import configure_logging
from shared.settings import load_settings
from tests.conftest import eventually
from tests.contract.support import fresh_topic
from tests.e2e.support import CST, FORECASTER, ORANGE_PM25, daily_forecast, forecast_body, warning
from tests.stack import admin_sql
from tests.unit.shared.test_consumer_lag import publish_n_then_consume

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def json_logs() -> Iterator[Lines]:
    """The process's real logging set-up, writing its JSON lines where the test reads them."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.handlers[:], level = saved
    root.setLevel(level)


def _events(app: FastAPI, topic: str) -> list[Any]:
    bus: InMemoryBus = app.state.bus
    return [decode(raw) for raw in bus.messages(topic)]


async def test_a_requests_trace_id_reaches_the_warning_and_the_consumers_logs(
    json_logs: Lines, rehearsal: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = rehearsal
    trace = f"signals-{uuid.uuid4().hex[:12]}"
    issued = dt.datetime.now(CST).replace(microsecond=0)
    posted = await client.post(
        "/forecast/forecasts",
        json=daily_forecast("500107", issued, ORANGE_PM25),
        headers={**FORECASTER, "X-Trace-Id": trace},
    )
    assert posted.status_code == 201, posted.text
    assert posted.headers["x-trace-id"] == trace

    await eventually(lambda: bool(_events(app, WARNING_CHANGED.name)), what="warning.changed")
    (issued_event,) = _events(app, FORECAST_ISSUED.name)
    (warning,) = _events(app, WARNING_CHANGED.name)
    assert issued_event.trace_id == trace and warning.trace_id == trace

    def consumed(event_id: str) -> list[dict[str, Any]]:
        return [
            line
            for line in json_logs()
            if line.get("event_id") == event_id and line["message"].startswith("handled ")
        ]

    wanted = {"airwarn.response.warning-changed", "airwarn.notify.warning-changed"}
    await eventually(
        lambda: wanted <= {line["group"] for line in consumed(warning.id)},
        what="the consumers' log lines",
    )
    for line in consumed(warning.id) + consumed(issued_event.id):
        assert line["trace_id"] == trace, line
        assert line["actor"].startswith("bus:")


async def test_a_trace_is_taken_from_traceparent_or_minted(client: httpx.AsyncClient) -> None:
    w3c = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    from_parent = await client.get("/healthz", headers={"traceparent": w3c})
    assert from_parent.headers["x-trace-id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    minted = await client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", minted.headers["x-trace-id"])
    unusable = await client.get("/healthz", headers={"x-trace-id": "no spaces <or> markup"})
    assert re.fullmatch(r"[0-9a-f]{32}", unusable.headers["x-trace-id"])
    refused = await client.post("/forecast/forecasts", json={}, headers={"x-trace-id": "t-401"})
    assert refused.status_code == 401 and refused.headers["x-trace-id"] == "t-401"


async def test_an_unexpected_failure_is_a_bare_500_logged_without_the_token(
    json_logs: Lines, app: FastAPI, client: httpx.AsyncClient
) -> None:
    runtime = app.state.runtimes["forecast"]
    async with runtime.uow() as uow:  # the database loses a table under the running service
        await uow.session.execute(text("DROP TABLE forecast_forecasts"))
        await uow.session.commit()
    token = FORECASTER["authorization"].removeprefix("Bearer ")
    failed = await client.post(
        "/forecast/forecasts",
        json=forecast_body("500108"),
        headers={**FORECASTER, "x-trace-id": "t-500"},
    )
    assert failed.status_code == 500
    assert failed.json() == {"detail": "internal error"}
    assert failed.headers["x-trace-id"] == "t-500"
    assert "forecast_forecasts" not in failed.text

    (line,) = [line for line in json_logs() if line["message"] == "unhandled error"]
    assert line["trace_id"] == "t-500" and line["levelname"] == "ERROR"
    assert (line["method"], line["path"]) == ("POST", "/forecast/forecasts")
    assert line["headers"]["authorization"] == "***"
    assert "forecast_forecasts" in line["exc_info"]  # the log keeps what the body withholds
    everything = json.dumps(json_logs())
    assert token not in everything


@pytest.mark.postgres
async def test_start_up_logs_name_the_database_but_not_its_password(
    json_logs: Lines, postgres_url: str, tmp_path: Path
) -> None:
    assert ":airwarn@" in postgres_url, "the test database's password is what must not leak"
    name = f"airwarn_signals_{uuid.uuid4().hex[:8]}"
    await admin_sql(postgres_url, f'CREATE DATABASE "{name}"')
    try:
        url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
        settings = load_settings(bus="memory", var_dir=tmp_path, database_url=url)
        app = build_app(settings, ["forecast"])
        async with app.router.lifespan_context(app):
            pass
    finally:
        await admin_sql(postgres_url, f'DROP DATABASE "{name}" WITH (FORCE)')
    everything = json.dumps(json_logs())
    assert ":airwarn@" not in everything
    (starting,) = [line for line in json_logs() if line["message"] == "starting airwarn"]
    assert starting["databases"]["forecast"] == url.replace(":airwarn@", ":***@")


@pytest.mark.kafka
async def test_consumer_lag_on_the_real_broker(kafka_bootstrap: str) -> None:
    bus = KafkaBus(kafka_bootstrap, partitions=4, retry_max_seconds=0.5, lag_every_seconds=0.2)
    await bus.start()
    try:
        topic = fresh_topic()
        await bus.ensure_topics([topic])
        await publish_n_then_consume(bus, topic, partitions=4)
    finally:
        await bus.stop()


async def test_metrics_show_lag_per_group_and_deliveries_by_status(
    rehearsal: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = rehearsal
    posted = await client.post(
        "/forecast/forecasts", json=forecast_body("500109"), headers=FORECASTER
    )
    assert posted.status_code == 201

    async def samples(name: str) -> list[tuple[dict[str, str], float]]:
        text = (await client.get("/metrics")).text
        return [
            (sample.labels, sample.value)
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name
        ]

    async def caught_up() -> bool:
        lags = [
            value
            for labels, value in await samples("airwarn_consumer_lag")
            if labels["group"] == "airwarn.alerting.record-forecast"
            and labels["topic"] == FORECAST_ISSUED.name
        ]
        return len(lags) == 4 and set(lags) == {0.0}

    await eventually(caught_up, what="the alerting group's lag, back to 0, on /metrics")

    with socket.socket() as sock:  # a port nobody listens on: every attempt really fails
        sock.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    subscribed = await client.post(
        "/notify/subscriptions",
        json={
            "name": "agency",
            "channel": "webhook",
            "address": nowhere,
            "areas": ["all"],
            "secret": "whsec_" + "dGVzdC1yZWNlaXZlci1zaWduaW5nLWtleS0zMi1ieXRlcw==",
        },
        headers={"authorization": "Bearer dev-office-duty"},
    )
    assert subscribed.status_code == 201, subscribed.text
    change = warning("500110", "issue", "yellow", None, "ep-signals")
    await app.state.bus.publish([new_event(WARNING_CHANGED, change, source="/airwarn/alerting")])

    async def states() -> dict[str, float]:
        return {
            labels["status"]: value
            for labels, value in await samples("airwarn_deliveries")
            if labels["channel"] == "webhook"
        }

    async def failing() -> bool:
        return (await states()).get("failing") == 1.0

    await eventually(failing, what="one webhook delivery failing on /metrics")
    assert await states() == {"delivered": 0.0, "pending": 0.0, "failing": 1.0, "dead": 0.0}


@pytest.mark.postgres
async def test_readyz_names_the_database_that_went_away(postgres_url: str, tmp_path: Path) -> None:
    name = f"airwarn_ready_{uuid.uuid4().hex[:8]}"
    await admin_sql(postgres_url, f'CREATE DATABASE "{name}"')
    try:
        url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
        app = build_app(
            load_settings(bus="memory", var_dir=tmp_path, database_url=url), ["forecast"]
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
                ready = await client.get("/readyz")
                assert ready.status_code == 200
                assert ready.json() == {
                    "ready": True,
                    "checks": {"database:forecast": True, "bus": True},
                    "down": [],
                }
                await admin_sql(postgres_url, f'DROP DATABASE "{name}" WITH (FORCE)')
                gone = await client.get("/readyz")
                assert gone.status_code == 503
                assert gone.json()["down"] == ["database:forecast"]
                assert gone.json()["checks"]["bus"] is True
    finally:
        await admin_sql(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.kafka
async def test_readyz_names_the_bus_when_it_is_gone(kafka_bootstrap: str, tmp_path: Path) -> None:
    settings = load_settings(bus="kafka", kafka_bootstrap=kafka_bootstrap, var_dir=tmp_path)
    app = build_app(settings, ["forecast"])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            assert (await client.get("/readyz")).json()["down"] == []
            await app.state.bus.stop()  # the producer closes its connections
            gone = await client.get("/readyz")
            assert gone.status_code == 503
            assert gone.json() == {
                "ready": False,
                "checks": {"database:forecast": True, "bus": False},
                "down": ["bus"],
            }
