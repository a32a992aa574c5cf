"""The console's page and assets are served by the combined app, with the right types, and
reference nothing outside this origin (the issue: nothing beyond loopback is reachable)."""

from __future__ import annotations

import re

import httpx

from services.console.router import MEDIA_TYPES
from shared.areas import DISTRICTS, REGIONS

LOCAL_REF = re.compile(r"""(?:src|href)="([^"]+)\"""")
IMPORTS = re.compile(r"""^import .* from "([^"]+)";$""", re.MULTILINE)
EXTERNAL = re.compile(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", re.IGNORECASE)
SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # a name for createElementNS, never fetched


def external(text: str) -> str | None:
    found = EXTERNAL.search(text.replace(SVG_NAMESPACE, ""))
    return found.group(0) if found else None


async def test_the_page_and_every_asset_it_loads_are_local_and_typed(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/console")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert external(page.text) is None

    pending = LOCAL_REF.findall(page.text)
    assert sorted(pending) == ["/console/static/console.css", "/console/static/console.js"]
    seen: set[str] = set()
    while pending:  # follow the ES module imports from the entry script
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        assert ref.startswith("/console/static/"), ref
        asset = await client.get(ref)
        assert asset.status_code == 200, ref
        suffix = ref[ref.rindex(".") :]
        assert asset.headers["content-type"] == MEDIA_TYPES[suffix], ref
        assert external(asset.text) is None, ref
        if suffix == ".js":
            pending += [
                f"/console/static/{name.removeprefix('./')}" for name in IMPORTS.findall(asset.text)
            ]
    assert {"/console/static/chart.js", "/console/static/grid.js"} <= seen


async def test_unknown_or_crafted_asset_names_are_404(client: httpx.AsyncClient) -> None:
    for name in ("missing.js", "..%2Frouter.py", "router.py", "index.html", ".hidden.js"):
        response = await client.get(f"/console/static/{name}")
        assert response.status_code == 404, name
    assert "missing.js" in (await client.get("/console/static/missing.js")).json()["detail"]


async def test_areas_come_from_the_plan_and_whoami_names_the_role(
    client: httpx.AsyncClient,
) -> None:
    areas = (await client.get("/console/areas")).json()
    assert [r["code"] for r in areas["regions"]] == list(REGIONS)
    codes = [d["code"] for r in areas["regions"] for d in r["districts"]]
    assert sorted(codes) == sorted(DISTRICTS) and len(codes) == 38
    assert [(lv["level"], lv["response_level"]) for lv in areas["levels"]] == [
        ("yellow", "III"),
        ("orange", "II"),
        ("red", "I"),
    ]
    assert (await client.get("/console/whoami")).status_code == 401
    who = await client.get(
        "/console/whoami", headers={"authorization": "Bearer dev-district-500112"}
    )
    assert who.json() == {
        "name": "渝北区重污染天气应急指挥部 (dev)",
        "role": "district-hq",
        "area": "500112",
        "unit": None,
    }


async def test_the_read_endpoints_the_console_polls(client: httpx.AsyncClient) -> None:
    health = (await client.get("/notify/deliveries/health")).json()
    assert [c["channel"] for c in health] == ["webhook", "sms", "wechat", "weibo", "email"]
    assert all(c["delivered"] == c["pending"] == c["failing"] == c["dead"] == 0 for c in health)
    outlook = (await client.get("/alerting/outlook/500112")).json()
    assert outlook["days"] == []
    assert (outlook["thresholds"]["heavy_aqi"], outlook["thresholds"]["severe_aqi"]) == (200, 300)
    missing = await client.get("/alerting/outlook/500199")
    assert missing.status_code == 404 and "500199" in missing.text
