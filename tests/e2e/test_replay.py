"""`airwarn replay`: the worked examples of docs/replay.md, regions, advisories, bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from services.replay import ScenarioError, parse_scenario, replay
from shared.areas import members

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "replay.md"


def documented_examples() -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(name, scenario, expected lines) for every `<!-- example: name -->` in the doc."""
    text = DOC.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"<!-- example: (\S+) -->\n```jsonl\n(.*?)```", text, re.S):
        before = text[: match.start()]
        scenarios = [b for b in re.findall(r"```json\n(.*?)```", before, re.S) if '"events"' in b]
        expected = [json.loads(line) for line in match.group(2).splitlines() if line.strip()]
        found.append((match.group(1), scenarios[-1], expected))
    return found


async def run(
    scenario: str | dict[str, Any], *, auto_approve: bool = True, tasks: bool = False
) -> list[dict[str, Any]]:
    """The lines the replay prints; without ``tasks``, only warnings and proposals."""
    text = scenario if isinstance(scenario, str) else json.dumps(scenario)
    lines: list[dict[str, Any]] = []
    await replay(parse_scenario(text), auto_approve=auto_approve, emit=lines.append)
    return lines if tasks else [line for line in lines if line["kind"] in ("warning", "proposal")]


def test_the_doc_has_examples() -> None:
    assert [name for name, _, _ in documented_examples()] == ["input-above", "episode", "relief"]


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [pytest.param(s, e, id=name) for name, s, e in documented_examples()],
)
async def test_the_documented_examples_replay_as_written(
    scenario: str, expected: list[dict[str, Any]]
) -> None:
    assert await run(scenario) == expected


def _forecast(area: str, issued: str, pm25: list[float]) -> dict[str, Any]:
    day0 = int(issued[8:10])
    return {
        "type": "forecast",
        "area": area,
        "issued_at": issued,
        "days": [{"date": f"2023-01-{day0 + i:02d}", "pm25": v} for i, v in enumerate(pm25)],
    }


async def test_a_region_follows_two_thirds_of_its_districts_and_binds_the_rest() -> None:
    """Rules §3 and §4.1 steps 7–8: the 14th of 21 fresh forecasts makes the derived
    main-metro series; its orange is approved by HQ and carried to the 7 other districts."""
    codes = [a.code for a in members("main-metro")]
    heavy = [60, 90, 120, 160, 170, 130]
    events = [_forecast(code, "2023-01-07T10:00:00+08:00", heavy) for code in codes[:14]]
    lines = await run({"events": events})
    own = [line for line in lines if line["cause"] == "forecast" and line["area"] != "main-metro"]
    assert len(own) == 14
    assert all(line["level"] == "orange" for line in own)
    region = [line for line in lines if line["area"] == "main-metro"]
    assert region == [
        {
            "kind": "warning",
            "area": "main-metro",
            "action": "issue",
            "level": "orange",
            "response": "II",
            "previous": "none",
            "primary_pollutant": "PM2.5",
            "cause": "forecast",
            "at": "2023-01-07T10:00:00+08:00",
            "episode_start": "2023-01-09",
            "late": False,
        }
    ]
    bound = [line for line in lines if line["cause"] == "region"]
    assert sorted(line["area"] for line in bound) == sorted(codes[14:])
    assert all(line["level"] == "orange" and line["action"] == "issue" for line in bound)
    assert lines.index(region[0]) < min(lines.index(line) for line in bound)


async def test_thirteen_fresh_districts_are_not_enough_for_a_region() -> None:
    codes = [a.code for a in members("main-metro")]
    events = [
        _forecast(c, "2023-01-07T10:00:00+08:00", [60, 90, 120, 160, 170]) for c in codes[:13]
    ]
    lines = await run({"events": events})
    assert not [line for line in lines if line["area"] == "main-metro"]


async def test_a_region_advisory_binds_each_of_its_districts_no_lower() -> None:
    """Rules §3: each district of the region holds at least the advisory's level."""
    lines = await run(
        {
            "events": [
                {
                    "type": "advisory",
                    "area": "wuling",
                    "level": "yellow",
                    "issuer": "mee",
                    "issued_at": "2023-01-08T09:00:00+08:00",
                    "start": "2023-01-10",
                    "end": "2023-01-11",
                },
            ]
        }
    )
    assert sorted(line["area"] for line in lines) == sorted(a.code for a in members("wuling"))
    assert {(line["level"], line["cause"], line["late"]) for line in lines} == {
        ("yellow", "advisory", False)
    }


