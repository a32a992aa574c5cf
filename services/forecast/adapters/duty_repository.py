"""The duty watch: areas under warning and the faults opened on them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.forecast.adapters.orm import active_warnings, duty_faults, forecasts
from services.forecast.domain.duty import Watch
from shared.db.dialect import insert_for


class DutyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def set_warning(self, area: str, level: str | None, at: dt.datetime) -> None:
        if level is None:
            await self._session.execute(
                delete(active_warnings).where(active_warnings.c.area == area)
            )
            return
        # One upsert, not a read, a delete and an insert: a level changed while the area
        # stays under warning keeps the ``since`` of its first warning.
        upsert = insert_for(self._session, active_warnings).values(area=area, level=level, since=at)
        await self._session.execute(
            upsert.on_conflict_do_update(
                index_elements=[active_warnings.c.area], set_={"level": upsert.excluded.level}
            )
        )

    async def watches(self) -> list[Watch]:
        """Every area under warning, with its latest forecast (not observation)."""
        latest = (
            select(forecasts.c.area, func.max(forecasts.c.issued_at).label("issued_at"))
            .where(forecasts.c.kind == "forecast")
            .group_by(forecasts.c.area)
            .subquery()
        )
        rows = await self._session.execute(
            select(active_warnings, latest.c.issued_at)
            .join(latest, latest.c.area == active_warnings.c.area, isouter=True)
            .order_by(active_warnings.c.area)
        )
        made = []
        for row in rows:
            forecast_id = None
            if row.issued_at is not None:
                forecast_id = await self._session.scalar(
                    select(forecasts.c.forecast_id)
                    .where(
                        forecasts.c.area == row.area,
                        forecasts.c.kind == "forecast",
                        forecasts.c.issued_at == row.issued_at,
                    )
                    .limit(1)
                )
            issued_at = row.issued_at
            if issued_at is not None and issued_at.tzinfo is None:
                issued_at = issued_at.replace(
                    tzinfo=dt.UTC
                )  # an aggregate bypasses the column type
            made.append(Watch(row.area, row.level, row.since, forecast_id, issued_at))
        return made

    async def open_faults(self) -> dict[str, dict[str, Any]]:
        rows = await self._session.execute(
            select(duty_faults).where(duty_faults.c.cleared_at.is_(None))
        )
        return {row.area: dict(row._mapping) for row in rows}

    async def open_fault(self, values: dict[str, Any]) -> None:
        await self._session.execute(insert(duty_faults).values(**values))

    async def clear_fault(self, fault_id: str, at: dt.datetime) -> None:
        await self._session.execute(
            update(duty_faults).where(duty_faults.c.fault_id == fault_id).values(cleared_at=at)
        )
