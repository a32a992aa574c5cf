"""Alerting handlers: one async function per event or command (rules §4, §4.1).

Forecasts and advisories trigger decisions at their issue time; observations
only update the series (step 9). Every change of an area's effective level
becomes a proposal for the role with authority; only an approval publishes it.
Each change is audited (``uow.record``): series, own levels, advisories, proposals
and warnings, keyed by area or by id.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass, replace

from services.alerting.domain import series
from services.alerting.domain.decision import (
    OwnWarning,
    decide,
    is_late,
    local_today,
    split_window,
)
from services.alerting.domain.regions import MemberForecast, derived_days, rule_day
from services.alerting.domain.series import SeriesDay
from services.alerting.domain.warnings import (
    Advisory,
    Cause,
    Proposal,
    Published,
    Target,
    approver_role,
    effective,
    issuing_unit,
    steps,
)
from services.alerting.service_layer.unit_of_work import AlertingUnitOfWork
from shared.areas import AREAS, REGIONS, members
from shared.auth import Principal
from shared.contracts.payloads import ForecastIssued, WarningChanged
from shared.contracts.topics import WARNING_CHANGED
from shared.errors import Conflict, Forbidden, NotFound, Rejected
from shared.levels import RESPONSE_LEVEL

DERIVED = "derived:"
EPISODES = uuid.UUID("5b1d1f4e-8f0c-4c8e-9a57-6f1c2c3f0a11")


@dataclass(frozen=True)
class Policy:
    auto_approve: bool = False
    history_days: int = 30


async def record_forecast(
    forecast: ForecastIssued, uow: AlertingUnitOfWork, policy: Policy = Policy()
) -> None:
    """Fold a forecast or observation into the series, then decide (rules §4.1)."""
    place = AREAS[forecast.area]
    # The decision locks first: a district's forecast may go on to its region's derived
    # series, so the region is locked before the district (see WarningRepository.lock_areas).
    if forecast.kind == "observation" or place.kind == "region":
        await uow.warnings.lock_areas(forecast.area)
    else:
        await uow.warnings.lock_areas(place.region, forecast.area)
    await _record(forecast, uow, policy)


async def _record(forecast: ForecastIssued, uow: AlertingUnitOfWork, policy: Policy) -> None:
    """``record_forecast`` with the area's lock (and its region's) already held."""
    dates = [day.date for day in forecast.days]
    since = local_today(forecast.issued_at) - dt.timedelta(days=policy.history_days)
    if forecast.kind == "observation":
        current = await uow.series.days(forecast.area, since=min(dates), until=max(dates))
        await _apply(forecast, current, None, uow)
        return
    latest = (await uow.warnings.latest_forecasts([forecast.area])).get(forecast.area)
    applied_at = latest.issued_at if latest else None
    # Rules §4.1 step 1 (Decision): a forecast issued before the one already applied to
    # the area changes no date at all, so it is not even read against the series.
    if series.stale(forecast.kind, forecast.issued_at, applied_at):
        return
    kept = await uow.warnings.put_latest_forecast(
        MemberForecast(
            forecast.area, forecast.forecast_id, forecast.issued_at, tuple(forecast.days)
        )
    )
    if not kept:
        return  # a newer forecast was kept in the meantime: this one is stale after all
    # A forecast's decision needs the history too: one read for both, not two.
    current = await uow.series.days(forecast.area, since=min(since, min(dates)))
    changed = await _apply(forecast, current, applied_at, uow)
    stored = current | {day.date: day for day in changed}
    window = {date: stored[date] for date in sorted(stored) if date >= since}
    await _decide_own(
        forecast.area, forecast.forecast_id, forecast.issued_at, set(dates), window, uow, policy
    )
    area = AREAS[forecast.area]
    if area.kind == "district":
        await _derive_region(area.region, forecast, uow, policy)


async def _apply(
    forecast: ForecastIssued,
    current: dict[dt.date, SeriesDay],
    applied_at: dt.datetime | None,
    uow: AlertingUnitOfWork,
) -> list[SeriesDay]:
    changed = series.apply(current, forecast, applied_at)
    await uow.series.save(changed)
    if changed:
        replaced = [current[d.date] for d in changed if d.date in current]
        await uow.record(
            "series",
            forecast.area,
            f"{forecast.kind}-applied",
            {"days": replaced} if replaced else None,
            {"days": changed},
        )
    return changed


async def _derive_region(
    region: str, trigger: ForecastIssued, uow: AlertingUnitOfWork, policy: Policy
) -> None:
    """Rules §3 and §4.1 step 8: a region without its own forecast follows its members."""
    # The region's own latest first: with a forecast of its own the members' latest
    # forecasts (a region may have a hundred) are not read for every member's forecast.
    own = (await uow.warnings.latest_forecasts([region])).get(region)
    if own is not None and not own.forecast_id.startswith(DERIVED):
        return
    if own is not None and own.issued_at > trigger.issued_at:
        return
    codes = [a.code for a in members(region)]
    latest = await uow.warnings.latest_forecasts(codes)
    days = derived_days(codes, latest, trigger.issued_at)
    if not days:
        return
    await _record(
        ForecastIssued(
            area=region,
            forecast_id=f"{DERIVED}{trigger.forecast_id}",
            source="derived",
            issued_at=trigger.issued_at,
            days=days,
        ),
        uow,
        policy,
    )


async def _decide_own(
    area: str,
    ref: str,
    issued_at: dt.datetime,
    forward_dates: set[dt.date],
    stored: dict[dt.date, SeriesDay],
    uow: AlertingUnitOfWork,
    policy: Policy,
) -> None:
    """``stored``: the area's series from the history window on, by date, as just saved."""
    days = [rule_day(day.values) for day in stored.values()]
    history, forward = split_window(days, issued_at, forward_dates)
    own = await uow.warnings.own(area)
    # Advisories and the region's warning are the same for every step of this decision:
    # read once, and the own level is carried along rather than read back after each write.
    around = await _surroundings(area, issued_at, uow)
    targets: list[Target | None] = []
    before_ref = own[1] if own else None
    for change in decide(own[0] if own else None, history, forward, forecast_id=ref):
        await uow.warnings.set_own(area, change.current, ref)
        await uow.record(
            "own-level",
            area,
            change.action,
            _own(change.previous, before_ref),
            _own(change.current, ref),
        )
        before_ref = ref
        own = None if change.current is None else (change.current, ref)
        targets.append(_effective(own, around, issued_at, "forecast"))
    targets.append(_effective(own, around, issued_at, "forecast"))
    await _propose(area, targets, issued_at, uow, policy, trigger="forecast")


