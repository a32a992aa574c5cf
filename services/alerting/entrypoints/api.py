"""HTTP API under /alerting: advisories, proposals and their approval, warnings, history.

No ``from __future__ import annotations`` here: FastAPI must see the ``Caller``
dependency, local to the router, as an object rather than a string.
"""

import datetime as dt
import uuid
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from services.alerting.domain import rules
from services.alerting.domain.series import SeriesDay
from services.alerting.domain.warnings import Advisory, Proposal, Published
from services.alerting.service_layer import handlers
from services.alerting.service_layer.handlers import Policy
from services.alerting.service_layer.unit_of_work import AlertingUnitOfWork
from shared.areas import AREAS
from shared.auth import Principal, TokenStore
from shared.auth.http import bearer
from shared.contracts.payloads import DayValues, SupportedDate, SupportedTime
from shared.contracts.strict import StrictModel
from shared.error_responses import errors
from shared.errors import NotFound
from shared.runtime import ServiceRuntime


class AdvisoryIn(StrictModel):
    area: str = Field(examples=["500101"])
    level: Literal["yellow", "orange", "red"]
    issuer: str = Field(min_length=1, max_length=100, examples=["southwest-centre"])
    issued_at: SupportedTime | None = Field(default=None, description="default: now")
    start: SupportedDate
    end: SupportedDate
    pollutant: Literal["PM2.5", "O3"] | None = None


class DecisionIn(StrictModel):
    reason: str | None = Field(default=None, max_length=2000)


class ProposalOut(BaseModel):
    proposal_id: str
    area: str
    action: str
    level: str | None
    previous: str | None
    episode_id: str
    episode_start: dt.date
    episode_end: dt.date | None
    pollutant: str | None
    cause: str
    cause_ref: str | None
    cause_at: dt.datetime
    required_role: str
    issuing_unit: str
    status: str
    late: bool | None
    decided_by: str | None
    decided_at: dt.datetime | None
    reason: str | None
    warning_id: str | None

    @classmethod
    def of(cls, proposal: Proposal) -> "ProposalOut":
        return cls.model_validate(proposal, from_attributes=True)


class AdvisoryOut(BaseModel):
    advisory_id: str
    proposals: list[ProposalOut]


class WarningOut(BaseModel):
    area: str
    level: str | None
    warning_id: str | None = None
    episode_id: str | None = None
    episode_start: dt.date | None = None
    episode_end: dt.date | None = None
    pollutant: str | None = None

    @classmethod
    def of(cls, area: str, published: Published | None) -> "WarningOut":
        if published is None:
            return cls(area=area, level=None)
        return cls(area=area, **asdict(published))


class SeriesDayOut(BaseModel):
    date: dt.date
    kind: str
    forecast_id: str
    issued_at: dt.datetime
    values: DayValues

    @classmethod
    def of(cls, day: SeriesDay) -> "SeriesDayOut":
        return cls.model_validate(day, from_attributes=True)


class ThresholdsOut(BaseModel):
    """The limits of rules §1–§2 a level is judged by (all strict, except AQI >= 500)."""

    heavy_aqi: int = rules.HEAVY_AQI
    severe_aqi: int = rules.SEVERE_AQI
    top_aqi: int = rules.TOP_AQI
    heavy_pm25: float = rules.HEAVY_PM25
    peak_pm25: float = rules.PEAK_PM25
    heavy_o3_8h: float = rules.HEAVY_O3
    peak_o3_8h: float = rules.PEAK_O3


class OutlookOut(BaseModel):
    area: str
    thresholds: ThresholdsOut
    days: list[SeriesDayOut]


def router(
    runtime: ServiceRuntime[AlertingUnitOfWork], tokens: TokenStore, policy: Policy
) -> APIRouter:
    api = APIRouter(tags=["alerting"], responses=errors(422))

    Caller = Annotated[Principal, Depends(bearer(tokens))]

    @api.post(
        "/advisories",
        status_code=status.HTTP_201_CREATED,
        response_model=AdvisoryOut,
        responses=errors(401, 403, 413),
    )
    async def submit_advisory(body: AdvisoryIn, principal: Caller) -> AdvisoryOut:
        advisory = Advisory(
            advisory_id=str(uuid.uuid4()),
            area=body.area,
            level=body.level,
            issuer=body.issuer,
            issued_at=body.issued_at or dt.datetime.now(dt.UTC),
            start=body.start,
            end=body.end,
            pollutant=body.pollutant,
        )
        async with runtime.uow() as uow:
            made = await handlers.submit_advisory(advisory, principal, uow, policy)
            await uow.commit()
        return AdvisoryOut(
            advisory_id=advisory.advisory_id, proposals=[ProposalOut.of(p) for p in made]
        )

    @api.get("/proposals", response_model=list[ProposalOut])
    async def list_proposals(
        status: Literal["pending", "approved", "rejected", "superseded"] | None = "pending",
        area: str | None = None,
    ) -> list[ProposalOut]:
        async with runtime.uow() as uow:
            found = await uow.warnings.proposals(area=area, status=status)
        return [ProposalOut.of(p) for p in found]

    decisions = errors(401, 403, 404, 409, 413)

    @api.post("/proposals/{proposal_id}/approve", response_model=ProposalOut, responses=decisions)
    async def approve(proposal_id: str, body: DecisionIn, principal: Caller) -> ProposalOut:
        async with runtime.uow() as uow:
            done = await handlers.approve(proposal_id, principal, uow, policy, reason=body.reason)
            await uow.commit()
        return ProposalOut.of(done)

    @api.post("/proposals/{proposal_id}/reject", response_model=ProposalOut, responses=decisions)
    async def reject(proposal_id: str, body: DecisionIn, principal: Caller) -> ProposalOut:
        async with runtime.uow() as uow:
            done = await handlers.reject(proposal_id, principal, uow, reason=body.reason or "")
            await uow.commit()
        return ProposalOut.of(done)

    @api.get("/warnings", response_model=list[WarningOut])
    async def warnings() -> list[WarningOut]:
        async with runtime.uow() as uow:
            found = await uow.warnings.all_published()
        return [WarningOut.of(area, w) for area, w in sorted(found.items())]

    @api.get("/warnings/{area}", response_model=WarningOut)
    async def warning(area: str) -> WarningOut:
        async with runtime.uow() as uow:
            found = await uow.warnings.published(area)
        return WarningOut.of(area, found)

    @api.get("/history/{area}", response_model=list[ProposalOut])
    async def history(area: str) -> list[ProposalOut]:
        async with runtime.uow() as uow:
            found = await uow.warnings.proposals(area=area)
        return [ProposalOut.of(p) for p in found]

    @api.get("/series/{area}", response_model=list[SeriesDayOut])
    async def area_series(area: str) -> list[SeriesDayOut]:
        async with runtime.uow() as uow:
            days = await handlers.area_series(area, uow)
        return [SeriesDayOut.of(d) for d in days]

    @api.get("/outlook/{area}", response_model=OutlookOut, responses=errors(404))
    async def outlook(area: str) -> OutlookOut:
        """The area's daily series (what its level is decided on) with the thresholds the
        rules judge it by: the console's forecast chart."""
        if area not in AREAS:
            raise NotFound(f"unknown area code {area!r}")
        async with runtime.uow() as uow:
            days = await handlers.area_series(area, uow)
        return OutlookOut(
            area=area,
            thresholds=ThresholdsOut(),
            days=[SeriesDayOut.of(d) for d in sorted(days, key=lambda d: d.date)],
        )

    return api
