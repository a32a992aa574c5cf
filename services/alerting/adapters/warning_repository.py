"""Persistence of the warning state: own levels, published warnings, proposals, advisories."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, delete, false, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerting.adapters.orm import (
    advisories,
    latest_forecasts,
    own_levels,
    proposals,
    warnings,
)
from services.alerting.domain.decision import OwnWarning
from services.alerting.domain.regions import MemberForecast
from services.alerting.domain.warnings import Advisory, Proposal, Published
from shared.contracts.payloads import DayValues
from shared.db.dialect import insert_for


class WarningRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def latest_forecasts(self, areas: Iterable[str]) -> dict[str, MemberForecast]:
        rows = await self._session.execute(
            select(latest_forecasts).where(latest_forecasts.c.area.in_(list(areas)))
        )
        return {
            row.area: MemberForecast(
                row.area,
                row.forecast_id,
                row.issued_at,
                tuple(DayValues.model_validate(d) for d in row.days),
            )
            for row in rows
        }

    async def put_latest_forecast(self, forecast: MemberForecast) -> bool:
        """Keep ``forecast`` as the area's latest applied one unless a forecast issued later
        was kept already; True when kept (rules §4.1 step 1: an older one changes nothing).

        One conditional upsert, so the comparison and the write are atomic: on PostgreSQL a
        concurrent writer waits on the row and then re-checks the condition against what
        committed; SQLite has one writer at a time."""
        upsert = insert_for(self._session, latest_forecasts).values(
            area=forecast.area,
            forecast_id=forecast.forecast_id,
            issued_at=forecast.issued_at,
            days=[d.model_dump(mode="json") for d in forecast.days],
        )
        kept = await self._session.execute(
            upsert.on_conflict_do_update(
                index_elements=[latest_forecasts.c.area],
                set_={
                    "forecast_id": upsert.excluded.forecast_id,
                    "issued_at": upsert.excluded.issued_at,
                    "days": upsert.excluded.days,
                },
                where=latest_forecasts.c.issued_at <= upsert.excluded.issued_at,
            ).returning(latest_forecasts.c.area)
        )
        return kept.first() is not None

    async def lock_areas(self, *areas: str) -> None:
        """Hold the areas' decision locks until the transaction ends, in the order given.

        Whoever changes an area's proposals or warning takes its lock first, so reading the
        pending proposals and the warning in force and acting on them cannot interleave with
        another decision for the area. Callers lock a region before its districts, and only
        a holder of the region's lock takes more than one district: no cycle, no deadlock.
        PostgreSQL: transaction-scoped advisory locks; SQLite: its single write lock."""
        dialect = (await self._session.connection()).dialect.name
        if dialect == "postgresql":
            for area in areas:
                await self._session.execute(select(func.pg_advisory_xact_lock(_area_key(area))))
        elif dialect == "sqlite" and areas:
            # a write that changes nothing takes the write lock a deferred transaction lacks
            await self._session.execute(delete(own_levels).where(false()))

    async def own(self, area: str) -> tuple[OwnWarning, str] | None:
        row = (
            await self._session.execute(select(own_levels).where(own_levels.c.area == area))
        ).first()
        if row is None:
            return None
        warning = OwnWarning(
            row.level, row.episode_start, row.episode_end, row.pollutant, row.started_by
        )
        return warning, row.ref

    async def set_own(self, area: str, warning: OwnWarning | None, ref: str) -> None:
        if warning is None:
            await self._session.execute(delete(own_levels).where(own_levels.c.area == area))
            return
        await _upsert(
            self._session,
            own_levels,
            area=area,
            level=warning.level,
            episode_start=warning.episode_start,
            episode_end=warning.episode_end,
            pollutant=warning.pollutant,
            started_by=warning.started_by,
            ref=ref,
        )

    async def published(self, area: str) -> Published | None:
        row = (await self._session.execute(select(warnings).where(warnings.c.area == area))).first()
        return _to_published(row) if row else None

    async def all_published(self) -> dict[str, Published]:
        rows = await self._session.execute(select(warnings))
        return {row.area: _to_published(row) for row in rows}

    async def set_published(self, area: str, warning: Published | None) -> None:
        if warning is None:
            await self._session.execute(delete(warnings).where(warnings.c.area == area))
            return
        await _upsert(
            self._session,
            warnings,
            area=area,
            warning_id=warning.warning_id,
            level=warning.level,
            episode_id=warning.episode_id,
            episode_start=warning.episode_start,
            episode_end=warning.episode_end,
            pollutant=warning.pollutant,
        )

    async def add_proposal(self, proposal: Proposal) -> None:
        await self._session.execute(insert(proposals).values(**_proposal_row(proposal)))

    async def settle(self, proposal: Proposal) -> bool:
        """Store the decision on ``proposal`` (its new status and who, when, why) only if
        it is still pending; False when another decision came first.

        One conditional UPDATE, the row count checked: of concurrent approvals, rejections
        and supersessions of one proposal exactly one changes the row (PostgreSQL: the others
        wait on the row lock, then find it no longer pending)."""
        row = _proposal_row(proposal)
        settled = await self._session.execute(
            update(proposals)
            .where(proposals.c.proposal_id == proposal.proposal_id, proposals.c.status == "pending")
            .values(**row)
            .returning(proposals.c.proposal_id)
        )
        return settled.first() is not None

    async def proposal(self, proposal_id: str) -> Proposal | None:
        row = (
            await self._session.execute(
                select(proposals).where(proposals.c.proposal_id == proposal_id)
            )
        ).first()
        return _to_proposal(row) if row else None

    async def proposals(
        self, *, area: str | None = None, status: str | None = None, batch_id: str | None = None
    ) -> list[Proposal]:
        query = select(proposals).order_by(proposals.c.seq)
        if area is not None:
            query = query.where(proposals.c.area == area)
        if status is not None:
            query = query.where(proposals.c.status == status)
        if batch_id is not None:
            query = query.where(proposals.c.batch_id == batch_id)
        return [_to_proposal(row) for row in await self._session.execute(query)]

    async def add_advisory(self, advisory: Advisory, submitted_by: str) -> None:
        await self._session.execute(
            insert(advisories).values(
                advisory_id=advisory.advisory_id,
                area=advisory.area,
                level=advisory.level,
                issuer=advisory.issuer,
                issued_at=advisory.issued_at,
                start=advisory.start,
                end=advisory.end,
                pollutant=advisory.pollutant,
                submitted_by=submitted_by,
            )
        )

    async def advisories_for(self, areas: Iterable[str], at: dt.datetime) -> list[Advisory]:
        """Advisories naming any of ``areas`` that may be in force at ``at``."""
        # A coarse cut by date; Advisory.in_force decides in local time.
        earliest_end = at.date() - dt.timedelta(days=1)
        rows = await self._session.execute(
            select(advisories).where(
                advisories.c.area.in_(list(areas)),
                advisories.c.issued_at <= at,
                advisories.c.end >= earliest_end,
            )
        )
        return [
            Advisory(
                row.advisory_id,
                row.area,
                row.level,
                row.issuer,
                row.issued_at,
                row.start,
                row.end,
                row.pollutant,
            )
            for row in rows
        ]


async def _upsert(session: AsyncSession, table: Table, *, area: str, **values: Any) -> None:
    """Replace the area's row (keyed by area) in one statement, not a delete and an insert."""
    upsert = insert_for(session, table).values(area=area, **values)
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=[table.c.area],
            set_={name: upsert.excluded[name] for name in values},
        )
    )


def _area_key(area: str) -> int:
    # namespaced, so an area's lock never collides with another service's advisory lock
    return int.from_bytes(
        hashlib.sha256(f"airwarn-alerting-area:{area}".encode()).digest()[:8], "big", signed=True
    )


def _to_published(row: Any) -> Published:
    return Published(
        row.warning_id, row.level, row.episode_id, row.episode_start, row.episode_end, row.pollutant
    )


def _proposal_row(proposal: Proposal) -> dict[str, Any]:
    return {
        name: getattr(proposal, name)
        for name in (
            "proposal_id",
            "batch_id",
            "position",
            "area",
            "action",
            "level",
            "previous",
            "episode_id",
            "episode_start",
            "episode_end",
            "pollutant",
            "cause",
            "cause_ref",
            "cause_at",
            "required_role",
            "issuing_unit",
            "status",
            "late",
            "decided_by",
            "decided_at",
            "reason",
            "warning_id",
        )
    }


def _to_proposal(row: Any) -> Proposal:
    values = dict(row._mapping)
    values.pop("seq", None)
    return Proposal(**values)
