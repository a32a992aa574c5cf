from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.response.adapters.orm import responses, tasks
from services.response.domain.model import Response
from shared.contracts.payloads import TaskChange


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
            )
        )

    async def add_task(self, episode_id: str, area: str, task: TaskChange) -> None:
        await self._session.execute(
            insert(tasks).values(
                task_id=task.task_id,
                episode_id=episode_id,
                area=area,
                measure_id=task.measure_id,
                unit=task.unit,
                level=task.level,
                status="open",
                due=task.due,
                note=task.note,
            )
        )

    async def tasks(
        self, *, unit: str | None = None, area: str | None = None
    ) -> list[dict[str, Any]]:
        query = select(tasks).order_by(tasks.c.due)
        if unit is not None:
            query = query.where(tasks.c.unit == unit)
        if area is not None:
            query = query.where(tasks.c.area == area)
        return [dict(row._mapping) for row in await self._session.execute(query)]


def _to_response(row: Any) -> Response:
    return Response(
        area=row.area,
        episode_id=row.episode_id,
        warning_level=row.warning_level,
        response_level=row.response_level,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        actions=tuple(row.actions.split(",")),
    )
