"""Generated scenarios (services/scenarios, docs/scenarios.md): valid replay input, the
same for the same seed, and replayed they tell their stories."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from services.replay import parse_scenario, replay
from services.scenarios import NAMES, generate
from shared.aqi import daily_aqi
from shared.areas import DISTRICTS, REGIONS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "scenarios.md"
SEED = 1  # the seed docs/scenarios.md summarises
RANK = {"none": 0, "yellow": 1, "orange": 2, "red": 3}
ACTIONS = ("issue", "upgrade", "downgrade", "lift")
POLLUTANTS = ("pm25", "pm10", "so2", "no2", "co", "o3_8h")

# A replay of all 38 districts takes a good part of a minute, so each scenario is replayed
# once and its lines shared by the tests that read them.
_replayed: dict[str, list[dict[str, Any]]] = {}


async def replayed(name: str) -> list[dict[str, Any]]:
    """Every line `airwarn replay --auto-approve` prints for ``name`` with ``SEED``."""
    if name not in _replayed:
        lines: list[dict[str, Any]] = []
        scenario = generate(name, SEED)
        await replay(parse_scenario(json.dumps(scenario)), auto_approve=True, emit=lines.append)
        _replayed[name] = lines
    return _replayed[name]


async def warnings(name: str) -> list[dict[str, Any]]:
    return [line for line in await replayed(name) if line["kind"] == "warning"]


def region_of(area: str) -> str:
    return area if area in REGIONS else DISTRICTS[area].region


def peaks(lines: list[dict[str, Any]]) -> dict[str, int]:
    """The highest level each area reached (absent: never warned)."""
    top: dict[str, int] = defaultdict(int)
    for line in lines:
        top[line["area"]] = max(top[line["area"]], RANK[line["level"]])
    return top


def event_time(event: dict[str, Any]) -> dt.datetime:
    if event["type"] == "observation":
        day = dt.date.fromisoformat(event["date"]) + dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(0), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return dt.datetime.fromisoformat(event["issued_at"])


def observed_aqi(name: str) -> dict[str, list[int]]:
    """Each district's observed daily AQIs (HJ 633-2012)."""
    found: dict[str, list[int]] = defaultdict(list)
    for event in generate(name, SEED)["events"]:
        if event["type"] == "observation":
            values = {key: event[key] for key in (*POLLUTANTS, "o3_1h") if key in event}
            found[event["area"]].append(daily_aqi(**values).aqi)
    return found


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [1, 2, 12345])
def test_every_scenario_is_valid_replay_input(name: str, seed: int) -> None:
    scenario = generate(name, seed)
    parsed = parse_scenario(json.dumps(scenario))
    assert len(parsed.events) == len(scenario["events"])
    times = [event_time(event) for event in scenario["events"]]
    assert times == sorted(times), "events must be in time order"
    forecasts = [e for e in scenario["events"] if e["type"] == "forecast"]
    observed = {e["area"] for e in scenario["events"] if e["type"] == "observation"}
    assert {e["area"] for e in forecasts} == set(DISTRICTS) | set(REGIONS)
    assert observed == set(DISTRICTS)
    for forecast in forecasts:
        issued = dt.datetime.fromisoformat(forecast["issued_at"])
        dates = [dt.date.fromisoformat(day["date"]) for day in forecast["days"]]
        assert 5 <= len(dates) <= 7
        assert dates[0] == issued.date()
        assert dates == sorted(set(dates))
        for day in forecast["days"]:
            assert set(POLLUTANTS) <= set(day), "all six pollutants, every day"
            assert all(day[key] >= 0 for key in POLLUTANTS)


def test_winter_days_have_plausible_companions() -> None:
    """Rules §1 quantities, with the brief's winter ranges: PM10 1.3–1.6 times PM2.5 (as
    each district gives it), NO2 40–80, SO2 8–20, CO 0.8–2 mg/m³, O3-8h 30–60."""
    days = [
        day
        for event in generate("winter-pm25", SEED)["events"]
        if event["type"] == "forecast" and event["area"] in DISTRICTS
        for day in event["days"]
    ]
    for day in days:
        assert 1.25 <= day["pm10"] / day["pm25"] <= 1.65
        assert 40 <= day["no2"] <= 80
        assert 8 <= day["so2"] <= 20
        assert 0.8 <= day["co"] <= 2.0
        assert 30 <= day["o3_8h"] <= 60
    assert any("max_hourly_aqi" in day for day in days)
    assert any("max_hourly_aqi" not in day for day in days)


