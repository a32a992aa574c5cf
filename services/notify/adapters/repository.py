from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.orm import bulletins
from services.notify.domain.model import Bulletin


class BulletinRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, bulletin: Bulletin) -> None:
        await self._session.execute(
            insert(bulletins).values(
                bulletin_id=bulletin.bulletin_id,
                area=bulletin.area,
                episode_id=bulletin.episode_id,
                warning_id=bulletin.warning_id,
                msg_type=bulletin.msg_type,
                level=bulletin.level,
                refs=list(bulletin.references),
                headline_zh=bulletin.headline_zh,
                headline_en=bulletin.headline_en,
                text_zh=bulletin.text_zh,
                text_en=bulletin.text_en,
                published_at=bulletin.published_at,
            )
        )

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
    return Bulletin(
        bulletin_id=row.bulletin_id,
        area=row.area,
        episode_id=row.episode_id,
        warning_id=row.warning_id,
        msg_type=row.msg_type,
        level=row.level,
        references=tuple(row.refs),
        headline_zh=row.headline_zh,
        headline_en=row.headline_en,
        text_zh=row.text_zh,
        text_en=row.text_en,
        published_at=row.published_at,
    )
