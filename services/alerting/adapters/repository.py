from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerting.adapters.orm import series_days
from services.alerting.domain.series import SeriesDay
from shared.contracts.payloads import DayValues
from shared.db.dialect import insert_for


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
        # Every forecast saves its days: one multi-row upsert, not a delete and an insert
        # (the alerting hot path, see bench/).
        upsert = insert_for(self._session, series_days).values(rows)
        await self._session.execute(
            upsert.on_conflict_do_update(
                index_elements=[series_days.c.area, series_days.c.date],
                set_={
                    name: upsert.excluded[name]
                    for name in ("kind", "forecast_id", "issued_at", "day_values")
                },
            )
        )


def _to_day(row: Any) -> SeriesDay:
    return SeriesDay(
        area=row.area,
        date=row.date,
        kind=row.kind,
        forecast_id=row.forecast_id,
        issued_at=row.issued_at,
        values=DayValues.model_validate(row.day_values),
    )
