"""Notify's delivery through real local peers: a webhook receiver (uvicorn) that is down
for a while, and an SMTP server (aiosmtpd). Everything arrives, once, in order."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request, Response
from lxml import etree
from standardwebhooks import Webhook, WebhookVerificationError

from services.app import build_app
from shared.contracts.envelope import new_event
from shared.contracts.topics import WARNING_CHANGED
from shared.settings import SERVICE_NAMES, load_settings
from tests.conftest import eventually
from tests.e2e.support import warning

OFFICE = {"authorization": "Bearer dev-office-duty"}
AGENCY_SECRET = "whsec_" + "YWdlbmN5LXNpZ25pbmcta2V5LTMyLWJ5dGVzLWxvbmc="
WUXI_SECRET = "whsec_" + "d3V4aS1nb3Zlcm5tZW50LXNpZ25pbmcta2V5LTMyYg=="


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    """A subscriber's webhook endpoint that refuses everything while ``down``."""

    def __init__(self) -> None:
        self.down = True
        self.refused = 0
        self.received: list[tuple[dict[str, Any], dict[str, str], bytes]] = []
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            if self.down:
                self.refused += 1
                return Response(status_code=503)
            self.received.append((json.loads(body), dict(request.headers), body))
            return Response(status_code=204)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    made = Receiver()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(made.app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn has no started event
        await asyncio.sleep(0.02)
    yield made, f"http://127.0.0.1:{port}/hook"
    server.should_exit = True
    await task


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Any:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
async def system(tmp_path: Path, smtp: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    _, port = smtp
    settings = load_settings(
        bus="memory",
        var_dir=tmp_path,
        outbox_poll_seconds=0.05,
        delivery_every_seconds=0.05,
        delivery_first_retry_seconds=0.05,
        smtp_port=port,
        webhook_allow_hosts=("127.0.0.1",),  # the local receiver (loopback is refused)
    )
    app = build_app(settings, SERVICE_NAMES)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://airwarn") as client:
            yield app, client


async def subscribe(client: httpx.AsyncClient, **body: Any) -> str:
    made = await client.post("/notify/subscriptions", json=body, headers=OFFICE)
    assert made.status_code == 201, made.text
    assert "secret" not in made.json()
    return str(made.json()["subscription_id"])


async def test_a_webhook_down_for_a_while_gets_everything_in_order_once(
    system: tuple[FastAPI, httpx.AsyncClient], receiver: tuple[Receiver, str], smtp: Any
) -> None:
    app, client = system
    hook, url = receiver
    mailbox, _ = smtp
    await subscribe(
        client,
        name="agency system",
        channel="webhook",
        address=url,
        areas=["main-metro"],
        secret=AGENCY_SECRET,
    )
    await subscribe(
        client,
        name="duty mailbox",
        channel="email",
        address="duty@example.org",
        areas=["all"],
        min_level="orange",
        languages=["zh-CN"],
    )
    await subscribe(
        client,
        name="Wuxi government",
        channel="webhook",
        address=url,
        areas=["500238"],
        min_level="red",
        district_government="500238",
        secret=WUXI_SECRET,
    )
    changes = [
        warning("500106", "issue", "yellow", None, "ep-d"),
        warning("500106", "upgrade", "orange", "yellow", "ep-d"),
        warning("500106", "lift", None, "orange", "ep-d"),
    ]
    await app.state.bus.publish(
        [new_event(WARNING_CHANGED, c, source="/airwarn/alerting") for c in changes]
    )

    await eventually(lambda: hook.refused >= 4, what="the receiver refusing while down")
    hook.down = False
    await eventually(lambda: len(hook.received) == 5, timeout=30, what="everything, once back")
    await asyncio.sleep(0.3)
    assert len(hook.received) == 5, "nothing twice"
    # the agency subscribed to main-metro, signing with its secret
    agency = [
        (b["msg_type"], b["level"]) for b, h, raw in hook.received if _signed(AGENCY_SECRET, raw, h)
    ]
    assert agency == [("Alert", "yellow"), ("Update", "orange"), ("Cancel", None)]
    # Wuxi's government asked only for red in Wuxi, but an orange district warning
    # anywhere is copied to every district government (§3), and so is its end
    government = [b["msg_type"] for b, h, raw in hook.received if _signed(WUXI_SECRET, raw, h)]
    assert government == ["Update", "Cancel"]
    assert len({h["idempotency-key"] for _, h, _ in hook.received}) == 5
    assert all(h["webhook-id"] == h["idempotency-key"] for _, h, _ in hook.received)

    await eventually(lambda: len(mailbox.messages) == 2, what="the upgrade and lift by email")
    assert b"Subject:" in mailbox.messages[0]

    bulletins = (await client.get("/notify/bulletins", params={"area": "500106"})).json()
    first = bulletins[-1]["bulletin_id"]
    log = (await client.get(f"/notify/bulletins/{first}/deliveries", headers=OFFICE)).json()
    webhook_log = [d for d in log if d["attempts"] > 1]
    assert webhook_log and webhook_log[0]["status"] == "delivered"
    assert webhook_log[0]["last_status"] == 204 and webhook_log[0]["latency_ms"] is not None

    page = await client.get(f"/notify/bulletins/{first}.html")
    assert page.headers["content-type"].startswith("text/html") and "江北" not in page.text
    assert "沙坪坝区" in page.text and "Shapingba" in page.text
    assert (await client.get(f"/notify/bulletins/{first}.cap")).text.count("<info>") == 2
    feed = await client.get("/notify/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    parsed = etree.fromstring(feed.content)
    atom, cap = "{http://www.w3.org/2005/Atom}", "{urn:oasis:names:tc:emergency:cap:1.2}"
    alerts = [entry.find(f"{atom}content/{cap}alert") for entry in parsed.findall(f"{atom}entry")]
    assert [a.findtext(f"{cap}msgType") for a in alerts if a is not None] == [
        "Cancel",
        "Update",
        "Alert",
    ]


def _signed(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    """Whether the Standard Webhooks signature verifies with ``secret``."""
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except WebhookVerificationError:
        return False
    return True


async def test_bad_subscriptions_are_refused(system: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, client = system
    body = {
        "name": "x",
        "channel": "webhook",
        "address": "ftp://nowhere",
        "areas": ["all"],
        "secret": AGENCY_SECRET,
    }
    refused = await client.post("/notify/subscriptions", json=body, headers=OFFICE)
    assert refused.status_code == 422 and "address" in refused.text
    unknown = {**body, "address": "http://x", "areas": ["500199"]}
    assert (
        "500199" in (await client.post("/notify/subscriptions", json=unknown, headers=OFFICE)).text
    )
    assert (await client.post("/notify/subscriptions", json=body)).status_code == 401
    forbidden = await client.post(
        "/notify/subscriptions", json=body, headers={"authorization": "Bearer dev-district-500103"}
    )
    assert forbidden.status_code == 403


async def test_a_unit_gets_notices_of_its_own_tasks(
    system: tuple[FastAPI, httpx.AsyncClient], receiver: tuple[Receiver, str]
) -> None:
    """Plan §4.2 and Annex 1: from response.tasks.v1, each unit hears what it is asked to do."""
    app, client = system
    hook, url = receiver
    hook.down = False
    own = await client.post(
        "/notify/subscriptions",
        json={
            "name": "police duty desk",
            "channel": "webhook",
            "address": url,
            "unit": "public-security-bureau",
            "secret": AGENCY_SECRET,
        },
        headers={"authorization": "Bearer dev-unit-public-security-bureau"},
    )
    assert own.status_code == 201, own.text
    other = await client.post(
        "/notify/subscriptions",
        json={
            "name": "x",
            "channel": "webhook",
            "address": url,
            "unit": "transport-bureau",
            "secret": AGENCY_SECRET,
        },
        headers={"authorization": "Bearer dev-unit-public-security-bureau"},
    )
    assert other.status_code == 403
    await app.state.bus.publish(
        [
            new_event(
                WARNING_CHANGED,
                warning("500107", "issue", "orange", None, "ep-n"),
                source="/airwarn/alerting",
            )
        ]
    )
    await eventually(lambda: len(hook.received) >= 1, what="a task notice")
    await asyncio.sleep(0.3)
    assert len(hook.received) == 1, "one notice per unit and warning action, no bulletins"
    notice, headers, raw = hook.received[0]
    assert notice["unit"] == "public-security-bureau" and notice["area"] == "500107"
    assert _signed(AGENCY_SECRET, raw, headers)
    measures = {t["measure_id"] for t in notice["tasks"]}
    assert measures and all(t["action"] == "assign" for t in notice["tasks"])
    board = (
        await client.get(
            "/response/tasks", params={"area": "500107", "unit": "public-security-bureau"}
        )
    ).json()
    assert measures == {t["measure_id"] for t in board}


async def test_a_subscription_holds_only_what_postgresql_can(
    system: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    """Found by fuzzing on PostgreSQL: a unit longer than its column, or a NUL in any
    text, was a 500 there (and silently kept by SQLite); both are 422s naming the field."""
    _, client = system
    body = {"name": "x", "channel": "email", "address": "a@example.org", "areas": ["all"]}
    long_unit = await client.post(
        "/notify/subscriptions", json={**body, "unit": "u" * 101}, headers=OFFICE
    )
    assert long_unit.status_code == 422
    assert long_unit.json()["detail"][0]["loc"] == ["body", "unit"]
    nul = await client.post(
        "/notify/subscriptions", json={**body, "name": "a\x00b"}, headers=OFFICE
    )
    assert nul.status_code == 422
    assert nul.json() == {"detail": "body.name: a NUL character is not allowed"}
    listed = await client.get("/notify/subscriptions", headers=OFFICE)
    assert listed.json() == []
