"""The combined app (`airwarn up`, in-memory bus; SQLite, or PostgreSQL as deployed)
served by uvicorn on a free loopback port in a thread and seeded with an approved episode,
so the fuzzer talks real HTTP to an app whose consumers and outbox relays keep running
between requests, and its path parameters can name objects that exist."""

from __future__ import annotations

import datetime as dt
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from services.app import build_app
from shared.settings import SERVICE_NAMES, Settings, load_settings
from tests.e2e.support import ORANGE_PM25, an_hour_ago, bearer, daily_forecast
from tests.stack import service_databases

CST = dt.timezone(dt.timedelta(hours=8))
AREA = "500112"  # 渝北区: an orange district warning its own HQ approves (§4 Authority)
INVENTORY = """source_id,name,kind,sector,grade,key_industry,routine,so2,nox,pm,vocs,so2_orange,nox_orange,pm_orange,vocs_orange
E1,Steel works,enterprise,steel,B,yes,no,100,200,50,300,30,50,12,70
"""


@dataclass
class Seeded:
    """Ids of objects that exist on the server, by the path parameter that names them,
    and bodies that pass every rule, by operation (the fuzzer alone rarely writes one)."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    bodies: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, parameter: str, *values: str) -> None:
        known = self.ids.setdefault(parameter, [])
        known.extend(v for v in values if v not in known)

    def replace(self, other: Seeded) -> None:
        self.ids, self.bodies = other.ids, other.bodies


@dataclass(frozen=True)
class Served:
    base_url: str
    openapi: dict[str, Any]


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _wait(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def valid_bodies() -> dict[str, list[Any]]:
    """By operation, bodies that pass every rule (given a district path of ``AREA``)."""
    now = dt.datetime.now(CST).replace(microsecond=0)
    today, yesterday = now.date(), now.date() - dt.timedelta(days=1)
    return {
        "POST /forecast/forecasts": [
            {
                "area": "500105",
                "source": "fuzz",
                "issued_at": now.isoformat(),
                "days": [{"date": str(today), "pm25": 40}],
            }
        ],
        "POST /alerting/advisories": [
            {
                "area": "500106",
                "level": "yellow",
                "issuer": "fuzz-centre",
                "start": str(today + dt.timedelta(days=1)),
                "end": str(today + dt.timedelta(days=2)),
            }
        ],
        "POST /forecast/observations": [
            {"area": "500103", "source": "fuzz", "days": [{"date": str(yesterday), "pm25": 60}]}
        ],
        "POST /forecast/forecasts/csv": [
            f"area,issued_at,date,pm25\n500104,{now.isoformat()},{today},55\n"
        ],
        "POST /notify/subscriptions": [
            {"name": "fuzz", "channel": "email", "address": "unit@example.org", "unit": "sasac"}
        ],
        "PUT /response/inventories/{district}": [
            INVENTORY,
            {
                "sources": [
                    {
                        "source_id": "D1",
                        "name": "Site dust",
                        "kind": "dust",
                        "sector": "construction",
                        "grade": "-",
                        "baseline": {"pm": 10.0},
                    }
                ]
            },
        ],
    }


def _seed(client: httpx.Client) -> Seeded:
    """An approved orange episode (tasks, bulletins, a report), a pending proposal, an
    inventory and a subscription: things the fuzzer's path parameters can find."""
    seeded = Seeded(bodies=valid_bodies())
    for area in (AREA, "500101"):
        posted = client.post(
            "/forecast/forecasts",
            json=daily_forecast(area, an_hour_ago(), ORANGE_PM25, "fuzz-seed"),
            headers=bearer("dev-office-duty"),
        )
        assert posted.status_code == 201, posted.text

    def proposals(area: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = client.get(
            "/alerting/proposals", params={"area": area}
        ).json()
        return found

    _wait(lambda: bool(proposals(AREA)) and bool(proposals("500101")), "seed proposals")
    first = proposals(AREA)[0]
    approved = client.post(
        f"/alerting/proposals/{first['proposal_id']}/approve",
        json={"reason": "fuzz seed"},
        headers=bearer(f"dev-district-{AREA}"),
    )
    assert approved.status_code == 200, approved.text
    seeded.add("proposal_id", first["proposal_id"], proposals("500101")[0]["proposal_id"])
    seeded.add("area", AREA, "500101", "main-metro")
    seeded.add("district", AREA)
    seeded.add("episode_id", first["episode_id"])

    def tasks() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = client.get("/response/tasks", params={"area": AREA}).json()
        return found

    def bulletins() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = client.get("/notify/bulletins").json()
        return found

    _wait(lambda: bool(tasks()) and bool(bulletins()), "seed tasks and bulletins")
    seeded.add("task_id", *(t["task_id"] for t in tasks()[:5]))
    seeded.add("bulletin_id", *(b["bulletin_id"] for b in bulletins()))
    put = client.put(
        f"/response/inventories/{AREA}",
        content=INVENTORY,
        headers={**bearer("dev-office-duty"), "content-type": "text/csv"},
    )
    assert put.status_code == 200, put.text
    made = client.post(
        "/notify/subscriptions",
        json={
            "name": "fuzz seed",
            "channel": "email",
            "address": "duty@example.org",
            "areas": [AREA],
        },
        headers=bearer("dev-office-duty"),
    )
    assert made.status_code == 201, made.text
    seeded.add("subscription_id", made.json()["subscription_id"])
    return seeded


#: what each server holds; filled by its fixture, read by the hooks while cases are drawn
SEEDED = Seeded()
SEEDED_ON_POSTGRES = Seeded()


@contextmanager
def _serving(settings: Settings, seeded: Seeded) -> Iterator[Served]:
    """The combined app under uvicorn on a free loopback port, seeded into ``seeded``."""
    app = build_app(settings, SERVICE_NAMES)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    sock = _free_socket()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait(lambda: server.started or not thread.is_alive(), "uvicorn to start")
        assert server.started, "uvicorn did not start"
        host, port = sock.getsockname()
        base_url = f"http://{host}:{port}"
        with httpx.Client(base_url=base_url, timeout=30) as client:
            seeded.replace(_seed(client))
            openapi = client.get("/openapi.json").json()
        yield Served(base_url, openapi)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        seeded.replace(Seeded())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`airwarn up` as it runs by default: SQLite files in a fresh directory."""
    var_dir = tmp_path_factory.mktemp("fuzz")
    settings = load_settings(bus="memory", var_dir=var_dir, outbox_poll_seconds=0.05)
    with _serving(settings, SEEDED) as made:
        yield made


@pytest.fixture(scope="module")
def served_on_postgres(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str
) -> Iterator[Served]:
    """The same on PostgreSQL, as deployed: it refuses what SQLite takes (NUL characters,
    strings longer than their column)."""
    var_dir = tmp_path_factory.mktemp("fuzz-postgres")
    with service_databases(postgres_url, prefix="airwarn_fuzz") as database_url:
        settings = load_settings(
            bus="memory", var_dir=var_dir, database_url=database_url, outbox_poll_seconds=0.05
        )
        with _serving(settings, SEEDED_ON_POSTGRES) as made:
            yield made


def openapi_document() -> dict[str, Any]:
    """The combined app's OpenAPI document, as `airwarn up` serves it at /openapi.json.

    Built at collection time so every operation becomes its own test; building the app
    starts nothing (no database, no bus) until its lifespan runs."""
    with tempfile.TemporaryDirectory() as var_dir:
        app = build_app(load_settings(bus="memory", var_dir=Path(var_dir)), SERVICE_NAMES)
        return app.openapi()
