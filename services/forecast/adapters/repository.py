from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.forecast.adapters.orm import forecasts
from services.forecast.domain.model import Forecast
from shared.contracts.payloads import DayValues
from shared.db.dialect import insert_for

_IDENTITY = (forecasts.c.source, forecasts.c.area, forecasts.c.kind, forecasts.c.issued_at)


class ForecastRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_if_absent(self, forecast: Forecast) -> bool:
        """Store ``forecast`` unless one with its identity (source, area, kind, issue time)
        is stored; True if this call stored it.

        One INSERT ... ON CONFLICT DO NOTHING RETURNING, not a read then a write: parallel
        resends of one forecast then never meet the unique constraint as an error. On
        PostgreSQL the loser waits for the winner's transaction and sees its row; on SQLite
        the INSERT is the transaction's first statement, so it queues for the write lock
        instead of failing on a stale read snapshot."""
        stored = await self._session.execute(
            insert_for(self._session, forecasts)
            .values(
                forecast_id=forecast.forecast_id,
                area=forecast.area,
                source=forecast.source,
                kind=forecast.kind,
                issued_at=forecast.issued_at,
                received_at=dt.datetime.now(dt.UTC),
                days=[day.model_dump(mode="json") for day in forecast.days],
            )
            .on_conflict_do_nothing(index_elements=list(_IDENTITY))
            .returning(forecasts.c.forecast_id)
        )
        return stored.first() is not None

    async def find(
        self, *, source: str, area: str, kind: str, issued_at: dt.datetime
    ) -> Forecast | None:
        rows = await self._session.execute(
            select(forecasts).where(
                forecasts.c.source == source,
                forecasts.c.area == area,
                forecasts.c.kind == kind,
                forecasts.c.issued_at == issued_at,
            )
        )
        row = rows.first()
        return _to_forecast(row) if row else None

    async def areas_with_observations(self) -> list[str]:
        rows = await self._session.execute(
            select(forecasts.c.area).where(forecasts.c.kind == "observation").distinct()
        )
        return sorted(row.area for row in rows)

    async def latest_issued(self, area: str, *, excluding_source: str) -> dt.datetime | None:
        """When ``area``'s latest forecast not from ``excluding_source`` was issued."""
        found: dt.datetime | None = await self._session.scalar(
            select(forecasts.c.issued_at)
            .where(
                forecasts.c.area == area,
                forecasts.c.kind == "forecast",
                forecasts.c.source != excluding_source,
            )
            .order_by(forecasts.c.issued_at.desc())
            .limit(1)
        )
        return found

    async def history(
        self, area: str, *, kind: str = "forecast", limit: int = 50
    ) -> list[Forecast]:
        rows = await self._session.execute(
            select(forecasts)
            .where(forecasts.c.area == area, forecasts.c.kind == kind)
            .order_by(forecasts.c.issued_at.desc())
            .limit(limit)
        )
        return [_to_forecast(row) for row in rows]


def _to_forecast(row: Any) -> Forecast:
    return Forecast(
        forecast_id=row.forecast_id,
        area=row.area,
        source=row.source,
        kind=row.kind,
        issued_at=row.issued_at,
        days=tuple(DayValues.model_validate(day) for day in row.days),
    )
