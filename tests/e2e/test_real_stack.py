"""The four services as separate processes (`airwarn serve`), on a real Kafka broker
and real PostgreSQL databases (one per service), driven over HTTP and the bus."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.bus.kafka import KafkaBus
from shared.contracts.envelope import RawMessage, decode
from shared.contracts.payloads import WarningChanged
from shared.contracts.topics import BULLETIN_PUBLISHED, WARNING_CHANGED
from shared.settings import SERVICE_NAMES
from tests.conftest import eventually
from tests.contract.support import read_raw
from tests.e2e.support import CST, FORECASTER, forecast_body
from tests.e2e.test_response_tasks import expected as expected_tasks

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _admin(url: str, *statements: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        for statement in statements:
            await connection.execute(text(statement))
    await engine.dispose()


@pytest.fixture
def database_template(postgres_url: str) -> Iterator[str]:
    prefix = f"airwarn_e2e_{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}_{service}" for service in SERVICE_NAMES]
    asyncio.run(_admin(postgres_url, *(f'CREATE DATABASE "{n}"' for n in names)))
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{prefix}_{{service}}"
    finally:
        asyncio.run(_admin(postgres_url, *(f'DROP DATABASE "{n}" WITH (FORCE)' for n in names)))


@pytest.fixture(name="smtp")
def mailbox() -> Iterator[tuple[list[bytes], int]]:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 OK"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield received, port
    controller.stop()


@pytest.fixture
def services(
    kafka_bootstrap: str, database_template: str, tmp_path: Path, smtp: tuple[list[bytes], int]
) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "AIRWARN_BUS": "kafka",
        "AIRWARN_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "AIRWARN_DATABASE_URL": database_template,
        "AIRWARN_OUTBOX_POLL_SECONDS": "0.1",
        "AIRWARN_DELIVERY_EVERY_SECONDS": "0.2",
        "AIRWARN_SMTP_PORT": str(smtp[1]),
        "AIRWARN_LOG_LEVEL": "WARNING",
    }
    urls: dict[str, str] = {}
    processes: list[tuple[subprocess.Popen[bytes], Path]] = []
    for service in SERVICE_NAMES:
        port = _free_port()
        log = tmp_path / f"{service}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", service, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        processes.append((process, log))
        urls[service] = f"http://127.0.0.1:{port}"
    try:
        yield urls
    finally:
        for process, _log in processes:
            process.send_signal(signal.SIGTERM)
        for process, log in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                pytest.fail(f"{log.stem} did not stop on SIGTERM: {log.read_text()[-2000:]}")


@pytest.fixture
async def client(services: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as made:
        for service, url in services.items():

            async def ready(url: str = url) -> bool:
                try:
                    return (await made.get(f"{url}/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, timeout=90, what=f"{service} to be ready")
        yield made


async def test_forecast_to_approved_warning_to_tasks_and_bulletins(
    services: dict[str, str],
    client: httpx.AsyncClient,
    kafka_bootstrap: str,
    smtp: tuple[list[bytes], int],
) -> None:
    """A forecast posted over HTTP reaches alerting over Kafka; the proposal waits for the
    district's HQ (rules §4); once approved, response and notify act on it."""
    area = "500113"
    office = {"authorization": "Bearer dev-office-duty"}
    subscribed = await client.post(
        f"{services['notify']}/notify/subscriptions",
        headers=office,
        json={
            "name": "duty mailbox",
            "channel": "email",
            "address": "duty@example.org",
            "areas": [area],
            "languages": ["zh-CN", "en-US"],
        },
    )
    assert subscribed.status_code == 201, subscribed.text
    body = orange_forecast(area)
    posted = await client.post(
        f"{services['forecast']}/forecast/forecasts", json=body, headers=FORECASTER
    )
    assert posted.status_code == 201, posted.text
    bad = await client.post(
        f"{services['forecast']}/forecast/forecasts",
        json=forecast_body("123456"),
        headers=FORECASTER,
    )
    assert bad.status_code == 422

    async def proposals() -> list[dict[str, object]]:
        got = await client.get(f"{services['alerting']}/alerting/proposals", params={"area": area})
        return [p for p in got.json() if p["cause_ref"] == posted.json()["forecast_id"]]

    await eventually(lambda: _has(proposals, 1), timeout=60, what="a proposal via Kafka")
    proposal = (await proposals())[0]
    assert (proposal["action"], proposal["level"]) == ("issue", "orange")
    url = f"{services['alerting']}/alerting/proposals/{proposal['proposal_id']}/approve"
    assert (await client.post(url, json={})).status_code == 401
    wrong = await client.post(url, json={}, headers={"authorization": "Bearer dev-hq-commander"})
    assert wrong.status_code == 403
    right = await client.post(
        url, json={}, headers={"authorization": f"Bearer dev-district-{area}"}
    )
    assert right.status_code == 200, right.text
    episode = right.json()["episode_id"]

    async def bulletins() -> list[dict[str, object]]:
        got = await client.get(f"{services['notify']}/notify/bulletins", params={"area": area})
        return [b for b in got.json() if b["episode_id"] == episode]

    await eventually(lambda: _has(bulletins, 1), timeout=60, what="a bulletin")
    assert [b["msg_type"] for b in await bulletins()] == ["Alert"]

    async def tasks() -> list[str]:
        got = await client.get(f"{services['response']}/response/tasks", params={"area": area})
        return [t["measure_id"] for t in got.json() if t["episode_id"] == episode]

    catalogue = expected_tasks("II", "PM2.5", area) | {"report-to-city-office"}
    await eventually(lambda: _has(tasks, len(catalogue)), timeout=60, what="the Level II tasks")
    assert set(await tasks()) == catalogue
    current = (await client.get(f"{services['alerting']}/alerting/warnings/{area}")).json()
    assert current["level"] == "orange"
    received, _ = smtp
    await eventually(lambda: len(received) >= 1, timeout=30, what="the bulletin by email")
    assert b"To: duty@example.org" in received[0]
    feed = (await client.get(f"{services['notify']}/notify/feed.atom")).text
    assert feed.count("<entry>") == 1 and "<msgType>Alert</msgType>" in feed

    bus = KafkaBus(kafka_bootstrap)
    await bus.start()
    try:
        # The broker may outlive one run: pick this run's messages out by episode and warning.
        def of_episode(found: list[RawMessage]) -> list[WarningChanged]:
            changes = [decode(m).payload for m in found if m.key == area.encode()]
            return [c for c in changes if c.episode_id == episode]

        raw = await read_raw(bus, WARNING_CHANGED.name, 1, 20, until=lambda f: bool(of_episode(f)))
        ours = of_episode(raw)
        assert [(c.action, c.level) for c in ours] == [("issue", "orange")]

        def alerts(found: list[RawMessage]) -> list[str]:
            made = [decode(m).payload for m in found if m.key == area.encode()]
            return [b.msg_type for b in made if b.warning_id == ours[0].warning_id]

        published = await read_raw(
            bus, BULLETIN_PUBLISHED.name, 1, 20, until=lambda f: bool(alerts(f))
        )
        assert alerts(published) == ["Alert"]
    finally:
        await bus.stop()


def orange_forecast(area: str) -> dict[str, object]:
    issued = dt.datetime.now(CST).replace(microsecond=0) - dt.timedelta(hours=1)
    return {
        "area": area,
        "source": "city-office",
        "issued_at": issued.isoformat(),
        "days": [
            {"date": (issued.date() + dt.timedelta(days=i)).isoformat(), "pm25": v}
            for i, v in enumerate([60, 90, 120, 160, 170, 130])
        ],
    }


async def _has(fetch: object, count: int) -> bool:
    return len(await fetch()) >= count  # type: ignore[operator]
