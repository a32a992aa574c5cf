"""Evaluation handlers (plan §6): the air days it compares, and the episode's report."""

from __future__ import annotations

import datetime as dt

from services.response.domain.evaluation import (
    EpisodeReport,
    build_report,
    episode_days,
    highest_level,
)
from services.response.domain.inventory import ReductionCheck, reduction_check
from services.response.service_layer.unit_of_work import ResponseUnitOfWork
from shared.contracts.payloads import ForecastIssued
from shared.errors import NotFound
from shared.levels import WARNING_LEVEL_OF

#: days of air quality shown around the episode
MARGIN = dt.timedelta(days=2)


async def record_air(forecast: ForecastIssued, uow: ResponseUnitOfWork) -> None:
    """Keep each day's AQI as forecast the day before and as observed."""
    first = min(day.date for day in forecast.days)
    last = max(day.date for day in forecast.days)
    before = await uow.evaluation.air(forecast.area, first, last)
    if forecast.kind == "observation":
        for day in forecast.days:
            if day.aqi is not None:
                await uow.evaluation.record_observation(forecast.area, day.date, day.aqi)
    else:
        # a date given twice keeps its last value, as one upsert per day did
        aqi_by_date = {day.date: day.aqi for day in forecast.days if day.aqi is not None}
        await uow.evaluation.record_forecasts(forecast.area, aqi_by_date, forecast.issued_at)
    # only a day-ahead forecast is kept, so compare rather than assume a change
    after = await uow.evaluation.air(forecast.area, first, last)
    if after != before:
        await uow.record(
            "air",
            forecast.area,
            f"{forecast.kind}-recorded",
            {"days": before} if before else None,
            {"days": after, "forecast_id": forecast.forecast_id},
        )


async def episode_report(
    episode_id: str, uow: ResponseUnitOfWork, *, now: dt.datetime | None = None
) -> EpisodeReport:
    response = await uow.responses.episode(episode_id)
    if response is None:
        raise NotFound(f"no episode {episode_id}")
    timeline = await uow.evaluation.timeline(episode_id)
    tasks = await uow.responses.tasks(episode_id=episode_id)
    first, last = episode_days(response, timeline)
    air = await uow.evaluation.air(response.area, first - MARGIN, last + MARGIN)
    version, sources = await uow.inventories.current(response.area)
    reductions: ReductionCheck | None = None
    if version:
        level = WARNING_LEVEL_OF[highest_level(response, timeline)]
        reductions = reduction_check(sources, level, response.pollutant or "PM2.5")
    return build_report(response, timeline, tasks, air, reductions, now or dt.datetime.now(dt.UTC))
