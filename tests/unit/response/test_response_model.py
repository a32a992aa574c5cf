"""An area's response follows its warning actions; §5.1 reports are owed by districts."""

from __future__ import annotations

import datetime as dt

import pytest

from services.response.domain.model import REPORT_MEASURE, apply_change, report_task
from shared.contracts.payloads import WarningChanged
from shared.errors import Rejected

AT = dt.datetime(2026, 1, 4, 8, tzinfo=dt.UTC)


def change(
    action: str, level: str | None, previous: str | None, area: str = "500103"
) -> WarningChanged:
    response = {"yellow": "III", "orange": "II", "red": "I", None: None}[level]
    return WarningChanged(
        area=area,
        warning_id=f"w-{action}",
        action=action,
        level=level,  # type: ignore[arg-type]
        response_level=response,
        previous_level=previous,
        episode_id="ep-1",  # type: ignore[arg-type]
        episode_start=dt.date(2026, 1, 5),
        episode_end=None,
        primary_pollutant="PM2.5",
        cause="forecast",
        issuing_unit="district HQ",
        decided_at=AT,
        cause_at=AT,
    )


def test_issue_upgrade_downgrade_lift() -> None:
    response = apply_change(None, change("issue", "yellow", None))
    assert (response.response_level, response.active) == ("III", True)
    response = apply_change(response, change("upgrade", "red", "yellow"))
    assert response.response_level == "I"
    response = apply_change(response, change("downgrade", "orange", "red"))
    assert response.response_level == "II"
    response = apply_change(response, change("lift", None, "orange"))
    assert not response.active
    assert response.actions == ("issue", "upgrade", "downgrade", "lift")


@pytest.mark.parametrize("action", ["upgrade", "downgrade", "lift"])
def test_a_change_without_an_active_warning_is_rejected(action: str) -> None:
    with pytest.raises(Rejected, match=f"{action} without an active warning"):
        apply_change(None, change(action, "orange", "yellow"))


def test_a_second_issue_during_an_episode_is_rejected() -> None:
    active = apply_change(None, change("issue", "yellow", None))
    with pytest.raises(Rejected, match="still active"):
        apply_change(active, change("issue", "orange", None))


def test_a_district_owes_a_report_within_one_day_and_a_region_does_not() -> None:
    issued = change("issue", "orange", None)
    task = report_task(issued, apply_change(None, issued))
    assert task is not None
    assert task.measure_id == REPORT_MEASURE
    assert task.due == AT + dt.timedelta(days=1)
    assert task.unit == "district-government:500103"
    regional = change("issue", "orange", None, area="main-metro")
    assert report_task(regional, apply_change(None, regional)) is None
