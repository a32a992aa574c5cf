"""Regressions in notify's delivery found by the fault suite (tests/faults).

- The 24 hours a delivery is retried run from when it was queued. They used to run
  from the bulletin's event time, so the bulletin of a replayed or late warning
  (decided three days ago, say) was dead-lettered at its first refused attempt.
- A delivery that reached its subscriber is recorded as delivered even when the
  database is away just then. The outcome used to be dropped with the failed
  transaction, and the message was sent again on the next pass.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.app import build_app
from shared.contracts.envelope import new_event
from shared.contracts.topics import WARNING_CHANGED
from shared.settings import Settings, load_settings
from tests.conftest import eventually
from tests.e2e.support import warning
from tests.stack import admin_sql, free_port, service_databases

OFFICE = {"authorization": "Bearer dev-office-duty"}
FAST: dict[str, Any] = {
    "bus": "memory",
    "outbox_poll_seconds": 0.05,
    "delivery_every_seconds": 0.05,
    "delivery_first_retry_seconds": 0.05,
    "webhook_allow_hosts": ("127.0.0.1",),  # local receivers (loopback is refused)
}
SECRET = "whsec_" + "dGVzdC1yZWNlaXZlci1zaWduaW5nLWtleS0zMi1ieXRlcw=="


@asynccontextmanager
async def notify(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The notify service alone, on the in-memory bus, reached through ASGI."""
    app = build_app(settings, ["notify"])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://airwarn") as client:
            yield app, client


async def subscribe_and_warn(
    app: FastAPI, client: httpx.AsyncClient, address: str, decided: dt.datetime
) -> None:
    made = await client.post(
        "/notify/subscriptions",
        headers=OFFICE,
        json={
            "name": "hook",
            "channel": "webhook",
            "address": address,
            "areas": ["500106"],
            "secret": SECRET,
        },
    )
    assert made.status_code == 201, made.text
    change = warning("500106", "issue", "yellow", None, "ep-1").model_copy(
        update={"decided_at": decided, "cause_at": decided}
    )
    await app.state.bus.publish([new_event(WARNING_CHANGED, change, source="/airwarn/alerting")])


async def delivery_log(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    bulletins = (await client.get("/notify/bulletins", params={"area": "500106"})).json()
    if not bulletins:
        return []
    found = await client.get(
        f"/notify/bulletins/{bulletins[0]['bulletin_id']}/deliveries", headers=OFFICE
    )
    return list(found.json())


async def test_an_old_warnings_bulletin_is_retried_not_given_up_at_once(tmp_path: Path) -> None:
    nobody = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens: connection refused
    three_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    async with notify(load_settings(var_dir=tmp_path, **FAST)) as (app, client):
        await subscribe_and_warn(app, client, nobody, three_days_ago)
        log: list[dict[str, Any]] = []

        async def refused_twice() -> bool:
            nonlocal log
            log = await delivery_log(client)
            return bool(log) and (log[0]["attempts"] >= 2 or log[0]["status"] != "pending")

        await eventually(refused_twice, what="two refused attempts")
    assert log[0]["status"] == "pending", log[0]["last_error"]
    queued = dt.datetime.fromisoformat(log[0]["created_at"])
    assert dt.datetime.now(dt.UTC) - queued < dt.timedelta(minutes=5)


class LocksOutOnFirstPost:
    """A subscriber whose first POST, just before it is answered, shuts the notify
    database to every connection (and ends those open) for ``away`` seconds."""

    def __init__(self, admin_url: str, database: str, away: float = 1.5) -> None:
        self.posts = 0
        self.port = free_port()
        owner = self

        def shut(allow: bool) -> None:
            statements = [f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS {allow}']
            if not allow:
                statements.append(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{database}'"
                )
            asyncio.run(admin_sql(admin_url, *statements))

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                owner.posts += 1
                if owner.posts == 1:
                    shut(False)
                    threading.Timer(away, shut, args=(True,)).start()
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def notify_database(postgres_url: str) -> Iterator[tuple[str, str]]:
    """(the AIRWARN_DATABASE_URL template, the notify database's name)."""
    with service_databases(postgres_url, prefix="airwarn_regress") as template:
        yield template, template.rsplit("/", 1)[1].format(service="notify")


@pytest.mark.postgres
async def test_a_delivery_sent_while_the_database_is_away_is_not_sent_again(
    tmp_path: Path, postgres_url: str, notify_database: tuple[str, str]
) -> None:
    template, database = notify_database
    receiver = LocksOutOnFirstPost(postgres_url, database)
    settings = load_settings(var_dir=tmp_path, database_url=template, **FAST)
    try:
        async with notify(settings) as (app, client):
            address = f"http://127.0.0.1:{receiver.port}/hook"
            await subscribe_and_warn(app, client, address, dt.datetime.now(dt.UTC))
            await eventually(lambda: receiver.posts >= 1, what="the first POST")
            log: list[dict[str, Any]] = []

            async def recorded() -> bool:
                nonlocal log
                try:
                    log = await delivery_log(client)
                except Exception:
                    return False  # the database is still away
                return bool(log) and log[0]["status"] != "pending"

            # Were the outcome lost, the resend would come before the record could.
            await eventually(recorded, timeout=30, what="the delivery recorded")
    finally:
        receiver.server.shutdown()
        await admin_sql(postgres_url, f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
    assert log[0]["status"] == "delivered"
    assert receiver.posts == 1, f"sent {receiver.posts} times"