def test_observed_air_follows_each_story() -> None:
    """Checked with the AQI itself, before any replay: the winter centre above 300, the
    main metro worst and wuling lowest; summer O3 above 265 with low PM2.5; a quiet week
    good or moderate (AQI at most 100) everywhere."""
    winter = observed_aqi("winter-pm25")

    def worst(region: str) -> int:
        return max(max(values) for area, values in winter.items() if region_of(area) == region)

    assert worst("main-metro") > 300
    assert worst("main-metro") > worst("three-gorges") > worst("wuling")
    summer = generate("summer-o3", SEED)["events"]
    observations = [e for e in summer if e["type"] == "observation"]
    assert max(e["o3_8h"] for e in observations) > 265
    assert max(e["pm25"] for e in observations) < 75
    assert max(e.get("max_hourly_aqi", 0) for e in observations) > 200
    assert max(max(values) for values in observed_aqi("quiet-week").values()) <= 100


@pytest.mark.parametrize("name", NAMES)
def test_the_same_seed_gives_the_same_bytes(name: str) -> None:
    """Also in a fresh interpreter with another string hash seed: nothing hangs on set or
    dict order that varies between runs."""
    text = json.dumps(generate(name, 7))
    assert json.dumps(generate(name, 7)) == text
    code = f"import json; from services.scenarios import generate; print(json.dumps(generate({name!r}, 7)))"
    fresh = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert fresh.stdout.rstrip("\n") == text


@pytest.mark.parametrize("name", NAMES)
def test_another_seed_changes_the_details_not_the_shape(name: str) -> None:
    one, two = generate(name, 1)["events"], generate(name, 2)["events"]
    assert one != two
    shape = [
        [(e["type"], e["area"], e.get("issued_at"), e.get("date")) for e in s] for s in (one, two)
    ]
    assert shape[0] == shape[1]


def test_an_unknown_name_is_refused() -> None:
    with pytest.raises(ValueError, match="winter-pm25"):
        generate("spring-dust", 1)


async def test_winter_reaches_red_in_the_main_metro() -> None:
    lines = await warnings("winter-pm25")
    red = [line for line in lines if line["level"] == "red"]
    assert any(
        line["area"] in DISTRICTS and region_of(line["area"]) == "main-metro" for line in red
    )
    assert all(line["primary_pollutant"] == "PM2.5" for line in lines)


async def test_winter_issues_upgrades_downgrades_and_lifts() -> None:
    """Over the episode every kind of action happens, and by the end every warning is
    lifted: the last line of each area is a lift."""
    lines = await warnings("winter-pm25")
    assert {line["action"] for line in lines} == {"issue", "upgrade", "downgrade", "lift"}
    last: dict[str, str] = {line["area"]: line["action"] for line in lines}
    assert set(last.values()) == {"lift"}


async def test_winter_is_worse_in_the_main_metro_than_in_wuling() -> None:
    top = peaks(await warnings("winter-pm25"))
    metro = [top[a] for a in DISTRICTS if DISTRICTS[a].region == "main-metro"]
    wuling = [top[a] for a in DISTRICTS if DISTRICTS[a].region == "wuling"]
    assert min(metro) > max(wuling)


async def test_winter_warns_the_main_metro_region() -> None:
    """The region is decided on its own forecast (rules §3) and binds its districts."""
    lines = await warnings("winter-pm25")
    region = [line for line in lines if line["area"] == "main-metro"]
    assert region and region[0]["action"] == "issue"
    assert max(RANK[line["level"]] for line in region) == RANK["red"]
    assert any(line["cause"] == "region" for line in lines if line["area"] in DISTRICTS)


def by_level_and_action(lines: list[dict[str, Any]]) -> str:
    """``main-metro 22 issue orange, …, 22 lift; three-gorges …``, as docs/scenarios.md
    words the winter summary: regions and their districts together."""
    counts: dict[str, dict[tuple[str, str], int]] = {region: defaultdict(int) for region in REGIONS}
    for line in lines:
        counts[region_of(line["area"])][line["action"], line["level"]] += 1
    parts = []
    for region, found in counts.items():
        ordered = sorted(
            found.items(), key=lambda item: (ACTIONS.index(item[0][0]), RANK[item[0][1]])
        )
        words = [
            f"{n} {action}" if level == "none" else f"{n} {action} {level}"
            for (action, level), n in ordered
        ]
        if words:
            parts.append(f"{region} {', '.join(words)}")
    return "; ".join(parts)


async def test_the_winter_summary_in_the_doc_is_what_seed_1_gives() -> None:
    lines = await warnings("winter-pm25")
    doc = " ".join(DOC.read_text(encoding="utf-8").split())
    assert f"**seed 1**: {len(lines)} warning lines" in doc
    assert by_level_and_action(lines) in doc


async def test_summer_warns_for_o3_mostly_in_the_main_metro() -> None:
    lines = await warnings("summer-o3")
    assert lines
    assert {line["primary_pollutant"] for line in lines} == {"O3"}
    by_region: dict[str, int] = defaultdict(int)
    for line in lines:
        by_region[region_of(line["area"])] += 1
    assert by_region["main-metro"] > by_region["three-gorges"] + by_region["wuling"]
    assert any(line["area"] == "main-metro" for line in lines)


async def test_a_quiet_week_prints_nothing() -> None:
    assert await replayed("quiet-week") == []