async def test_an_advisory_never_lowers_a_districts_own_level() -> None:
    heavy = _forecast("500105", "2023-01-07T10:00:00+08:00", [60, 90, 120, 160, 170, 130])
    advisory = {
        "type": "advisory",
        "area": "500105",
        "level": "yellow",
        "issuer": "office",
        "issued_at": "2023-01-07T12:00:00+08:00",
        "start": "2023-01-08",
        "end": "2023-01-12",
    }
    lines = await run({"events": [heavy, advisory]})
    assert [(line["action"], line["level"]) for line in lines] == [("issue", "orange")]


async def test_without_auto_approve_a_proposal_waits_for_its_role() -> None:
    lines = await run(
        {"events": [_forecast("500105", "2023-01-07T10:00:00+08:00", [60, 90, 120, 160, 170])]},
        auto_approve=False,
    )
    assert lines == [
        {
            "kind": "proposal",
            "area": "500105",
            "action": "issue",
            "level": "orange",
            "previous": "none",
            "cause": "forecast",
            "at": "2023-01-07T10:00:00+08:00",
            "awaiting": "district-hq",
        }
    ]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {
                "type": "forecast",
                "area": "500199",
                "issued_at": "2023-01-08T10:00:00+08:00",
                "days": [{"date": "2023-01-08", "pm25": 50}],
            },
            "event 1: area: .*unknown area code",
        ),
        (
            {
                "type": "forecast",
                "area": "500103",
                "issued_at": "2023-01-08T10:00:00+08:00",
                "days": [{"date": "2023-01-08", "pm25": -5}],
            },
            r"event 1: days\[0\]\.pm25: .*greater than",
        ),
        (
            {
                "type": "forecast",
                "area": "500103",
                "issued_at": "2023-01-08T10:00:00+08:00",
                "days": [{"date": "2023-01-08"}],
            },
            r"event 1: days\[0\]: no pollutant",
        ),
        (
            {"type": "observation", "area": "500103", "date": "2023-01-08", "pm25": "lots"},
            r"event 1: pm25: a number is a JSON number, not a string",
        ),
        (
            {
                "type": "advisory",
                "area": "500103",
                "level": "purple",
                "issuer": "x",
                "issued_at": "2023-01-08T10:00:00+08:00",
                "start": "2023-01-08",
                "end": "2023-01-09",
            },
            "event 1: level: ",
        ),
        ({"type": "rumour", "area": "500103"}, "event 1: .*type"),
    ],
)
def test_bad_input_names_the_event_and_the_field(event: dict[str, Any], message: str) -> None:
    good = _forecast("500105", "2023-01-07T10:00:00+08:00", [60, 90, 120, 160, 170])
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(json.dumps({"events": [good, event]}))


def test_the_command_refuses_bad_input_with_nothing_printed(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "events": [
                    _forecast("500105", "2023-01-07T10:00:00+08:00", [60, 90, 120, 160, 170]),
                    {
                        "type": "forecast",
                        "area": "500105",
                        "issued_at": "2023-01-08T10:00:00+08:00",
                        "days": [
                            {"date": "2023-01-08", "pm25": 50},
                            {"date": "2023-01-08", "pm25": 60},
                        ],
                    },
                ]
            }
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "replay", "--auto-approve", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert "event 1: days[1].date: 2023-01-08 is duplicated or out of order" in done.stderr


def test_the_command_prints_compact_json_lines(tmp_path: Path) -> None:
    name, scenario, expected = documented_examples()[0]
    path = tmp_path / f"{name}.json"
    path.write_text(scenario)
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "replay", "--auto-approve", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    printed = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line for line in printed if line["kind"] == "warning"] == expected
    assert {line["kind"] for line in printed} == {"warning", "task", "bulletin"}
    assert done.stdout.splitlines()[0].startswith('{"kind":"warning","area":"500103"')
