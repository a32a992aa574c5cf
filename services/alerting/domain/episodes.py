"""Episodes (rules §4.1 step 3): runs of heavy days reaching into the forward window.

A run of heavy days with at least one forward day, extended back through the
contiguous heavy history days; two runs with exactly one non-heavy (or unknown)
day between them are one episode, since 24 h of relief does not meet the
plan's 36-hour condition for lifting (plan §3.2.4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from services.alerting.domain.rules import Day, EpisodePollutant, Level, episode_pollutant, level_of

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Episode:
    days: tuple[Day, ...]  # the heavy days of its parts, in date order
    level: Level | None
    pollutant: EpisodePollutant | None

    @property
    def start(self) -> dt.date:
        return self.days[0].date

    @property
    def end(self) -> dt.date:
        return self.days[-1].date

    @property
    def has_forward_day(self) -> bool:
        return any(day.forward for day in self.days)


def _of(days: Sequence[Day]) -> Episode:
    level = level_of(days)
    pollutant = episode_pollutant(days, level) if level is not None else None
    return Episode(tuple(days), level, pollutant)


def episodes(history: Sequence[Day], forward: Sequence[Day]) -> list[Episode]:
    """The episodes that reach into the forward window, in date order."""
    ordered = sorted([*history, *forward], key=lambda d: d.date)
    parts: list[list[Day]] = []
    for day in ordered:
        if not day.heavy:
            continue
        if parts and (day.date - parts[-1][-1].date) <= 2 * ONE_DAY:
            # the next day, or one day of relief in between: the same episode
            parts[-1].append(day)
        else:
            parts.append([day])
    made = [_of(days) for days in parts]
    return [episode for episode in made if episode.has_forward_day]
