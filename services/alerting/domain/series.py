"""Each area's daily series (rules §4.1 step 1): per date, the latest known values.

An observation beats a forecast; a newer forecast beats an older one; a
forecast older than the one already applied changes nothing. Of two different
forecasts issued at the same moment, the later to arrive stands (a region's series
derived again when another member district reports at the same time).

"Older" is per area, not per date (the Decision of rules §4.1 step 1): once a
forecast issued at T has been applied to an area, a forecast issued before T
changes no date at all, not even one the newer forecast did not cover, so a late,
stale outlook cannot lengthen a run. Observations apply to their dates whenever
they arrive. Equal issue times are not "before": such a forecast still applies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from shared.contracts.payloads import DayValues, ForecastIssued

Kind = Literal["forecast", "observation"]


@dataclass(frozen=True)
class SeriesDay:
    area: str
    date: dt.date
    kind: Kind
    forecast_id: str
    issued_at: dt.datetime
    values: DayValues


def supersedes(
    kind: Kind, issued_at: dt.datetime, current: SeriesDay | None, forecast_id: str = ""
) -> bool:
    """Whether values of ``kind`` issued at ``issued_at`` replace ``current``."""
    if current is None:
        return True
    if current.kind == "observation":
        return kind == "observation" and issued_at > current.issued_at
    if kind == "observation":
        return True
    if issued_at == current.issued_at:
        return forecast_id != current.forecast_id
    return issued_at > current.issued_at


def stale(kind: Kind, issued_at: dt.datetime, applied_at: dt.datetime | None) -> bool:
    """Whether input of ``kind`` issued at ``issued_at`` changes nothing in an area whose
    latest applied forecast was issued at ``applied_at`` (rules §4.1 step 1, Decision)."""
    return kind == "forecast" and applied_at is not None and issued_at < applied_at


def apply(
    current: dict[dt.date, SeriesDay],
    incoming: ForecastIssued,
    applied_at: dt.datetime | None = None,
) -> list[SeriesDay]:
    """The days of ``incoming`` that change the series, as they now stand.

    ``applied_at``: the issue time of the latest forecast already applied to the area."""
    if stale(incoming.kind, incoming.issued_at, applied_at):
        return []
    changed = []
    for day in incoming.days:
        if supersedes(
            incoming.kind, incoming.issued_at, current.get(day.date), incoming.forecast_id
        ):
            changed.append(
                SeriesDay(
                    area=incoming.area,
                    date=day.date,
                    kind=incoming.kind,
                    forecast_id=incoming.forecast_id,
                    issued_at=incoming.issued_at,
                    values=day,
                )
            )
    return changed
