"""Versioned emission-reduction inventories, one per district."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.response.adapters.orm import inventory_sources, inventory_versions
from services.response.domain.inventory import Source


class InventoryRepository:
    async def _latest(self, district: str) -> int:
        version = await self._session.scalar(
            select(func.max(inventory_versions.c.version)).where(
                inventory_versions.c.district == district
            )
        )
        return int(version or 0)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def replace(self, district: str, sources: list[Source], *, by: str) -> int:
        """Store ``sources`` as the district's next version; return its number."""
        version = await self._latest(district) + 1
        await self._session.execute(
            insert(inventory_versions).values(
                district=district,
                version=version,
                imported_at=dt.datetime.now(dt.UTC),
                imported_by=by,
                source_count=len(sources),
            )
        )
        if sources:
            await self._session.execute(
                insert(inventory_sources),
                [
                    {
                        "district": district,
                        "version": version,
                        "source_id": s.source_id,
                        "source": asdict(s),
                    }
                    for s in sources
                ],
            )
        return version

    async def current(self, district: str) -> tuple[int, list[Source]]:
        version = await self._latest(district)
        rows = await self._session.execute(
            select(inventory_sources.c.source)
            .where(inventory_sources.c.district == district, inventory_sources.c.version == version)
            .order_by(inventory_sources.c.source_id)
        )
        return version, [Source(**row.source) for row in rows]
