"""The decision procedure for an area's own level (rules §4.1 steps 2, 5 and 6)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal
from zoneinfo import ZoneInfo

from services.alerting.domain.episodes import Episode, episodes
from services.alerting.domain.rules import Day, Level
from shared.levels import rank

LOCAL = ZoneInfo("Asia/Shanghai")
LEAD_TIME = dt.timedelta(hours=24)
MIN_WINDOW_TO_CHANGE = 2  # days; a shorter forward window cannot show >36 h of relief

Action = Literal["issue", "upgrade", "downgrade", "lift"]


@dataclass(frozen=True)
class OwnWarning:
    """The level an area's own forecasts call for, and the episode behind it."""

    level: Level
    episode_start: dt.date
    episode_end: dt.date
    pollutant: str | None
    started_by: str  # id of the forecast that started the episode


@dataclass(frozen=True)
class OwnChange:
    action: Action
    previous: OwnWarning | None
    current: OwnWarning | None


def local_today(issued_at: dt.datetime) -> dt.date:
    """Rules §4.1 step 2: ``today`` is the Chongqing date of the issue time."""
    return issued_at.astimezone(LOCAL).date()


def is_late(issued_at: dt.datetime, first_day: dt.date) -> bool:
    """Rules §4: issued less than 24 h before 00:00 local of the episode's first day."""
    starts = dt.datetime.combine(first_day, dt.time(0), tzinfo=LOCAL)
    return issued_at > starts - LEAD_TIME


def split_window(
    days: Sequence[Day], issued_at: dt.datetime, forward_dates: set[dt.date]
) -> tuple[list[Day], list[Day]]:
    """History and forward window (rules §4.1 step 2): the forward days are this
    forecast's days from today on; history is the series before the first of them."""
    today = local_today(issued_at)
    forward = sorted(
        (replace(d, forward=True) for d in days if d.date in forward_dates and d.date >= today),
        key=lambda d: d.date,
    )
    first = forward[0].date if forward else today
    history = sorted(
        (replace(d, forward=False) for d in days if d.date < first), key=lambda d: d.date
    )
    return history, forward


def _warning(
    episode: Episode, level: Level, forecast_id: str, start: dt.date | None = None
) -> OwnWarning:
    return OwnWarning(
        level=level,
        episode_start=start or episode.start,
        episode_end=episode.end,
        pollutant=episode.pollutant or "PM2.5",
        started_by=forecast_id,
    )


def _first_with_level(found: Sequence[Episode]) -> Episode | None:
    return next((episode for episode in found if episode.level is not None), None)


def decide(
    active: OwnWarning | None,
    history: Sequence[Day],
    forward: Sequence[Day],
    *,
    forecast_id: str,
) -> list[OwnChange]:
    """What one forecast does to the area's own level (rules §4.1 steps 5–6)."""
    found = episodes(history, forward)
    if active is None:
        first = _first_with_level(found)
        if first is None or first.level is None:
            return []
        return [OwnChange("issue", None, _warning(first, first.level, forecast_id))]

    if len(forward) < MIN_WINDOW_TO_CHANGE:
        return []
    relief = 0
    for day in forward:
        if day.heavy:
            break
        relief += 1
    if relief >= 2:
        changes = [OwnChange("lift", active, None)]
        later = _first_with_level(found)
        if later is not None and later.level is not None:
            changes.append(OwnChange("issue", None, _warning(later, later.level, forecast_id)))
        return changes

    continuing = found[0]
    level = continuing.level
    day_before = forward[0].date - dt.timedelta(days=1)
    if relief == 1 and history and history[-1].date == day_before and history[-1].heavy:
        level = max(level, active.level, key=rank)  # the merging rule: one day of relief
    if level is None:
        return [OwnChange("lift", active, None)]
    if rank(level) == rank(active.level):
        return []
    kept = min(active.episode_start, continuing.start)
    current = OwnWarning(
        level=level,
        episode_start=kept,
        episode_end=continuing.end,
        pollutant=continuing.pollutant or active.pollutant,
        started_by=active.started_by,
    )
    action: Action = "upgrade" if rank(level) > rank(active.level) else "downgrade"
    return [OwnChange(action, active, current)]
