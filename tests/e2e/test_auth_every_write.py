"""Every write needs a bearer token; forecasts and observations only from those who make
them (the decision documented in ``shared.auth``).

The route walk reads the routes of the app as built, so a write added later is covered
without touching this file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi.routing import iter_route_contexts

from services.app import build_app
from shared.settings import SERVICE_NAMES, load_settings
from tests.e2e.support import CST, forecast_body

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: writes deliberately open to anyone, each with its reason; there are none
OPEN_WRITES: dict[tuple[str, str], str] = {}


def _write_routes() -> list[tuple[str, str]]:
    # Built, not started: reading its routes touches no database and no bus.
    made = build_app(load_settings(bus="memory", var_dir=Path("var/unused")), SERVICE_NAMES)
    # iter_route_contexts flattens the included routers with their prefixes.
    return sorted(
        (method, route.path)
        for route in iter_route_contexts(made.routes)
        if route.path is not None
        for method in (route.methods or set()) & WRITES
        if (method, route.path) not in OPEN_WRITES
    )


WRITE_ROUTES = _write_routes()

# One system for the whole module (each test uses its own areas): starting four services
# per parametrised case would cost more than the cases themselves.


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(bus="memory", var_dir=tmp_path_factory.mktemp("auth"))
    made = build_app(settings, SERVICE_NAMES)
    async with made.router.lifespan_context(made):
        transport = httpx.ASGITransport(app=made)
        async with httpx.AsyncClient(transport=transport, base_url="http://airwarn") as http:
            yield http


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_the_walk_sees_every_services_writes() -> None:
    services = {path.split("/")[1] for _method, path in WRITE_ROUTES}
    assert set(SERVICE_NAMES) <= services
    assert ("POST", "/forecast/forecasts") in WRITE_ROUTES
    assert ("PUT", "/response/inventories/{district}") in WRITE_ROUTES
    assert ("DELETE", "/notify/subscriptions/{subscription_id}") in WRITE_ROUTES


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
async def test_a_write_without_a_known_token_is_refused(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    url = _concrete(path)
    missing = await client.request(method, url, json={})
    assert missing.status_code == 401, f"{method} {path}: {missing.status_code} {missing.text}"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json() == {"detail": "a bearer token is required"}
    unknown = await client.request(
        method, url, json={}, headers={"authorization": "Bearer not-a-token-anyone-issued"}
    )
    assert unknown.status_code == 401 and unknown.json() == {"detail": "unknown bearer token"}
    basic = await client.request(method, url, json={}, headers={"authorization": "Basic eDp5"})
    assert basic.status_code == 401


FORECAST_WRITES = [(m, p) for m, p in WRITE_ROUTES if p.startswith("/forecast/")]


def test_every_forecast_write_is_checked_here() -> None:
    assert [p for _m, p in FORECAST_WRITES] == [
        "/forecast/forecasts",
        "/forecast/forecasts/batch",
        "/forecast/forecasts/csv",
        "/forecast/observations",
    ]


def _body(path: str, area: str) -> dict[str, object]:
    if path.endswith("/observations"):
        yesterday = dt.datetime.now(CST).date() - dt.timedelta(days=1)
        return {
            "area": area,
            "source": "monitoring-centre",
            "days": [{"date": yesterday.isoformat(), "pm25": 60}],
        }
    if path.endswith("/batch"):
        return {"forecasts": [forecast_body(area)]}
    return forecast_body(area)


def _csv(area: str) -> str:
    today = dt.datetime.now(CST).date()
    issued = (dt.datetime.now(CST).replace(microsecond=0) - dt.timedelta(hours=1)).isoformat()
    rows = [f"{area},{issued},{today + dt.timedelta(days=i)},{90 + i}" for i in range(3)]
    return "area,issued_at,date,pm25\n" + "\n".join(rows) + "\n"


async def _post(client: httpx.AsyncClient, path: str, area: str, token: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"}
    if path.endswith("/csv"):
        headers["content-type"] = "text/csv"
        return await client.post(path, content=_csv(area), headers=headers)
    return await client.post(path, json=_body(path, area), headers=headers)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("path", [p for _m, p in FORECAST_WRITES])
@pytest.mark.parametrize(
    "token",
    [
        "dev-district-500103",  # a district HQ approves its warning, not the forecast
        "dev-unit-public-security-bureau",  # a member unit that carries out measures
        "dev-unit-hq-office",
        "dev-hq-commander",
    ],
)
async def test_forecasts_are_refused_to_who_does_not_make_them(
    client: httpx.AsyncClient, path: str, token: str
) -> None:
    refused = await _post(client, path, "500103", token)
    assert refused.status_code == 403, refused.text
    assert "may not submit forecasts or observations" in refused.json()["detail"]
    for kind in ("forecast", "observation"):
        stored = await client.get("/forecast/forecasts/500103", params={"kind": kind})
        assert stored.json() == []


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("path", [p for _m, p in FORECAST_WRITES])
@pytest.mark.parametrize(
    ("token", "area"),
    [
        ("dev-unit-ecology-environment-bureau", "500104"),
        ("dev-unit-meteorological-bureau", "500105"),
        ("dev-office-duty", "500106"),
    ],
)
async def test_forecasts_are_taken_from_the_bureaus_and_the_office_on_duty(
    client: httpx.AsyncClient, path: str, token: str, area: str
) -> None:
    made = await _post(client, path, area, token)
    assert made.status_code == 201, made.text
    kind = "observation" if path.endswith("/observations") else "forecast"
    stored = (await client.get(f"/forecast/forecasts/{area}", params={"kind": kind})).json()
    accepted = made.json() if isinstance(made.json(), list) else [made.json()]
    assert {a["forecast_id"] for a in accepted} <= {f["forecast_id"] for f in stored}
