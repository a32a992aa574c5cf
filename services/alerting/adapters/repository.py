from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerting.adapters.orm import series_days
from services.alerting.domain.series import SeriesDay
from shared.contracts.payloads import DayValues


class SeriesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def days(
        self, area: str, *, since: dt.date | None = None, until: dt.date | None = None
    ) -> dict[dt.date, SeriesDay]:
        query = select(series_days).where(series_days.c.area == area)
        if since is not None:
            query = query.where(series_days.c.date >= since)
        if until is not None:
            query = query.where(series_days.c.date <= until)
        rows = await self._session.execute(query.order_by(series_days.c.date))
        return {row.date: _to_day(row) for row in rows}

    async def save(self, days: Iterable[SeriesDay]) -> None:
        rows = [
            {
                "area": day.area,
                "date": day.date,
                "kind": day.kind,
                "forecast_id": day.forecast_id,
                "issued_at": day.issued_at,
                "day_values": day.values.model_dump(mode="json"),
            }
            for day in days
        ]
        if not rows:
            return
        # Every forecast saves its days: one delete per area and one multi-row insert,
        # not two statements per day (the alerting hot path, see bench/).
        for area in {row["area"] for row in rows}:
            dates = [row["date"] for row in rows if row["area"] == area]
            await self._session.execute(
                delete(series_days).where(series_days.c.area == area, series_days.c.date.in_(dates))
            )
        await self._session.execute(insert(series_days), rows)


def _to_day(row: Any) -> SeriesDay:
    return SeriesDay(
        area=row.area,
        date=row.date,
        kind=row.kind,
        forecast_id=row.forecast_id,
        issued_at=row.issued_at,
        values=DayValues.model_validate(row.day_values),
    )