def _own(warning: OwnWarning | None, ref: str | None) -> dict[str, object] | None:
    return None if warning is None else {**asdict(warning), "ref": ref}


async def _target(
    area: str, at: dt.datetime, trigger: Cause, uow: AlertingUnitOfWork
) -> Target | None:
    """Rules §4.1 step 7: the level the area should hold now. A region holds its own
    level; a district also any advisory for it or its region, and its region's level."""
    own = await uow.warnings.own(area)
    return _effective(own, await _surroundings(area, at, uow), at, trigger)


async def _surroundings(
    area: str, at: dt.datetime, uow: AlertingUnitOfWork
) -> tuple[list[Advisory], Published | None]:
    """A district's advisories in force at ``at`` and its region's warning; a region's none."""
    place = AREAS[area]
    if place.kind != "district":
        return [], None
    named = await uow.warnings.advisories_for([area, place.region], at)
    return [a for a in named if a.in_force(at)], await uow.warnings.published(place.region)


def _effective(
    own: tuple[OwnWarning, str] | None,
    around: tuple[list[Advisory], Published | None],
    at: dt.datetime,
    trigger: Cause,
) -> Target | None:
    advisories, region = around
    return effective(
        own[0] if own else None, own[1] if own else "", advisories, region, at=at, trigger=trigger
    )


