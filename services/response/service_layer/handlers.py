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
from shared.errors import Forbidden, NotFound, PreconditionFailed, StaleWrite

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
                version=next((t.version for t in existing if t.task_id == report.task_id), 0),
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
    if_version: int | None = None,
) -> Task:
    """Apply ``action`` to the task as stored; the task as written (its new version).

    With ``if_version`` (the caller's ``If-Match``) the change applies only to that
    version: :class:`PreconditionFailed` if the task is at another or moves on while this
    is written. Without it, the change applies to the version read, and if a parallel
    write gets in between it is worked out once more on the task as that left it (where
    the rules may then refuse it: completing a task someone completed is a 409) — so no
    change is ever lost silently."""
    at = now or dt.datetime.now(dt.UTC)
    try:
        task, written, announced = await _write_change(
            task_id, action, principal, uow, note or "", at, if_version
        )
    except StaleWrite as exc:
        if if_version is not None:
            raise PreconditionFailed(
                f"task {task_id} changed while this was applied: read it again"
            ) from exc
        # Nothing was written (a 0-row UPDATE) and the transaction goes on: read again,
        # the other writer's change now visible, and apply once more (a second loss: 409).
        task, written, announced = await _write_change(
            task_id, action, principal, uow, note or "", at, None
        )
    await uow.record("task", task_id, announced.action, task, written)
    await _announce(uow, task.area, task.episode_id, task.warning_id, [announced])
    await uow.commit()
    return written


async def _write_change(
    task_id: str,
    action: str,
    principal: Principal,
    uow: ResponseUnitOfWork,
    note: str,
    at: dt.datetime,
    if_version: int | None,
) -> tuple[Task, Task, TaskChange]:
    """The task as read, as written, and the change to announce."""
    task = await uow.responses.task(task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if not may_change(principal, task):
        raise Forbidden(f"only {task.unit} or HQ may change this task")
    if if_version is not None and task.version != if_version:
        raise PreconditionFailed(
            f'task {task_id} is at version {task.version} (ETag "{task.version}"), '
            f"not {if_version}: read it again and decide on what it is now"
        )
    done, announced = _apply(task, action, note, at)
    return task, await uow.responses.update_task(done), announced


def _apply(task: Task, action: str, note: str, at: dt.datetime) -> tuple[Task, TaskChange]:
    if action == "acknowledge":
        return task_rules.acknowledge(task, at)
    if action == "progress":
        return task_rules.report_progress(task, note, at)
    return task_rules.complete(task, note, at)


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
