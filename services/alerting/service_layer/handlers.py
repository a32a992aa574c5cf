"""Alerting handlers: one async function per event or query."""

from __future__ import annotations

from services.alerting.domain import series
from services.alerting.domain.series import SeriesDay
from services.alerting.service_layer.unit_of_work import AlertingUnitOfWork
from shared.contracts.payloads import ForecastIssued


async def record_forecast(forecast: ForecastIssued, uow: AlertingUnitOfWork) -> None:
    """Fold a forecast or observation into the area's daily series (rules §4.1 step 1)."""
    dates = [day.date for day in forecast.days]
    current = await uow.series.days(forecast.area, since=min(dates), until=max(dates))
    await uow.series.save(series.apply(current, forecast))


async def area_series(area: str, uow: AlertingUnitOfWork) -> list[SeriesDay]:
    return list((await uow.series.days(area)).values())
