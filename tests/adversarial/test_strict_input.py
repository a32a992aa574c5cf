"""Strict input (issue 12, item 6) against the running system and `airwarn replay`:
numbers are JSON numbers, times RFC 3339 strings with an offset; anything else is a 422
naming the field, and nothing of it is stored."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.adversarial.conftest import ROOT, serving
from tests.conftest import eventually
from tests.e2e.support import FORECASTER, ORANGE_PM25, an_hour_ago, daily_forecast

AREA = "500103"
GOOD = json.dumps(daily_forecast(AREA, an_hour_ago(), ORANGE_PM25))
PM25 = '"pm25": 60.0'
ISSUED = json.loads(GOOD)["issued_at"]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with serving(tmp_path_factory.mktemp("strict") / "var") as client:
        yield client


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (GOOD.replace(PM25, '"pm25": "160"'), "pm25", "JSON number"),
        (GOOD.replace(PM25, '"pm25": true'), "pm25", "JSON number"),
        (GOOD.replace(PM25, '"pm25": NaN'), "pm25", "not a finite number"),
        (GOOD.replace(PM25, '"pm25": "NaN"'), "pm25", "not a finite number"),
        (GOOD.replace(PM25, '"pm25": 1e999'), "pm25", "not a finite number"),
        (GOOD.replace(f'"{ISSUED}"', "1733390000"), "issued_at", "RFC 3339"),
        (GOOD.replace(f'"{ISSUED}"', "null"), "issued_at", "RFC 3339"),
        (GOOD.replace(ISSUED, ISSUED[:19]), "issued_at", "with an offset"),
        (GOOD.replace(ISSUED, "yesterday"), "issued_at", "RFC 3339"),
    ],
)
def test_a_lax_forecast_is_refused_naming_the_field_and_nothing_is_stored(
    api: httpx.Client, body: str, field: str, message: str
) -> None:
    answer = api.post(
        "/forecast/forecasts",
        content=body.encode(),
        headers={**FORECASTER, "content-type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    issues = answer.json()["detail"]
    assert any(issue["loc"][-1] == field and message in issue["msg"] for issue in issues), issues
    assert api.get(f"/forecast/forecasts/{AREA}").json() == []
    assert api.get(f"/alerting/series/{AREA}").json() == []


def test_the_valid_forecast_is_taken_and_only_it_is_decided(api: httpx.Client) -> None:
    answer = api.post(
        "/forecast/forecasts",
        content=GOOD.encode(),
        headers={**FORECASTER, "content-type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    forecast_id = answer.json()["forecast_id"]

    def proposals() -> list[dict[str, object]]:
        found = api.get("/alerting/proposals", params={"status": "pending"}).json()
        return [p for p in found if p["area"] == AREA]

    asyncio.run(eventually(lambda: len(proposals()) == 1, what="its proposal"))
    assert [p["cause_ref"] for p in proposals()] == [forecast_id]
    assert len(api.get(f"/forecast/forecasts/{AREA}").json()) == 1


def _replay(tmp_path: Path, events: list[dict[str, object]]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"events": events}))
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "replay", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _event(area: str, pm25: object) -> dict[str, object]:
    return {
        "type": "forecast",
        "area": area,
        "issued_at": "2023-01-08T10:00:00+08:00",
        "days": [{"date": "2023-01-08", "pm25": pm25}],
    }


def test_replay_refuses_a_string_concentration_naming_event_and_field(tmp_path: Path) -> None:
    done = _replay(tmp_path, [_event("500103", 50), _event("500105", 60), _event("500106", "160")])
    assert done.returncode != 0
    assert done.stdout == ""
    assert "event 2: days[0].pm25: a number is a JSON number, not a string" in done.stderr


def test_replay_gives_nan_its_own_message(tmp_path: Path) -> None:
    done = _replay(tmp_path, [_event("500103", float("nan"))])
    assert done.returncode != 0
    assert "event 0: days[0].pm25: not a finite number" in done.stderr
