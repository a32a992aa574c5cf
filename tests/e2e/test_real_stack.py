"""The four services as separate processes (`airwarn serve`), on a real Kafka broker
and real PostgreSQL databases (one per service), driven over HTTP and the bus."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from shared.bus.kafka import KafkaBus
from shared.contracts.envelope import RawMessage, decode
from shared.contracts.payloads import WarningChanged
from shared.contracts.topics import BULLETIN_PUBLISHED, WARNING_CHANGED
from tests.conftest import eventually
from tests.contract.support import read_raw
from tests.e2e.support import (
    FORECASTER,
    ORANGE_PM25,
    an_hour_ago,
    bearer,
    daily_forecast,
    forecast_body,
)
from tests.e2e.test_response_tasks import expected as expected_tasks
from tests.stack import Stack, service_databases, smtp_sink, stack_env

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
def database_template(postgres_url: str) -> Iterator[str]:
    with service_databases(postgres_url) as template:
        yield template


@pytest.fixture(name="smtp")
def mailbox() -> Iterator[tuple[list[bytes], int]]:
    with smtp_sink() as made:
        yield made


@pytest.fixture
def stack(
    kafka_bootstrap: str, database_template: str, tmp_path: Path, smtp: tuple[list[bytes], int]
) -> Iterator[Stack]:
    made = Stack(stack_env(kafka_bootstrap, database_template, smtp_port=smtp[1]), tmp_path)
    made.start()
    try:
        yield made
    finally:
        killed = made.stop()
        if killed:
            logs = {name: made.services[name].tail(2000) for name in killed}
            pytest.fail(f"did not stop on SIGTERM: {logs}")


@pytest.fixture
def services(stack: Stack) -> dict[str, str]:
    return stack.urls


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as made:
        await stack.wait_ready(made)
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
    office = bearer("dev-office-duty")
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
    body = daily_forecast(area, an_hour_ago(), ORANGE_PM25)
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
    wrong = await client.post(url, json={}, headers=bearer("dev-hq-commander"))
    assert wrong.status_code == 403
    right = await client.post(url, json={}, headers=bearer(f"dev-district-{area}"))
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


async def _has(fetch: object, count: int) -> bool:
    return len(await fetch()) >= count  # type: ignore[operator]