async def _propose(
    area: str,
    targets: list[Target | None],
    cause_at: dt.datetime,
    uow: AlertingUnitOfWork,
    policy: Policy,
    *,
    trigger: Cause,
) -> list[Proposal]:
    # The caller holds the area's lock (record_forecast, submit_advisory, approve): the
    # pending proposals and the warning read here stay as read until this commits.
    for stale in await uow.warnings.proposals(area=area, status="pending"):
        await _supersede(stale, uow)
    published = await uow.warnings.published(area)
    place = AREAS[area]
    batch = str(uuid.uuid4())
    episode_id = published.episode_id if published else ""
    made: list[Proposal] = []
    for position, step in enumerate(steps(published.level if published else None, targets)):
        target = step.target
        if step.new_episode and target is not None:
            episode_id = str(
                uuid.uuid5(
                    EPISODES, f"{area}|{target.episode_start}|{cause_at.isoformat()}|{position}"
                )
            )
        role = approver_role(place.kind, step)
        start = (
            target.episode_start
            if target
            else (published.episode_start if published else cause_at.date())
        )
        made.append(
            Proposal(
                proposal_id=str(uuid.uuid4()),
                batch_id=batch,
                position=position,
                area=area,
                action=step.action,
                level=target.level if target else None,
                previous=step.previous,
                episode_id=episode_id,
                episode_start=start,
                episode_end=target.episode_end if target else None,
                pollutant=target.pollutant
                if target
                else (published.pollutant if published else None),
                cause=target.cause if target else trigger,
                cause_ref=target.ref if target else None,
                cause_at=cause_at,
                required_role=role,
                issuing_unit=issuing_unit(place.kind, place.name_zh, role),
            )
        )
    for proposal in made:
        await uow.warnings.add_proposal(proposal)
        await uow.record("proposal", proposal.proposal_id, "proposed", None, proposal)
    if policy.auto_approve:
        for proposal in made:
            auto = Principal(f"auto-approve:{proposal.required_role}", proposal.required_role, area)
            await approve(
                proposal.proposal_id, auto, uow, policy, reason="auto-approve", at=cause_at
            )
    return made


async def submit_advisory(
    advisory: Advisory, principal: Principal, uow: AlertingUnitOfWork, policy: Policy = Policy()
) -> list[Proposal]:
    """Rules §3: a district holds a level no lower than an advisory in force for it."""
    if principal.role not in ("office-duty", "office-director", "hq-commander"):
        raise Forbidden(f"role {principal.role} may not submit advisories")
    if advisory.area not in AREAS:
        raise Rejected(f"area: unknown area code {advisory.area!r}")
    if advisory.end < advisory.start:
        raise Rejected("end: the advisory ends before it starts")
    await uow.warnings.add_advisory(advisory, principal.name)
    await uow.record(
        "advisory",
        advisory.advisory_id,
        "submitted",
        None,
        {**asdict(advisory), "submitted_by": principal.name},
    )
    districts = (
        [a.code for a in members(advisory.area)] if advisory.area in REGIONS else [advisory.area]
    )
    # Several districts: the region first (WarningRepository.lock_areas, the lock order).
    region = advisory.area if advisory.area in REGIONS else AREAS[advisory.area].region
    await uow.warnings.lock_areas(*([region] if len(districts) > 1 else []), *districts)
    made: list[Proposal] = []
    for district in districts:
        target = await _target(district, advisory.issued_at, "advisory", uow)
        made += await _propose(
            district, [target], advisory.issued_at, uow, policy, trigger="advisory"
        )
    return made


