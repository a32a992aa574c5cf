"""Forecast service handlers: one async function per command."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from services.forecast.domain.commands import SubmitForecast
from services.forecast.domain.model import Forecast, check_forecast, with_aqi, with_units
from services.forecast.domain.units import check_units
from services.forecast.service_layer.unit_of_work import ForecastUnitOfWork
from shared.contracts.payloads import ForecastIssued
from shared.contracts.topics import FORECAST_ISSUED
from shared.errors import Conflict, Rejected

#: the most forecasts one request (a JSON batch or a CSV) may carry, each of at most 31
#: days: one request's work for the pipeline stays bounded (issue 12 item 12)
MAX_FORECASTS_PER_REQUEST = 500


@dataclass(frozen=True)
class Accepted:
    forecast_id: str
    created: bool


def prepare(command: SubmitForecast, *, now: dt.datetime) -> Forecast:
    """The forecast ``command`` asks for, in the plan's units and with each day's AQI;
    raises :class:`Rejected` naming the first field that breaks the intake rules."""
    units = check_units(command.units)
    days = tuple(with_units(day, units) for day in command.days)
    check_forecast(
        area=command.area, kind=command.kind, issued_at=command.issued_at, days=days, now=now
    )
    return Forecast(
        forecast_id=str(uuid.uuid4()),
        area=command.area,
        source=command.source,
        kind=command.kind,
        issued_at=command.issued_at,
        days=tuple(with_aqi(day) for day in days),
    )


async def accept(forecast: Forecast, uow: ForecastUnitOfWork) -> Accepted:
    # Insert first, read only if that found the forecast there: a read-then-insert lets
    # parallel resends all read "absent" and all but one fail on the unique constraint.
    if not await uow.forecasts.add_if_absent(forecast):
        existing = await uow.forecasts.find(
            source=forecast.source,
            area=forecast.area,
            kind=forecast.kind,
            issued_at=forecast.issued_at,
        )
        if existing is None:  # pragma: no cover - the conflicting row is never deleted
            raise Conflict(f"{forecast.kind} for {forecast.area} is being stored; send it again")
        if existing.same_content(forecast):
            return Accepted(existing.forecast_id, created=False)
        raise Conflict(
            f"a different {forecast.kind} from {forecast.source!r} for {forecast.area} "
            f"issued at {forecast.issued_at.isoformat()} already exists ({existing.forecast_id})"
        )
    await uow.record(forecast.kind, forecast.forecast_id, "accepted", None, forecast)
    await uow.publish(
        FORECAST_ISSUED,
        ForecastIssued(
            area=forecast.area,
            forecast_id=forecast.forecast_id,
            kind=forecast.kind,
            source=forecast.source,
            issued_at=forecast.issued_at,
            days=list(forecast.days),
        ),
    )
    return Accepted(forecast.forecast_id, created=True)


async def submit_forecast(
    command: SubmitForecast, uow: ForecastUnitOfWork, *, now: dt.datetime | None = None
) -> Accepted:
    """Store a forecast and publish it once; a resend of the same forecast is a no-op."""
    forecast = prepare(command, now=now or dt.datetime.now(dt.UTC))
    accepted = await accept(forecast, uow)
    await uow.commit()
    return accepted


async def submit_batch(
    commands: Sequence[SubmitForecast],
    uow: ForecastUnitOfWork,
    *,
    now: dt.datetime | None = None,
    where: Sequence[str] | None = None,
) -> list[Accepted]:
    """All or nothing: every forecast is checked before any is stored; one conflict
    refuses the batch. ``where`` names each command in error messages."""
    if len(commands) > MAX_FORECASTS_PER_REQUEST:
        raise Rejected(
            f"a batch holds at most {MAX_FORECASTS_PER_REQUEST} forecasts, "
            f"this one {len(commands)}: split it"
        )
    moment = now or dt.datetime.now(dt.UTC)
    names = where or [f"forecasts[{index}]" for index in range(len(commands))]
    prepared = []
    for name, command in zip(names, commands, strict=True):
        try:
            prepared.append(prepare(command, now=moment))
        except Rejected as exc:
            raise Rejected(f"{name}: {exc}") from exc
    keys = [(f.source, f.area, f.kind, f.issued_at) for f in prepared]
    if len(set(keys)) != len(keys):
        raise Rejected("the batch holds the same forecast (source, area, issue time) twice")
    accepted = []
    for name, forecast in zip(names, prepared, strict=True):
        try:
            accepted.append(await accept(forecast, uow))
        except Conflict as exc:
            raise Conflict(f"{name}: {exc}") from exc
    await uow.commit()
    return accepted


async def forecast_history(
    area: str, uow: ForecastUnitOfWork, *, kind: str = "forecast", limit: int = 50
) -> list[Forecast]:
    return await uow.forecasts.history(area, kind=kind, limit=limit)
