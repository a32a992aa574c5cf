"""An area's response to its warning (rules §4–§5): opened on issue, re-levelled on
upgrade or downgrade, closed on lift, and the district's duty to report each change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from shared.areas import AREAS
from shared.contracts.payloads import TaskChange, WarningChanged
from shared.errors import Rejected

#: §5.1: a district reports each warning issue, change and lift to the city office within a day.
REPORT_MEASURE = "report-to-city-office"
REPORT_DUE = dt.timedelta(days=1)


@dataclass(frozen=True)
class Response:
    area: str
    episode_id: str
    warning_level: str
    response_level: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None = None
    pollutant: str | None = None
    actions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def active(self) -> bool:
        return self.closed_at is None


def apply_change(current: Response | None, change: WarningChanged) -> Response:
    """The area's response after ``change``; a change that cannot follow is rejected."""
    active = current if current is not None and current.active else None
    if change.action == "issue":
        if active is not None:
            raise Rejected(
                f"{change.area}: issue while episode {active.episode_id} is still active"
            )
        if change.level is None or change.response_level is None:
            raise Rejected(f"{change.area}: an issued warning needs a level")
        return Response(
            area=change.area,
            episode_id=change.episode_id,
            warning_level=change.level,
            response_level=change.response_level,
            opened_at=change.decided_at,
            actions=("issue",),
            pollutant=change.primary_pollutant,
        )
    if active is None:
        raise Rejected(f"{change.area}: {change.action} without an active warning")
    if change.action == "lift":
        return replace(active, closed_at=change.decided_at, actions=(*active.actions, "lift"))
    if change.level is None or change.response_level is None:
        raise Rejected(f"{change.area}: {change.action} needs a level")
    return replace(
        active,
        warning_level=change.level,
        response_level=change.response_level,
        actions=(*active.actions, change.action),
        pollutant=change.primary_pollutant or active.pollutant,
    )


def report_task(change: WarningChanged, response: Response) -> TaskChange | None:
    """The §5.1 report a district owes the city office for ``change`` (none for a region)."""
    if AREAS[change.area].kind != "district":
        return None
    return TaskChange(
        task_id=f"{change.warning_id}:{REPORT_MEASURE}",
        measure_id=REPORT_MEASURE,
        unit=f"district-government:{change.area}",
        level=response.response_level,
        action="assign",
        due=change.decided_at + REPORT_DUE,
        note=f"report the warning {change.action} to the city office",
    )
