"""Versioned emission-reduction inventories, one per district."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.response.adapters.orm import inventory_sources, inventory_versions
from services.response.domain.inventory import Source
from shared.db.dialect import insert_for
from shared.errors import Conflict

#: how often an import looks for a free version number before giving up (409)
_CLAIM_TRIES = 5


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
        version = await self._claim_version(district, by=by, count=len(sources))
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

    async def _claim_version(self, district: str, *, by: str, count: int) -> int:
        # Parallel imports both read the same latest version; the version row is claimed
        # with ON CONFLICT DO NOTHING, so the loser (which waited for the winner's
        # transaction) sees no row come back and takes the next number instead of failing
        # on the primary key.
        for _ in range(_CLAIM_TRIES):
            version = await self._latest(district) + 1
            claimed = await self._session.execute(
                insert_for(self._session, inventory_versions)
                .values(
                    district=district,
                    version=version,
                    imported_at=dt.datetime.now(dt.UTC),
                    imported_by=by,
                    source_count=count,
                )
                .on_conflict_do_nothing(
                    index_elements=[inventory_versions.c.district, inventory_versions.c.version]
                )
                .returning(inventory_versions.c.version)
            )
            if claimed.first() is not None:
                return version
        raise Conflict(f"{district}: other imports keep taking the next version; send it again")

    async def current(self, district: str) -> tuple[int, list[Source]]:
        return await self.version(district, await self._latest(district))

    async def version(self, district: str, version: int) -> tuple[int, list[Source]]:
        """The district's inventory as it was at ``version`` (no sources for 0)."""
        rows = await self._session.execute(
            select(inventory_sources.c.source)
            .where(inventory_sources.c.district == district, inventory_sources.c.version == version)
            .order_by(inventory_sources.c.source_id)
        )
        return version, [Source(**row.source) for row in rows]
