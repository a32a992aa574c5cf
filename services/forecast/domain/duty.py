"""The duty rule (rules §4 "Duty", plan §3.2.3.4): while an area is under warning its
forecast is refreshed at least every 4 hours; a staler forecast is an operational fault."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DUTY_INTERVAL = dt.timedelta(hours=4)


@dataclass(frozen=True)
class Watch:
    """An area under warning and what is known of its latest forecast."""

    area: str
    level: str
    warned_since: dt.datetime
    latest_forecast_id: str | None
    latest_issued_at: dt.datetime | None


def stale_since(watch: Watch) -> dt.datetime:
    """When the area's forecast went stale: 4 h after the latest forecast, or — with no
    forecast at all — 4 h after the warning began."""
    start = watch.latest_issued_at or watch.warned_since
    return start + DUTY_INTERVAL


def is_stale(watch: Watch, now: dt.datetime) -> bool:
    return now > stale_since(watch)
