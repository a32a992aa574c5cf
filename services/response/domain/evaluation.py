"""The episode's evaluation (plan §6): once the warning is lifted, what was done and how
well — the timeline of levels, tasks per unit, reductions against target, and forecast
against observed air quality."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from services.response.domain.inventory import ReductionCheck
from services.response.domain.model import Response
from services.response.domain.tasks import Task

LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    action: str
    warning_level: str | None
    response_level: str | None


@dataclass(frozen=True)
class UnitTally:
    unit: str
    done_on_time: int
    done_late: int
    open: int
    open_overdue: int
    stood_down: int


@dataclass(frozen=True)
class AirDay:
    """A day's AQI as forecast (the last forecast issued before the day began) and observed."""

    date: dt.date
    forecast_aqi: int | None
    observed_aqi: int | None


@dataclass(frozen=True)
class EpisodeReport:
    area: str
    episode_id: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    highest_level: str
    pollutant: str | None
    timeline: tuple[TimelineEntry, ...]
    units: tuple[UnitTally, ...]
    reductions: ReductionCheck | None
    air: tuple[AirDay, ...]


def tally(tasks: Iterable[Task], now: dt.datetime) -> list[UnitTally]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for task in tasks:
        row = counts[task.unit]
        if task.status == "done":
            row[0 if task.completed_at and task.completed_at <= task.due else 1] += 1
        elif task.status == "stood_down":
            row[4] += 1
        else:
            row[2] += 1
            row[3] += task.overdue(now)
    return [UnitTally(unit, *row) for unit, row in sorted(counts.items())]


def episode_days(response: Response, timeline: Sequence[TimelineEntry]) -> tuple[dt.date, dt.date]:
    """The local dates the response ran, from its opening to its lift (or its last action)."""
    end = response.closed_at or max((e.at for e in timeline), default=response.opened_at)
    return response.opened_at.astimezone(LOCAL).date(), end.astimezone(LOCAL).date()


def highest_level(response: Response, timeline: Sequence[TimelineEntry]) -> str:
    """The highest response level the episode reached."""
    rank = {"III": 1, "II": 2, "I": 3}
    levels = [e.response_level for e in timeline if e.response_level] or [response.response_level]
    return max(levels, key=lambda level: rank[level])


def build_report(
    response: Response,
    timeline: Sequence[TimelineEntry],
    tasks: Iterable[Task],
    air: Sequence[AirDay],
    reductions: ReductionCheck | None,
    now: dt.datetime,
) -> EpisodeReport:
    return EpisodeReport(
        area=response.area,
        episode_id=response.episode_id,
        opened_at=response.opened_at,
        closed_at=response.closed_at,
        highest_level=highest_level(response, timeline),
        pollutant=response.pollutant,
        timeline=tuple(sorted(timeline, key=lambda e: e.at)),
        units=tuple(tally(tasks, now)),
        reductions=reductions,
        air=tuple(sorted(air, key=lambda d: d.date)),
    )
