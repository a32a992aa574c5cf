"""Intake: units other than the plan's, and CSV exports, every error naming its place."""

from __future__ import annotations

import datetime as dt

import pytest

from services.forecast.domain.csv_intake import parse_csv
from services.forecast.domain.model import with_aqi, with_units
from services.forecast.domain.units import MOLAR_VOLUME_L, to_native
from shared.contracts.payloads import DayValues
from shared.errors import Rejected


@pytest.mark.parametrize(
    ("field", "value", "unit", "expected"),
    [
        # µg/m³ = ppb × M / 24.465 at 25 °C, 101.325 kPa
        ("so2", 10.0, "ppb", 10 * 64.066 / 24.465),  # 26.19
        ("no2", 20.0, "ppb", 20 * 46.0055 / 24.465),  # 37.61
        ("o3_8h", 100.0, "ppb", 100 * 47.997 / 24.465),  # 196.19
        ("co", 1.0, "ppm", 28.010 / 24.465),  # 1.145 mg/m³
        ("co", 1000.0, "ppb", 28.010 / 24.465),
        ("so2", 0.01, "ppm", 10 * 64.066 / 24.465),
        ("pm25", 75.0, "ug/m3", 75.0),
        ("co", 1500.0, "ug/m3", 1.5),
    ],
)
def test_mixing_ratios_become_mass_concentrations(
    field: str, value: float, unit: str, expected: float
) -> None:
    assert to_native(field, value, unit) == pytest.approx(expected)  # type: ignore[arg-type]


def test_the_reference_state_is_stated() -> None:
    assert MOLAR_VOLUME_L == 24.465


def test_particles_have_no_mixing_ratio() -> None:
    with pytest.raises(Rejected, match=r"units\.pm25: particles"):
        to_native("pm25", 10.0, "ppb")


def test_a_converted_day_gets_its_aqi() -> None:
    day = with_aqi(
        with_units(DayValues(date=dt.date(2023, 1, 5), pm25=160, o3_8h=50), {"o3_8h": "ppb"})
    )
    assert day.o3_8h == pytest.approx(50 * 47.997 / 24.465)
    assert (day.aqi, day.category, day.primary_pollutants) == (210, 5, ["PM2.5"])
    # 50 ppb of O3 is 98.09 µg/m³: IAQI 98.09 × 50 / 100 = 49.05, rounded up to 50
    assert day.iaqi == {"PM2.5": 210, "O3": 50}


CSV = """area,issued_at,date,pm25,pm10,so2[ppb],co
500103,2023-01-08T10:00:00+08:00,2023-01-08,120,160,5,1.1
500103,2023-01-08T10:00:00+08:00,2023-01-09,160,200,6,1.3
500105,2023-01-08T10:00:00+08:00,2023-01-08,90,120,4,0.9
"""
ISSUED = "2023-01-08T10:00:00+08:00,2023-01-08,90"


def test_rows_of_one_area_and_issue_time_make_one_forecast() -> None:
    commands, lines = parse_csv(CSV, default_source="upload")
    assert [(c.area, len(c.days), c.source) for c in commands] == [
        ("500103", 2, "upload"),
        ("500105", 1, "upload"),
    ]
    assert lines == [[2, 3], [4]]
    assert commands[0].days[0].so2 == pytest.approx(5 * 64.066 / 24.465)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: the CSV is empty"),
        ("area,date\n", "line 1: missing column.*issued_at"),
        ("area,issued_at,date,pm2.5\n", "line 1: unknown column 'pm2.5'"),
        ("area,issued_at,date,so2[furlongs]\n", r"line 1: units\.so2: unknown unit"),
        (CSV.replace("160,200", "lots,200"), r"line 3: pm25: 'lots' is not a decimal number"),
        # a cell is text, but a number cell must read as a finite decimal (issue 12)
        (CSV.replace("160,200", "NaN,200"), "line 3: pm25: not a finite number"),
        (CSV.replace("160,200", "1e999,200"), "line 3: pm25: not a finite number"),
        (CSV.replace("160,200", "-inf,200"), "line 3: pm25: not a finite number"),
        (CSV.replace(",1.3\n", ",-1\n"), r"line 3: co: .*greater than or equal to 0"),
        (
            CSV.replace("2023-01-08T10:00:00+08:00,2023-01-08,90", "yesterday,2023-01-08,90"),
            "line 4: issued_at: 'yesterday' is not an RFC 3339 time",
        ),
        # a time cell needs its offset; a naive time or an epoch is refused (issue 12)
        (
            CSV.replace(ISSUED, "2023-01-08T10:00:00,2023-01-08,90"),
            "line 4: issued_at: '2023-01-08T10:00:00' is not an RFC 3339 time with an offset",
        ),
        (
            CSV.replace(ISSUED, "1673143200,2023-01-08,90"),
            "line 4: issued_at: '1673143200' is not an RFC 3339 time",
        ),
        (CSV + "500105,2023-01-08T10:00:00+08:00\n", "line 5: 2 cells, the header has 7"),
        ("area,issued_at,date,pm25\n", "line 2: no data rows"),
    ],
)
def test_bad_csv_names_the_line(text: str, message: str) -> None:
    with pytest.raises(Rejected, match=message):
        parse_csv(text, default_source="upload")