async def approve(
    proposal_id: str,
    principal: Principal,
    uow: AlertingUnitOfWork,
    policy: Policy = Policy(),
    *,
    reason: str | None = None,
    at: dt.datetime | None = None,
) -> Proposal:
    """Approve a pending proposal: the warning action is taken and announced, exactly once
    (a concurrent approval, rejection or supersession of it gets ``Conflict``)."""
    proposal = await _pending(proposal_id, principal, uow)
    now = at or dt.datetime.now(dt.UTC)
    warning_id = str(uuid.uuid4())
    late = proposal.action == "issue" and is_late(proposal.cause_at, proposal.episode_start)
    approved = replace(
        proposal,
        status="approved",
        decided_by=principal.name,
        decided_at=now,
        reason=reason,
        warning_id=warning_id,
        late=late,
    )
    await _settle(approved, uow)
    await uow.record("proposal", proposal_id, "approved", proposal, approved)
    was = await uow.warnings.published(proposal.area)
    now_in_force = (
        None
        if proposal.level is None
        else Published(
            warning_id,
            proposal.level,
            proposal.episode_id,
            proposal.episode_start,
            proposal.episode_end,
            proposal.pollutant,
        )
    )
    await uow.warnings.set_published(proposal.area, now_in_force)
    await uow.record("warning", proposal.area, proposal.action, was, now_in_force)
    await uow.publish(
        WARNING_CHANGED,
        WarningChanged(
            area=proposal.area,
            warning_id=warning_id,
            action=proposal.action,
            level=proposal.level,
            response_level=RESPONSE_LEVEL[proposal.level] if proposal.level else None,
            previous_level=proposal.previous,
            episode_id=proposal.episode_id,
            episode_start=proposal.episode_start,
            episode_end=proposal.episode_end,
            primary_pollutant=proposal.pollutant,
            cause=proposal.cause,
            cause_ref=proposal.cause_ref,
            cause_at=proposal.cause_at,
            late=late,
            issuing_unit=proposal.issuing_unit,
            approver=principal.name,
            decided_at=now,
        ),
    )
    if AREAS[proposal.area].kind == "region":
        # the region's lock is held: its districts may follow (the lock order)
        await uow.warnings.lock_areas(*(district.code for district in members(proposal.area)))
        for district in members(proposal.area):
            target = await _target(district.code, proposal.cause_at, "region", uow)
            await _propose(
                district.code, [target], proposal.cause_at, uow, policy, trigger="region"
            )
    return approved


async def reject(
    proposal_id: str, principal: Principal, uow: AlertingUnitOfWork, *, reason: str
) -> Proposal:
    """Reject a pending proposal, and the later ones of its batch that depended on it."""
    if not reason.strip():
        raise Rejected("reason: a rejection needs a reason")
    proposal = await _pending(proposal_id, principal, uow)
    now = dt.datetime.now(dt.UTC)
    rejected = replace(
        proposal, status="rejected", decided_by=principal.name, decided_at=now, reason=reason
    )
    await _settle(rejected, uow)
    await uow.record("proposal", proposal_id, "rejected", proposal, rejected)
    for later in await uow.warnings.proposals(batch_id=proposal.batch_id, status="pending"):
        await _supersede(later, uow)
    return rejected


async def _supersede(proposal: Proposal, uow: AlertingUnitOfWork) -> None:
    superseded = replace(proposal, status="superseded")
    # Conditional like every decision: one decided meanwhile keeps its decision.
    if await uow.warnings.settle(superseded):
        await uow.record("proposal", proposal.proposal_id, "superseded", proposal, superseded)


async def _settle(decided: Proposal, uow: AlertingUnitOfWork) -> None:
    """The decision's first write: the area's lock, then the proposal's row changed only if
    still pending, so of concurrent decisions exactly one goes on; the rest did nothing."""
    await uow.warnings.lock_areas(decided.area)
    if not await uow.warnings.settle(decided):
        now = await uow.warnings.proposal(decided.proposal_id)
        status = now.status if now else "gone"
        raise Conflict(f"proposal {decided.proposal_id} is already {status}")


async def _pending(proposal_id: str, principal: Principal, uow: AlertingUnitOfWork) -> Proposal:
    proposal = await uow.warnings.proposal(proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}")
    if principal.role != proposal.required_role or (
        proposal.required_role == "district-hq" and principal.area != proposal.area
    ):
        holder = proposal.required_role + (
            f" of {proposal.area}" if proposal.required_role == "district-hq" else ""
        )
        raise Forbidden(f"only the {holder} may decide this proposal")
    if proposal.status != "pending":
        raise Conflict(f"proposal {proposal_id} is already {proposal.status}")
    earlier = [
        p
        for p in await uow.warnings.proposals(batch_id=proposal.batch_id, status="pending")
        if p.position < proposal.position
    ]
    if earlier:
        raise Conflict(f"decide proposal {earlier[0].proposal_id} ({earlier[0].action}) first")
    return proposal


async def area_series(area: str, uow: AlertingUnitOfWork) -> list[SeriesDay]:
    return list((await uow.series.days(area)).values())
