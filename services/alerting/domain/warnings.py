"""What the public is told: an area's effective warning and its actions (rules §3, §4.1 step 7).

A district's effective level is the highest of its own level, any advisory in
force for it, and its region's active level; every change of it is one warning
action, proposed to the role with authority for it and acted on only once that
role approves (plan §3.2.3, rules §4 "Authority").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from services.alerting.domain.decision import LOCAL, Action, OwnWarning
from services.alerting.domain.rules import Level
from shared.levels import rank

Cause = Literal["forecast", "advisory", "region"]
CAUSE_ORDER: tuple[Cause, ...] = ("forecast", "advisory", "region")


@dataclass(frozen=True)
class Advisory:
    """A 预警提示 from MEE, the Southwest centre, the city office or a joint consultation."""

    advisory_id: str
    area: str
    level: Level
    issuer: str
    issued_at: dt.datetime
    start: dt.date
    end: dt.date
    pollutant: str | None = None

    def in_force(self, at: dt.datetime) -> bool:
        """Rules §4.1 step 7: from its issue time to the end of its last day (local)."""
        ends = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL)
        return self.issued_at <= at < ends


@dataclass(frozen=True)
class Target:
    """A level the area should hold, and the input behind it."""

    level: Level
    cause: Cause
    ref: str
    episode_start: dt.date
    episode_end: dt.date | None
    pollutant: str | None


@dataclass(frozen=True)
class Published:
    """The warning in force, as approved and announced."""

    warning_id: str
    level: Level
    episode_id: str
    episode_start: dt.date
    episode_end: dt.date | None
    pollutant: str | None


@dataclass(frozen=True)
class Step:
    """One warning action to propose: ``previous`` → ``target``."""

    action: Action
    previous: Level | None
    target: Target | None
    new_episode: bool


def effective(
    own: OwnWarning | None,
    own_ref: str,
    advisories: Iterable[Advisory],
    region: Published | None,
    *,
    at: dt.datetime,
    trigger: Cause,
) -> Target | None:
    """The highest of the area's own level, advisories in force and its region's level.

    On a tie the input that triggered this decision is named as the cause, then
    forecast, advisory, region in that order.
    """
    candidates: list[Target] = []
    if own is not None:
        candidates.append(
            Target(
                own.level, "forecast", own_ref, own.episode_start, own.episode_end, own.pollutant
            )
        )
    for advisory in advisories:
        if advisory.in_force(at):
            candidates.append(
                Target(
                    advisory.level,
                    "advisory",
                    advisory.advisory_id,
                    advisory.start,
                    advisory.end,
                    advisory.pollutant,
                )
            )
    if region is not None:
        candidates.append(
            Target(
                region.level,
                "region",
                region.warning_id,
                region.episode_start,
                region.episode_end,
                region.pollutant,
            )
        )
    if not candidates:
        return None

    def preference(target: Target) -> tuple[int, int, int]:
        return (
            rank(target.level),
            1 if target.cause == trigger else 0,
            -CAUSE_ORDER.index(target.cause),
        )

    return max(candidates, key=preference)


def steps(published: Level | None, targets: Sequence[Target | None]) -> list[Step]:
    """The warning actions that take the area from ``published`` through ``targets``.

    ``targets`` are the successive effective levels one input gives (a lift and a
    new issue from one forecast are two); only changes of level are actions.
    """
    made: list[Step] = []
    current = published
    for target in targets:
        level = target.level if target is not None else None
        if rank(level) == rank(current):
            continue
        if current is None:
            made.append(Step("issue", None, target, new_episode=True))
        elif level is None:
            made.append(Step("lift", current, None, new_episode=False))
        else:
            action: Action = "upgrade" if rank(level) > rank(current) else "downgrade"
            made.append(Step(action, current, target, new_episode=False))
        current = level
    return made


Role = Literal["office-director", "hq-commander", "district-hq"]


def approver_role(area_kind: str, step: Step) -> Role:
    """Rules §4 Authority: a region's yellow — the city office director; a region's orange
    or red — HQ's commander; any district warning — that district's HQ. A downgrade or
    lift is announced by whoever had authority for the level being left."""
    if area_kind == "district":
        return "district-hq"
    level = step.target.level if step.target is not None else None
    highest = max(level, step.previous, key=rank)
    return "office-director" if highest == "yellow" else "hq-commander"


def issuing_unit(area_kind: str, area_name_zh: str, role: Role) -> str:
    if area_kind == "district":
        return f"{area_name_zh}重污染天气应急指挥部"
    if role == "office-director":
        return "重庆市重污染天气应急指挥部办公室"
    return "重庆市重污染天气应急指挥部"


Status = Literal["pending", "approved", "rejected", "superseded"]


@dataclass(frozen=True)
class Proposal:
    """A warning action awaiting (or past) its approval."""

    proposal_id: str
    batch_id: str  # the proposals one input made, approved in order
    position: int
    area: str
    action: Action
    level: Level | None
    previous: Level | None
    episode_id: str
    episode_start: dt.date
    episode_end: dt.date | None
    pollutant: str | None
    cause: Cause
    cause_ref: str | None
    cause_at: dt.datetime
    required_role: Role
    issuing_unit: str
    status: Status = "pending"
    late: bool | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    reason: str | None = None
    warning_id: str | None = None
