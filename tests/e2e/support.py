"""Inputs shared by the end-to-end tests."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from shared.contracts.payloads import WarningChanged

CST = dt.timezone(dt.timedelta(hours=8))
#: a forecasting bureau's token: forecasts and observations need one (see shared.auth)
FORECASTER = {"authorization": "Bearer dev-unit-ecology-environment-bureau"}
#: daily PM2.5: heavy days two days out, above 150 on forward days, so orange (rules §2)
ORANGE_PM25 = (60.0, 90.0, 120.0, 160.0, 170.0, 130.0)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def an_hour_ago() -> dt.datetime:
    """Now in Chongqing, to the second, less an hour: a fresh forecast's issue time."""
    return dt.datetime.now(CST).replace(microsecond=0) - dt.timedelta(hours=1)


def daily_forecast(
    area: str, issued: dt.datetime, pm25: Sequence[float], source: str = "city-office"
) -> dict[str, Any]:
    """A forecast body with one day per value of ``pm25``, from the issue date on."""
    return {
        "area": area,
        "source": source,
        "issued_at": issued.isoformat(),
        "days": [
            {"date": (issued.date() + dt.timedelta(days=i)).isoformat(), "pm25": value}
            for i, value in enumerate(pm25)
        ],
    }


def forecast_body(area: str, *, hours_ago: int = 1, pm25: float = 160.0) -> dict[str, Any]:
    issued = dt.datetime.now(CST).replace(microsecond=0) - dt.timedelta(hours=hours_ago)
    today = issued.date()
    return {
        "area": area,
        "source": "city-office",
        "issued_at": issued.isoformat(),
        "days": [
            {"date": (today + dt.timedelta(days=i)).isoformat(), "pm25": pm25 + i, "o3_8h": 90.0}
            for i in range(3)
        ],
    }


def warning(
    area: str, action: str, level: str | None, previous: str | None, episode: str
) -> WarningChanged:
    response = {"yellow": "III", "orange": "II", "red": "I", None: None}[level]
    return WarningChanged(
        area=area,
        warning_id=str(uuid.uuid4()),
        action=action,
        level=level,  # type: ignore[arg-type]
        response_level=response,
        previous_level=previous,
        episode_id=episode,  # type: ignore[arg-type]
        # Chongqing's tomorrow, not the machine's: from 16:00 to 24:00 UTC they differ
        episode_start=dt.datetime.now(CST).date() + dt.timedelta(days=1),
        episode_end=None,
        primary_pollutant="PM2.5",
        cause="forecast",
        issuing_unit="district HQ",
        decided_at=dt.datetime.now(dt.UTC),
        cause_at=dt.datetime.now(dt.UTC),
    )
