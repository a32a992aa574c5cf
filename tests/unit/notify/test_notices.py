"""Task notices: grouped by unit, with an id the same changes always get."""

from __future__ import annotations

import datetime as dt

from services.notify.domain.notices import notices_for
from shared.contracts.payloads import ResponseTasks, TaskChange

AT = dt.datetime(2023, 1, 8, 2, tzinfo=dt.UTC)


def change(task: str, unit: str, action: str = "assign") -> TaskChange:
    return TaskChange(
        task_id=task, measure_id=f"m-{task}", unit=unit, level="II", action=action, due=AT
    )  # type: ignore[arg-type]


def test_one_notice_per_unit_and_the_same_id_for_the_same_changes() -> None:
    tasks = ResponseTasks(
        area="500107",
        episode_id="e",
        warning_id="w",
        changes=[
            change("1", "police"),
            change("2", "transport"),
            change("3", "police"),
            change("4", "police", action="acknowledge"),
        ],
    )
    made = notices_for(tasks, at=AT)
    assert [(n.unit, [line.measure_id for line in n.lines]) for n in made] == [
        ("police", ["m-1", "m-3"]),
        ("transport", ["m-2"]),
    ]
    assert [n.notice_id for n in notices_for(tasks, at=AT)] == [n.notice_id for n in made]
    assert "m-1" in made[0].text("zh-CN") and "Level II" in made[0].text("en-US")
