"""Tasks (plan §4.2, rules §5): a warning action becomes the catalogue's measures for
its level and primary pollutant, one task per measure and area, to the lead unit.

Issue or upgrade assigns what the level carries and the episode does not have yet;
a downgrade stands down what only the higher levels carried; a lift stands down all
that is still open. Levels are cumulative: II carries III's measures, I carries II's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from services.response.domain.catalog import Catalog, Measure
from shared.areas import AREAS
from shared.contracts.payloads import TaskChange, WarningChanged
from shared.errors import Conflict, Rejected

Status = Literal["open", "acknowledged", "in_progress", "done", "stood_down"]
ACTIVE: tuple[Status, ...] = ("open", "acknowledged", "in_progress")
LEVEL_RANK = {"III": 1, "II": 2, "I": 3}
DISTRICT_GOVERNMENT = "district-government"


@dataclass(frozen=True)
class Task:
    task_id: str
    episode_id: str
    area: str
    measure_id: str
    kind: str
    unit: str
    level: str  # the response level whose measures include it
    status: Status
    due: dt.datetime
    assigned_at: dt.datetime
    warning_id: str = ""  # the warning action that assigned it
    note: str | None = None
    progress: str | None = None
    acknowledged_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    stood_down_at: dt.datetime | None = None
    reminded_at: dt.datetime | None = None
    #: how many times the stored task was written (its ETag); 0: not stored yet. A write
    #: names the version it read and is refused if the task has moved on since.
    version: int = 0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def overdue(self, now: dt.datetime) -> bool:
        return self.active and now > self.due


def unit_for(measure: Measure, area: str) -> str | None:
    """Who carries ``measure`` in ``area``: its lead unit; a district's own government
    where the lead is "the district government". A region's warning binds each of its
    districts, whose own warnings carry the district governments' measures."""
    if measure.lead != DISTRICT_GOVERNMENT:
        return measure.lead
    if AREAS[area].kind == "district":
        return f"{DISTRICT_GOVERNMENT}:{area}"
    return None


def task_id(episode_id: str, measure_id: str, unit: str) -> str:
    return f"{episode_id}:{measure_id}:{unit}"


def plan_tasks(
    change: WarningChanged,
    episode_id: str,
    existing: Sequence[Task],
    catalog: Catalog,
) -> tuple[list[Task], list[TaskChange]]:
    """The tasks after ``change`` (new or changed only) and the changes to announce."""
    at = change.decided_at
    if change.action in ("issue", "upgrade"):
        if change.response_level is None:
            raise Rejected(f"{change.area}: {change.action} without a response level")
        pollutant = change.primary_pollutant or "PM2.5"  # an advisory may name none
        district = change.area if AREAS[change.area].kind == "district" else None
        wanted = [
            m
            for m in catalog.for_level(change.response_level, pollutant, district=district)
            if m.kind != "report"
        ]
        return _assign(change, episode_id, existing, wanted, at)
    # A §5.1 report stays owed to the city office whatever the level does next.
    measures = [t for t in existing if t.active and t.kind != "report"]
    if change.action == "downgrade":
        keep = LEVEL_RANK[change.response_level or "III"]
        return _stand_down((t for t in measures if LEVEL_RANK[t.level] > keep), at)
    return _stand_down(measures, at)


def _assign(
    change: WarningChanged,
    episode_id: str,
    existing: Sequence[Task],
    wanted: Iterable[Measure],
    at: dt.datetime,
) -> tuple[list[Task], list[TaskChange]]:
    by_id = {t.task_id: t for t in existing}
    made: list[Task] = []
    for measure in wanted:
        unit = unit_for(measure, change.area)
        if unit is None:
            continue
        key = task_id(episode_id, measure.id, unit)
        if key in by_id and by_id[key].status != "stood_down":
            continue  # already assigned in this episode
        # a stood-down task assigned again is the stored one rewritten, at its version
        stored = by_id[key].version if key in by_id else 0
        made.append(
            Task(
                task_id=key,
                episode_id=episode_id,
                area=change.area,
                measure_id=measure.id,
                kind=measure.kind,
                unit=unit,
                level=measure.level,
                status="open",
                due=at + measure.due,
                assigned_at=at,
                warning_id=change.warning_id,
                note=measure.title_en,
                version=stored,
            )
        )
    return made, [_change(t, "assign") for t in made]


def _stand_down(tasks: Iterable[Task], at: dt.datetime) -> tuple[list[Task], list[TaskChange]]:
    done = [replace(t, status="stood_down", stood_down_at=at) for t in tasks]
    return done, [_change(t, "stand_down") for t in done]


def _change(task: Task, action: str) -> TaskChange:
    return TaskChange(
        task_id=task.task_id,
        measure_id=task.measure_id,
        unit=task.unit,
        level=task.level,
        action=action,
        due=task.due,
        note=task.progress or task.note,
    )


def reminder(task: Task, at: dt.datetime) -> tuple[Task, TaskChange]:
    marked = replace(task, reminded_at=at)
    return marked, _change(marked, "remind")


def acknowledge(task: Task, at: dt.datetime) -> tuple[Task, TaskChange]:
    _must_be_active(task)
    done = replace(task, status="acknowledged", acknowledged_at=task.acknowledged_at or at)
    return done, _change(done, "acknowledge")


def report_progress(task: Task, note: str, at: dt.datetime) -> tuple[Task, TaskChange]:
    _must_be_active(task)
    if not note.strip():
        raise Rejected("note: a progress report needs a note")
    done = replace(
        task, status="in_progress", progress=note, acknowledged_at=task.acknowledged_at or at
    )
    return done, _change(done, "progress")


def complete(task: Task, note: str, at: dt.datetime) -> tuple[Task, TaskChange]:
    _must_be_active(task)
    if not note.strip():
        raise Rejected("note: completing a task needs a note on what was done")
    done = replace(task, status="done", progress=note, completed_at=at)
    return done, _change(done, "complete")


def _must_be_active(task: Task) -> None:
    if not task.active:
        raise Conflict(f"task {task.task_id} is {task.status}; it can no longer change")
