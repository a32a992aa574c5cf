"""Rules §4 Authority: who approves which warning action."""

from __future__ import annotations

import datetime as dt

import pytest

from services.alerting.domain.warnings import Step, Target, approver_role, issuing_unit


def step(action: str, level: str | None, previous: str | None) -> Step:
    target = (
        None
        if level is None
        else Target(level, "forecast", "f", dt.date(2023, 1, 9), None, "PM2.5")  # type: ignore[arg-type]
    )
    return Step(action, previous, target, new_episode=action == "issue")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "action", "level", "previous", "role"),
    [
        ("region", "issue", "yellow", None, "office-director"),
        ("region", "issue", "orange", None, "hq-commander"),
        ("region", "issue", "red", None, "hq-commander"),
        ("region", "upgrade", "orange", "yellow", "hq-commander"),
        ("region", "downgrade", "yellow", "orange", "hq-commander"),
        ("region", "lift", None, "yellow", "office-director"),
        ("region", "lift", None, "red", "hq-commander"),
        ("district", "issue", "yellow", None, "district-hq"),
        ("district", "issue", "red", None, "district-hq"),
        ("district", "lift", None, "orange", "district-hq"),
    ],
)
def test_the_approver(
    kind: str, action: str, level: str | None, previous: str | None, role: str
) -> None:
    assert approver_role(kind, step(action, level, previous)) == role


def test_the_issuing_unit_follows_the_approver() -> None:
    assert (
        issuing_unit("region", "主城都市区", "office-director")
        == "重庆市重污染天气应急指挥部办公室"
    )
    assert issuing_unit("region", "主城都市区", "hq-commander") == "重庆市重污染天气应急指挥部"
    assert issuing_unit("district", "渝中区", "district-hq") == "渝中区重污染天气应急指挥部"
