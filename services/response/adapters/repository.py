from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import fields, replace
from typing import Any, cast

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.response.adapters.orm import responses, tasks
from services.response.domain.model import Response
from services.response.domain.tasks import Task
from shared.errors import StaleWrite


class ResponseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def latest(self, area: str) -> Response | None:
        rows = await self._session.execute(
            select(responses)
            .where(responses.c.area == area)
            .order_by(responses.c.opened_at.desc())
            .limit(1)
        )
        row = rows.first()
        return _to_response(row) if row else None

    async def all(self, *, area: str | None = None, active: bool | None = None) -> list[Response]:
        query = select(responses).order_by(responses.c.opened_at)
        if area is not None:
            query = query.where(responses.c.area == area)
        if active is not None:
            column = responses.c.closed_at
            query = query.where(column.is_(None) if active else column.is_not(None))
        return [_to_response(row) for row in await self._session.execute(query)]

    async def save(self, response: Response) -> None:
        await self._session.execute(
            delete(responses).where(responses.c.episode_id == response.episode_id)
        )
        await self._session.execute(
            insert(responses).values(
                episode_id=response.episode_id,
                area=response.area,
                warning_level=response.warning_level,
                response_level=response.response_level,
                opened_at=response.opened_at,
                closed_at=response.closed_at,
                actions=",".join(response.actions),
                pollutant=response.pollutant,
            )
        )

    async def episode(self, episode_id: str) -> Response | None:
        query = select(responses).where(responses.c.episode_id == episode_id)
        row = (await self._session.execute(query)).first()
        return _to_response(row) if row else None

    async def save_tasks(self, changed: Iterable[Task]) -> list[Task]:
        """Store ``changed`` and return it as stored: a new task (version 0) is inserted at
        version 1; a stored one is rewritten only if it is still at the version it was read
        at (:class:`StaleWrite` otherwise), never deleted and inserted again, so a write
        racing another (a unit completing a task while a warning change stands it down)
        can never silently undo it."""
        # the last change of a task wins, as when each was written in turn
        latest = list({task.task_id: task for task in changed}.values())
        new = [replace(task, version=1) for task in latest if task.version == 0]
        if new:
            # A level's tasks come by the dozen: one multi-row insert, not one per task
            # (the response hot path, see bench/).
            await self._session.execute(insert(tasks), [_row(task) for task in new])
        return new + [await self.update_task(task) for task in latest if task.version != 0]

    async def update_task(self, task: Task) -> Task:
        """``UPDATE ... WHERE task_id = :id AND version = :read``, the row count checked."""
        values = _row(task)
        del values["task_id"]
        values["version"] = task.version + 1
        written = cast(
            CursorResult[Any],
            await self._session.execute(
                update(tasks)
                .where(tasks.c.task_id == task.task_id, tasks.c.version == task.version)
                .values(**values)
            ),
        )
        if written.rowcount != 1:
            raise StaleWrite(f"task {task.task_id} changed after version {task.version} was read")
        return replace(task, version=task.version + 1)

    async def task(self, task_id: str) -> Task | None:
        row = (await self._session.execute(select(tasks).where(tasks.c.task_id == task_id))).first()
        return Task(**row._mapping) if row else None

    async def tasks(
        self,
        *,
        episode_id: str | None = None,
        unit: str | None = None,
        area: str | None = None,
        level: str | None = None,
        status: Sequence[str] | None = None,
        due_before: dt.datetime | None = None,
    ) -> list[Task]:
        query = select(tasks).order_by(tasks.c.due, tasks.c.task_id)
        for column, value in (
            (tasks.c.episode_id, episode_id),
            (tasks.c.unit, unit),
            (tasks.c.area, area),
            (tasks.c.level, level),
        ):
            if value is not None:
                query = query.where(column == value)
        if status is not None:
            query = query.where(tasks.c.status.in_(list(status)))
        if due_before is not None:
            query = query.where(tasks.c.due < due_before)
        return [Task(**row._mapping) for row in await self._session.execute(query)]


def _row(task: Task) -> dict[str, Any]:
    # shallow: dataclasses.asdict deep-copies every value, a third of the insert's time
    return {name: getattr(task, name) for name in _TASK_FIELDS}


_TASK_FIELDS = tuple(f.name for f in fields(Task))


def _to_response(row: Any) -> Response:
    return Response(
        area=row.area,
        episode_id=row.episode_id,
        warning_level=row.warning_level,
        response_level=row.response_level,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        actions=tuple(row.actions.split(",")),
        pollutant=row.pollutant,
    )
