"""What the forecast service refuses at intake, with the field named."""

from __future__ import annotations

import datetime as dt

import pytest

from services.forecast.domain.model import check_forecast
from shared.contracts.payloads import DayValues
from shared.errors import Rejected

NOW = dt.datetime(2026, 1, 5, 2, tzinfo=dt.UTC)  # 10:00 in Chongqing
D0 = dt.date(2026, 1, 5)


def _days(*offsets: int, **values: float) -> tuple[DayValues, ...]:
    given = values or {"pm25": 50.0}
    return tuple(DayValues(date=D0 + dt.timedelta(days=o), **given) for o in offsets)


def _check(**overrides: object) -> None:
    arguments: dict[str, object] = {
        "area": "500103",
        "kind": "forecast",
        "issued_at": NOW,
        "days": _days(0, 1, 2),
        "now": NOW,
    }
    arguments.update(overrides)
    check_forecast(**arguments)  # type: ignore[arg-type]


def test_a_sound_forecast_passes() -> None:
    _check()
    _check(area="wuling", days=_days(*range(16)))  # today + 15 days is the limit


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"area": "500199"}, "area: unknown area code '500199'"),
        ({"issued_at": NOW + dt.timedelta(minutes=6)}, "issued_at: .* is in the future"),
        ({"issued_at": NOW.replace(tzinfo=None)}, "issued_at: must carry a timezone"),
        ({"days": ()}, "days: at least one day"),
        ({"days": _days(0, 0)}, r"days\[1\]\.date: .* duplicated or out of order"),
        ({"days": _days(1, 0)}, r"days\[1\]\.date: .* duplicated or out of order"),
        ({"days": _days(*range(17))}, r"days\[16\]\.date: .* more than 15 days out"),
        ({"days": _days(0, pm25=2000.5)}, r"days\[0\]\.pm25: 2000.5 is above"),
        ({"days": _days(0, co=250)}, r"days\[0\]\.co: 250.0 is above"),
        ({"days": (DayValues(date=D0, max_hourly_aqi=250),)}, r"days\[0\]: no pollutant"),
    ],
)
def test_bad_input_is_refused_naming_the_field(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(Rejected, match=message):
        _check(**overrides)


def test_a_small_clock_skew_is_tolerated() -> None:
    _check(issued_at=NOW + dt.timedelta(minutes=4))


def test_observations_may_cover_the_past_without_limit() -> None:
    _check(kind="observation", days=_days(-30, -29))
