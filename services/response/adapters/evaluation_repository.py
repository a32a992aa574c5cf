"""What the evaluation (§6) needs: each episode's timeline and each area's air days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.response.adapters.orm import air_days, timeline
from services.response.domain.evaluation import AirDay, TimelineEntry

LOCAL = ZoneInfo("Asia/Shanghai")


class EvaluationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_entry(self, episode_id: str, entry: TimelineEntry) -> None:
        await self._session.execute(
            insert(timeline).values(
                episode_id=episode_id,
                at=entry.at,
                action=entry.action,
                warning_level=entry.warning_level,
                response_level=entry.response_level,
            )
        )

    async def timeline(self, episode_id: str) -> list[TimelineEntry]:
        rows = await self._session.execute(
            select(timeline).where(timeline.c.episode_id == episode_id).order_by(timeline.c.seq)
        )
        return [
            TimelineEntry(row.at, row.action, row.warning_level, row.response_level) for row in rows
        ]

    async def record_forecasts(
        self, area: str, aqi_by_date: Mapping[dt.date, int], issued_at: dt.datetime
    ) -> None:
        """Keep, of each day, the last forecast issued before the day began (the day-ahead)."""
        rows = [
            {"area": area, "date": date, "forecast_aqi": aqi, "forecast_issued_at": issued_at}
            for date, aqi in aqi_by_date.items()
            if issued_at < dt.datetime.combine(date, dt.time(0), tzinfo=LOCAL)
        ]
        if not rows:
            return
        # One multi-row upsert, not a read and a write per day: every forecast records six
        # or so days (the response hot path, see bench/).
        dialect = self._session.bind.dialect.name if self._session.bind else "postgresql"
        upsert = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(air_days).values(
            rows
        )
        await self._session.execute(
            upsert.on_conflict_do_update(
                index_elements=[air_days.c.area, air_days.c.date],
                set_={
                    "forecast_aqi": upsert.excluded.forecast_aqi,
                    "forecast_issued_at": upsert.excluded.forecast_issued_at,
                },
                where=or_(
                    air_days.c.forecast_issued_at.is_(None),
                    air_days.c.forecast_issued_at <= issued_at,
                ),
            )
        )

    async def record_observation(self, area: str, date: dt.date, aqi: int) -> None:
        row = (
            await self._session.execute(
                select(air_days.c.area).where(air_days.c.area == area, air_days.c.date == date)
            )
        ).first()
        if row is None:
            await self._session.execute(
                insert(air_days).values(area=area, date=date, observed_aqi=aqi)
            )
        else:
            await self._session.execute(
                update(air_days)
                .where(air_days.c.area == area, air_days.c.date == date)
                .values(observed_aqi=aqi)
            )

    async def air(self, area: str, since: dt.date, until: dt.date) -> list[AirDay]:
        rows = await self._session.execute(
            select(air_days)
            .where(air_days.c.area == area, air_days.c.date >= since, air_days.c.date <= until)
            .order_by(air_days.c.date)
        )
        return [AirDay(row.date, row.forecast_aqi, row.observed_aqi) for row in rows]
