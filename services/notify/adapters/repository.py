from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.orm import bulletins
from services.notify.domain.model import Bulletin


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
