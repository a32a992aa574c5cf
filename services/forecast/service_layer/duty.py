"""Duty handlers: follow the warnings, and open or clear a fault per stale area."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.forecast.domain.duty import Watch, is_stale, stale_since
from services.forecast.service_layer.unit_of_work import ForecastUnitOfWork
from shared.areas import AREAS
from shared.contracts.payloads import DutyFault, WarningChanged
from shared.contracts.topics import DUTY_FAULT
from shared.observability import metrics


async def on_warning_changed(change: WarningChanged, uow: ForecastUnitOfWork) -> None:
    await uow.duty.set_warning(change.area, change.level, change.decided_at)
    # the watch is the area's warning level as the duty rule sees it
    await uow.record(
        "duty-watch",
        change.area,
        change.action,
        {"level": change.previous_level} if change.previous_level else None,
        {"level": change.level, "warning_id": change.warning_id} if change.level else None,
    )


async def stale_watches(uow: ForecastUnitOfWork, *, now: dt.datetime) -> list[Watch]:
    """The areas under warning whose latest forecast is stale at ``now``; changes nothing."""
    return [w for w in await uow.duty.watches() if _duty_applies(w) and is_stale(w, now)]


async def check_duty(uow: ForecastUnitOfWork, *, now: dt.datetime | None = None) -> list[Watch]:
    """Open a fault for every area under warning whose forecast went stale, clear those
    that were refreshed or lifted; return the stale watches."""
    moment = now or dt.datetime.now(dt.UTC)
    watches = [w for w in await uow.duty.watches() if _duty_applies(w)]
    stale = [w for w in watches if is_stale(w, moment)]
    faults = await uow.duty.open_faults()
    for watch in stale:
        if watch.area not in faults:
            fault_id = str(uuid.uuid4())
            since = stale_since(watch)
            opened = {
                "fault_id": fault_id,
                "area": watch.area,
                "level": watch.level,
                "latest_forecast_id": watch.latest_forecast_id,
                "latest_issued_at": watch.latest_issued_at,
                "stale_since": since,
                "opened_at": moment,
            }
            await uow.duty.open_fault(opened)
            await uow.record("duty-fault", fault_id, "opened", None, opened)
            await uow.publish(DUTY_FAULT, _fault(fault_id, "open", watch, since, moment))
    stale_areas = {w.area for w in stale}
    by_area = {w.area: w for w in watches}
    for area, fault in faults.items():
        if area not in stale_areas:
            await uow.duty.clear_fault(fault["fault_id"], moment)
            await uow.record(
                "duty-fault", fault["fault_id"], "cleared", fault, {**fault, "cleared_at": moment}
            )
            watch = by_area.get(area) or Watch(
                area,
                fault["level"],
                fault["stale_since"],
                fault["latest_forecast_id"],
                fault["latest_issued_at"],
            )
            await uow.publish(
                DUTY_FAULT,
                _fault(fault["fault_id"], "cleared", watch, fault["stale_since"], moment),
            )
    await uow.commit()
    metrics.stale_forecasts.set(len(stale))
    return stale


def _duty_applies(watch: Watch) -> bool:
    # A region with no forecast of its own follows its districts, whose duty is checked.
    return AREAS[watch.area].kind == "district" or watch.latest_forecast_id is not None


def _fault(
    fault_id: str, state: Any, watch: Watch, since: dt.datetime, at: dt.datetime
) -> DutyFault:
    return DutyFault(
        area=watch.area,
        fault_id=fault_id,
        state=state,
        level=watch.level,
        latest_forecast_id=watch.latest_forecast_id,
        latest_issued_at=watch.latest_issued_at,
        stale_since=since,
        detected_at=at,
    )
