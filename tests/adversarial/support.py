"""Helpers for the delivery attacks: loopback receivers, rows as an older version stored
them, a bulletin on the running system, its delivery log."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.adversarial.conftest import RunningSystem
from tests.e2e.support import FORECASTER, ORANGE_PM25, an_hour_ago, daily_forecast

OFFICE = {"authorization": "Bearer dev-office-duty"}


@dataclass
class Receiver:
    """A loopback webhook receiver: ``/hook`` takes anything, ``/redirect`` answers 307
    to ``redirect_to`` with a body an attacker would like to read."""

    url: str = ""
    hits: int = 0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    redirect_to: str = ""
    server: ThreadingHTTPServer | None = None


def start_receiver() -> Receiver:
    made = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            made.hits += 1
            made.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            if self.path.startswith("/redirect"):
                page = b"secret internal page"
                self.send_response(307)
                self.send_header("location", made.redirect_to)
                self.send_header("content-length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    made.server = server
    made.url = f"http://127.0.0.1:{server.server_address[1]}"
    return made


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    """Two receivers; the first redirects to the second."""
    allowed, other = start_receiver(), start_receiver()
    allowed.redirect_to = f"{other.url}/hook"
    yield allowed, other
    for made in (allowed, other):
        assert made.server is not None
        made.server.shutdown()
        made.server.server_close()


@pytest.fixture
def running_with_allow_list(
    tmp_path: Path, receivers: tuple[Receiver, Receiver]
) -> Iterator[RunningSystem]:
    """`airwarn up` with only the first receiver's port allowed, approving at once."""
    allowed, _ = receivers
    made = RunningSystem(
        tmp_path / "var",
        env={
            "AIRWARN_WEBHOOK_ALLOW_HOSTS": allowed.url.removeprefix("http://"),
            "AIRWARN_ALERTING_AUTO_APPROVE": "true",
            "AIRWARN_DELIVERY_FIRST_RETRY_SECONDS": "30",
        },
    )
    made.start()
    try:
        yield made
    finally:
        made.stop()


def subscribe_webhook(api: httpx.Client, name: str, address: str, secret: str) -> httpx.Response:
    """POST a webhook subscription for every area, as the office on duty."""
    body = {"name": name, "channel": "webhook", "address": address, "areas": ["all"]}
    return api.post("/notify/subscriptions", json={**body, "secret": secret}, headers=OFFICE)


def insert_subscription(
    var_dir: Path, subscription_id: str, channel: str, address: str, secret: str = ""
) -> None:
    """A subscription as a version before address checks would have stored it."""
    with sqlite3.connect(var_dir / "notify.db") as db:
        db.execute(
            "INSERT INTO notify_subscriptions (subscription_id, name, channel, address, areas,"
            " min_level, languages, district_government, unit, secret, active)"
            " VALUES (?, ?, ?, ?, ?, 'yellow', ?, NULL, NULL, ?, 1)",
            (subscription_id, "old", channel, address, '["all"]', '["zh-CN"]', secret),
        )


def issue_bulletin(api: httpx.Client, area: str = "500112") -> str:
    """An orange forecast, approved at once: the warning's bulletin id."""
    posted = api.post(
        "/forecast/forecasts",
        json=daily_forecast(area, an_hour_ago(), ORANGE_PM25),
        headers=FORECASTER,
    )
    assert posted.status_code in (200, 201), posted.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = api.get("/notify/bulletins", params={"area": area}).json()
        if found:
            return str(found[0]["bulletin_id"])
        time.sleep(0.2)
    pytest.fail("no bulletin was published")


def wait_for_deliveries(
    api: httpx.Client, bulletin_id: str, *, count: int, timeout: float = 60
) -> list[dict[str, Any]]:
    """The delivery log once ``count`` deliveries have been attempted (or closed)."""
    deadline = time.monotonic() + timeout
    log: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        log = api.get(f"/notify/bulletins/{bulletin_id}/deliveries", headers=OFFICE).json()
        settled = [d for d in log if d["attempts"] > 0 or d["status"] != "pending"]
        if len(settled) >= count:
            return log
        time.sleep(0.2)
    pytest.fail(f"deliveries did not settle: {json.dumps(log)}")
