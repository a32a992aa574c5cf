from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.orm import bulletins, notices
from services.notify.domain.model import Bulletin
from services.notify.domain.notices import Notice, NoticeLine


class BulletinRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, bulletin: Bulletin) -> None:
        values = asdict(bulletin)
        values["refs"] = list(values.pop("references"))
        await self._session.execute(insert(bulletins).values(**values))

    async def get(self, bulletin_id: str) -> Bulletin | None:
        query = select(bulletins).where(bulletins.c.bulletin_id == bulletin_id)
        row = (await self._session.execute(query)).first()
        return _to_bulletin(row) if row else None

    async def of_episode(self, area: str, episode_id: str) -> list[Bulletin]:
        rows = await self._session.execute(
            select(bulletins)
            .where(bulletins.c.area == area, bulletins.c.episode_id == episode_id)
            .order_by(bulletins.c.seq)
        )
        return [_to_bulletin(row) for row in rows]

    async def recent(self, *, area: str | None = None, limit: int = 100) -> list[Bulletin]:
        query = select(bulletins).order_by(bulletins.c.seq.desc()).limit(limit)
        if area is not None:
            query = query.where(bulletins.c.area == area)
        return [_to_bulletin(row) for row in await self._session.execute(query)]


def _to_bulletin(row: Any) -> Bulletin:
    values = dict(row._mapping)
    values.pop("seq")
    values["references"] = tuple(values.pop("refs"))
    return Bulletin(**values)


class NoticeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_new(self, notices_: list[Notice]) -> set[str]:
        """Store those of ``notices_`` not yet there (a redelivered event's are) and return
        their ids: one INSERT ... ON CONFLICT DO NOTHING, not a read and a write per notice."""
        if not notices_:
            return set()
        rows = [
            {
                "notice_id": notice.notice_id,
                "unit": notice.unit,
                "area": notice.area,
                "episode_id": notice.episode_id,
                "warning_id": notice.warning_id,
                "created_at": notice.created_at,
                "lines": [line.as_json() for line in notice.lines],
            }
            for notice in notices_
        ]
        bind = self._session.bind
        dialect = bind.dialect.name if bind is not None else "postgresql"
        statement = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(notices)
        added = await self._session.execute(
            statement.values(rows)
            .on_conflict_do_nothing(index_elements=[notices.c.notice_id])
            .returning(notices.c.notice_id)
        )
        return {str(notice_id) for notice_id in added.scalars()}

    async def get(self, notice_id: str) -> Notice | None:
        row = (
            await self._session.execute(select(notices).where(notices.c.notice_id == notice_id))
        ).first()
        if row is None:
            return None
        lines = tuple(
            NoticeLine(
                n["action"],
                n["measure_id"],
                n["level"],
                dt.datetime.fromisoformat(n["due"]) if n["due"] else None,
            )
            for n in row.lines
        )
        return Notice(
            row.notice_id, row.unit, row.area, row.episode_id, row.warning_id, row.created_at, lines
        )
