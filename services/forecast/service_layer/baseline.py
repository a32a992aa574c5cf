"""A forecast where nobody sends one: the baseline (docs/baseline-forecast.md), issued on a
schedule for every area that has observations but no recent external forecast."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from services.forecast.domain.baseline import baseline_forecast
from services.forecast.domain.commands import SubmitForecast
from services.forecast.service_layer.handlers import Accepted, accept, prepare
from services.forecast.service_layer.unit_of_work import ForecastUnitOfWork
from shared.contracts.payloads import DayValues

LOCAL = ZoneInfo("Asia/Shanghai")
BASELINE_SOURCE = "baseline"
#: an external forecast younger than this makes the baseline unnecessary
EXTERNAL_IS_FRESH = dt.timedelta(hours=24)


async def issue_baselines(
    uow: ForecastUnitOfWork, *, now: dt.datetime | None = None
) -> dict[str, Accepted]:
    """Issue a 7-day baseline forecast, on the hour, for each area that needs one."""
    moment = now or dt.datetime.now(dt.UTC)
    issued_at = moment.replace(minute=0, second=0, microsecond=0)
    issued: dict[str, Accepted] = {}
    for area in await uow.forecasts.areas_with_observations():
        external = await uow.forecasts.latest_issued(area, excluding_source=BASELINE_SOURCE)
        if external is not None and moment - external < EXTERNAL_IS_FRESH:
            continue
        observed: dict[dt.date, DayValues] = {}
        # oldest first, so a later observation of a day replaces an earlier one
        for observation in reversed(
            await uow.forecasts.history(area, kind="observation", limit=400)
        ):
            for day in observation.days:
                observed[day.date] = day
        days = baseline_forecast(observed.values(), issued_at.astimezone(LOCAL).date())
        command = SubmitForecast(
            area=area,
            source=BASELINE_SOURCE,
            kind="forecast",
            issued_at=issued_at,
            days=tuple(days),
        )
        issued[area] = await accept(prepare(command, now=moment), uow)
    await uow.commit()
    return issued
