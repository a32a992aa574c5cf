"""The emission-reduction inventory (应急减排清单, plan §4.2.1) and its check.

Each district lists its sources — enterprises, mobile and dust sources — with
baseline daily emissions of SO2, NOx, PM and VOCs and the reduction each commits
at yellow, orange and red. Under an active level the district's achieved
reduction, as a share of its total emissions, is checked against the targets of
rules §5 (§4.2.1.1): O3-primary — NOx and VOCs; PM2.5-primary — SO2, NOx, PM and
VOCs; 10 / 20 / 30 % at Level III / II / I. SO2 and NOx may be traded: their sum
of shares must reach the sum of their two targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from shared.errors import Rejected

Pollutant = Literal["so2", "nox", "pm", "vocs"]
POLLUTANTS: tuple[Pollutant, ...] = ("so2", "nox", "pm", "vocs")
WarningLevel = Literal["yellow", "orange", "red"]
LEVELS: tuple[WarningLevel, ...] = ("yellow", "orange", "red")
SourceKind = Literal["enterprise", "mobile", "dust"]
GRADES = ("A", "B", "C", "D", "leading", "other")
TARGET_SHARE: dict[WarningLevel, float] = {"yellow": 0.10, "orange": 0.20, "red": 0.30}
CHECKED: dict[str, tuple[Pollutant, ...]] = {
    "O3": ("nox", "vocs"),
    "PM2.5": ("so2", "nox", "pm", "vocs"),
}


@dataclass(frozen=True)
class Source:
    source_id: str
    name: str
    kind: SourceKind
    sector: str
    grade: str
    key_industry: bool
    #: §4.2.1.3: routine measures (e.g. standing vehicle restrictions) do not count
    routine: bool
    baseline: dict[Pollutant, float]  # kg/day
    #: committed reduction per level and pollutant, kg/day; a level absent = no plan
    reductions: dict[WarningLevel, dict[Pollutant, float]]

    def has_plan(self, level: WarningLevel) -> bool:
        return any(v > 0 for v in self.reductions.get(level, {}).values())


MAX_SOURCE_ID = 100  # what its column holds


def check_source(source: Source) -> None:
    """Raise :class:`Rejected` naming the field that is wrong."""
    if not source.source_id.strip():
        raise Rejected("source_id: must not be empty")
    if len(source.source_id) > MAX_SOURCE_ID:
        raise Rejected(f"source_id: {len(source.source_id)} characters; at most {MAX_SOURCE_ID}")
    if source.kind not in ("enterprise", "mobile", "dust"):
        raise Rejected(f"kind: {source.kind!r} is not enterprise, mobile or dust")
    if source.grade not in GRADES:
        raise Rejected(f"grade: {source.grade!r} is not one of {', '.join(GRADES)}")
    for pollutant, value in source.baseline.items():
        if not value >= 0:
            raise Rejected(f"{pollutant}: baseline must be a non-negative number")
    for level, cuts in source.reductions.items():
        for pollutant, cut in cuts.items():
            if not cut >= 0:
                raise Rejected(f"{pollutant}_{level}: must be a non-negative number")
            if cut > source.baseline.get(pollutant, 0.0) + 1e-9:
                raise Rejected(
                    f"{pollutant}_{level}: reduction {cut} exceeds the baseline "
                    f"{source.baseline.get(pollutant, 0.0)}"
                )


def check_inventory(sources: Sequence[Source]) -> None:
    seen: set[str] = set()
    for index, source in enumerate(sources):
        try:
            check_source(source)
        except Rejected as exc:
            raise Rejected(f"sources[{index}] ({source.source_id}): {exc}") from exc
        if source.source_id in seen:
            raise Rejected(f"sources[{index}]: source_id {source.source_id!r} appears twice")
        seen.add(source.source_id)


@dataclass(frozen=True)
class PollutantShare:
    pollutant: Pollutant
    total: float  # kg/day, all sources
    achieved: float  # kg/day, committed reductions that count
    share: float
    target: float
    met: bool
    shortfall: float  # kg/day still needed to reach the target alone


@dataclass(frozen=True)
class ReductionCheck:
    level: WarningLevel
    pollutant: str
    shares: tuple[PollutantShare, ...]
    traded: bool  # SO2 and NOx met together by the trade rule
    met: bool
    without_plan: tuple[str, ...]  # key-industry sources with no plan at this level


def reduction_check(
    sources: Sequence[Source], level: WarningLevel, pollutant: str
) -> ReductionCheck:
    """The district's achieved reduction against the targets for ``level`` and the
    episode's primary ``pollutant`` (rules §5)."""
    if pollutant not in CHECKED:
        raise Rejected(f"pollutant: {pollutant!r} is neither O3 nor PM2.5")
    target = TARGET_SHARE[level]
    shares = []
    for name in CHECKED[pollutant]:
        total = sum(s.baseline.get(name, 0.0) for s in sources)
        achieved = sum(s.reductions.get(level, {}).get(name, 0.0) for s in sources if not s.routine)
        share = achieved / total if total > 0 else 1.0
        shares.append(
            PollutantShare(
                name,
                total,
                achieved,
                share,
                target,
                share >= target - 1e-12,
                max(0.0, target * total - achieved),
            )
        )
    by_name = {s.pollutant: s for s in shares}
    traded = False
    if "so2" in by_name and "nox" in by_name:
        so2, nox = by_name["so2"], by_name["nox"]
        if not (so2.met and nox.met) and so2.share + nox.share >= 2 * target - 1e-12:
            traded = True
    met = all(s.met or (traded and s.pollutant in ("so2", "nox")) for s in shares)
    without_plan = tuple(
        s.source_id
        for s in sources
        if s.key_industry and s.kind == "enterprise" and not s.has_plan(level)
    )
    return ReductionCheck(level, pollutant, tuple(shares), traded, met, without_plan)
