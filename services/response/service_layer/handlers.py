"""Response handlers: one async function per event or command (plan §4.2, §5.1).

Responses, timeline entries and tasks are audited as they change (``uow.record``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from services.response.domain import tasks as task_rules
from services.response.domain.catalog import Catalog
from services.response.domain.evaluation import TimelineEntry
from services.response.domain.model import Response, apply_change, report_task
from services.response.domain.tasks import ACTIVE, Task
from services.response.service_layer.unit_of_work import ResponseUnitOfWork
from shared.areas import in_chongqing
from shared.auth import Principal
from shared.contracts.payloads import ResponseTasks, TaskChange, WarningChanged
from shared.contracts.topics import RESPONSE_TASKS
from shared.errors import Forbidden, NotFound

HQ_ROLES = ("hq-commander", "office-director", "office-duty")
REMIND_EVERY = dt.timedelta(hours=1)


async def on_warning_changed(
    change: WarningChanged, uow: ResponseUnitOfWork, *, catalog: Catalog
) -> None:
    """Open, re-level or close the area's response and assign or stand down its tasks."""
    previous = await uow.responses.latest(change.area)
    response = apply_change(previous, change)
    await uow.responses.save(response)
    same = previous is not None and previous.episode_id == response.episode_id
    await uow.record(
        "response", response.episode_id, change.action, previous if same else None, response
    )
    entry = TimelineEntry(change.decided_at, change.action, change.level, change.response_level)
    await uow.evaluation.add_entry(response.episode_id, entry)
    await uow.record("timeline", response.episode_id, change.action, None, entry)
    if not in_chongqing(change.area):
        return  # the measure catalogue is Chongqing's: a registered extra area has no tasks
    existing = await uow.responses.tasks(episode_id=response.episode_id)
    changed, announced = task_rules.plan_tasks(change, response.episode_id, existing, catalog)
    report = report_task(change, response)
    if report is not None and report.due is not None:
        changed.append(
            Task(
                task_id=report.task_id,
                episode_id=response.episode_id,
                area=change.area,
                measure_id=report.measure_id,
                kind="report",
                unit=report.unit,
                level=report.level,
                status="open",
                due=report.due,
                assigned_at=change.decided_at,
                warning_id=change.warning_id,
                note=report.note,
            )
        )
        announced.append(report)
    await uow.responses.save_tasks(changed)
    await _record_tasks(uow, existing, changed, announced)
    if announced:
        await _announce(uow, change.area, response.episode_id, change.warning_id, announced)


async def _record_tasks(
    uow: ResponseUnitOfWork,
    before: Sequence[Task],
    after: Sequence[Task],
    announced: Sequence[TaskChange],
) -> None:
    was = {t.task_id: t for t in before}
    actions = {c.task_id: c.action for c in announced}
    for task in after:
        old = was.get(task.task_id)
        action = actions.get(task.task_id) or ("assign" if old is None else "update")
        await uow.record("task", task.task_id, action, old, task)


async def _announce(
    uow: ResponseUnitOfWork, area: str, episode_id: str, warning_id: str, changes: list[TaskChange]
) -> None:
    await uow.publish(
        RESPONSE_TASKS,
        ResponseTasks(area=area, episode_id=episode_id, warning_id=warning_id, changes=changes),
    )


def may_change(principal: Principal, task: Task) -> bool:
    """Only the assigned unit or HQ may change a task."""
    if principal.role in HQ_ROLES:
        return True
    if principal.role == "agency":
        return principal.unit == task.unit
    if principal.role == "district-hq":
        return task.unit == f"{task_rules.DISTRICT_GOVERNMENT}:{principal.area}"
    return False


async def change_task(
    task_id: str,
    action: str,
    principal: Principal,
    uow: ResponseUnitOfWork,
    *,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> Task:
    task = await uow.responses.task(task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if not may_change(principal, task):
        raise Forbidden(f"only {task.unit} or HQ may change this task")
    at = now or dt.datetime.now(dt.UTC)
    if action == "acknowledge":
        done, announced = task_rules.acknowledge(task, at)
    elif action == "progress":
        done, announced = task_rules.report_progress(task, note or "", at)
    else:
        done, announced = task_rules.complete(task, note or "", at)
    await uow.responses.save_tasks([done])
    await uow.record("task", task_id, announced.action, task, done)
    await _announce(uow, task.area, task.episode_id, task.warning_id, [announced])
    await uow.commit()
    return done


async def remind_overdue(
    uow: ResponseUnitOfWork, *, now: dt.datetime | None = None
) -> dict[str, list[Task]]:
    """Remind each unit of its overdue tasks, at most once an hour per task; return the
    reminders grouped by unit."""
    at = now or dt.datetime.now(dt.UTC)
    overdue = await uow.responses.tasks(status=ACTIVE, due_before=at)
    due_now = [t for t in overdue if t.reminded_at is None or at - t.reminded_at >= REMIND_EVERY]
    by_area: dict[tuple[str, str, str], list[TaskChange]] = defaultdict(list)
    by_unit: dict[str, list[Task]] = defaultdict(list)
    reminded = []
    for task in due_now:
        marked, announced = task_rules.reminder(task, at)
        await uow.record("task", task.task_id, "overdue-reminder", task, marked)
        reminded.append(marked)
        by_unit[task.unit].append(marked)
        by_area[(task.area, task.episode_id, task.warning_id)].append(announced)
    await uow.responses.save_tasks(reminded)
    for (area, episode_id, warning_id), changes in by_area.items():
        await _announce(uow, area, episode_id, warning_id, changes)
    await uow.commit()
    return dict(by_unit)


async def list_responses(
    uow: ResponseUnitOfWork, *, area: str | None = None, active: bool | None = None
) -> list[Response]:
    return await uow.responses.all(area=area, active=active)


async def list_tasks(
    uow: ResponseUnitOfWork,
    *,
    unit: str | None = None,
    area: str | None = None,
    level: str | None = None,
    status: Sequence[str] | None = None,
) -> list[Task]:
    return await uow.responses.tasks(unit=unit, area=area, level=level, status=status)
