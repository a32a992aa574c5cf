"""What the benchmark feeds the system: 7-day forecasts whose level is known in advance."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
#: a forecasting bureau and the duty office (the packaged development tokens, shared.auth)
FORECASTER = {"authorization": "Bearer dev-unit-ecology-environment-bureau"}
OFFICE = {"authorization": "Bearer dev-office-duty"}

#: PM2.5 24-h means of the seven days (µg/m³) giving each level under rules §2:
CLEAN = (40.0, 45.0, 40.0, 35.0, 30.0, 30.0, 30.0)
#: a day with AQI above 200 (PM2.5 above 150)
YELLOW = (60.0, 160.0, 60.0, 50.0, 40.0, 40.0, 40.0)
#: three days of PM2.5 above 115 with one above 150
ORANGE = (160.0, 170.0, 160.0, 60.0, 50.0, 40.0, 30.0)
#: three days of AQI above 200 with one above 300
RED = (260.0, 320.0, 260.0, 60.0, 50.0, 40.0, 30.0)


def forecast(area: str, issued_at: dt.datetime, pm25: tuple[float, ...]) -> dict[str, object]:
    """A forecast body for POST /forecast/forecasts, its first day the local issue date."""
    today = issued_at.astimezone(LOCAL).date()
    return {
        "area": area,
        "source": "bench",
        "issued_at": issued_at.isoformat(),
        "days": [
            {"date": (today + dt.timedelta(days=i)).isoformat(), "pm25": value, "o3_8h": 90.0}
            for i, value in enumerate(pm25)
        ],
    }
