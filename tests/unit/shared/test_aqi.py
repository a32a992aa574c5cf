"""HJ 633-2012 AQI: Table 1 golden values, worked examples, categories and refused input.

The expected values come from this file's own transcription of Table 1 and its own exact
(fraction) arithmetic, never from the module under test, so a typo on either side shows up.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from shared.aqi import (
    AqiInputError,
    category_of,
    daily_aqi,
    hourly_aqi,
    iaqi,
)
from shared.errors import Rejected

# HJ 633-2012 Table 1, typed in again for the tests (CO in mg/m³, the rest in µg/m³).
LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)
TABLE_1: dict[str, tuple[int, ...]] = {
    "so2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "so2_1h": (0, 150, 500, 650, 800),
    "no2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "no2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "pm10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
    "co_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "co_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 160, 215, 265, 800),
    "pm25_24h": (0, 35, 75, 115, 150, 250, 350, 500),
}
NOT_INDEXED_ABOVE_TOP = {"so2_1h", "o3_8h"}  # Table 1 notes 2 and 3


def exact_iaqi(quantity: str, concentration: Fraction) -> int:
    """Formula (1) in exact arithmetic, rounded up; 500 above a full row."""
    bps = TABLE_1[quantity]
    if concentration > bps[-1]:
        assert quantity not in NOT_INDEXED_ABOVE_TOP
        return 500
    for k in range(1, len(bps)):
        if concentration <= bps[k]:
            lo, hi = bps[k - 1], bps[k]
            value = Fraction(LEVELS[k] - LEVELS[k - 1], hi - lo) * (concentration - lo)
            return math.ceil(value + LEVELS[k - 1])
    raise AssertionError("unreachable")


def epsilon(quantity: str) -> float:
    return 0.01 if quantity.startswith("co") else 0.1


BREAKPOINT_CASES = [
    pytest.param(quantity, bp, level, id=f"{quantity}@{bp}")
    for quantity, bps in TABLE_1.items()
    for bp, level in zip(bps, LEVELS, strict=False)
]


@pytest.mark.parametrize(("quantity", "bp", "level"), BREAKPOINT_CASES)
def test_a_breakpoint_gives_exactly_its_iaqi(quantity: str, bp: int, level: int) -> None:
    assert iaqi(quantity, bp) == level
    assert iaqi(quantity, float(bp)) == level


@pytest.mark.parametrize(("quantity", "bp", "level"), BREAKPOINT_CASES)
def test_just_above_a_breakpoint_is_the_next_integer(quantity: str, bp: int, level: int) -> None:
    above = bp + epsilon(quantity)
    if bp == TABLE_1[quantity][-1]:
        if quantity in NOT_INDEXED_ABOVE_TOP:
            with pytest.raises(ValueError, match=quantity):
                iaqi(quantity, above)
        else:
            assert iaqi(quantity, above) == 500
    else:
        assert iaqi(quantity, above) == level + 1


@pytest.mark.parametrize(
    ("quantity", "bp", "level"), [case for case in BREAKPOINT_CASES if case.values[1] != 0]
)
def test_just_below_a_breakpoint_rounds_up_to_it(quantity: str, bp: int, level: int) -> None:
    assert iaqi(quantity, bp - epsilon(quantity)) == level


@pytest.mark.parametrize("quantity", list(TABLE_1))
def test_a_fine_grid_matches_exact_arithmetic(quantity: str) -> None:
    step = Fraction(epsilon(quantity)).limit_denominator(100)
    top = TABLE_1[quantity][-1]
    last = int(top / step) if quantity in NOT_INDEXED_ABOVE_TOP else int(top * 1.05 / step)
    for k in range(0, last + 1, 7):  # every 7th step: a few thousand values per row
        concentration = k * step
        assert iaqi(quantity, float(concentration)) == exact_iaqi(quantity, concentration), (
            quantity,
            concentration,
        )


@pytest.mark.parametrize(
    ("concentration", "expected"),
    [
        (115, 150),
        (115.1, 151),
        (75, 100),
        (35, 50),
        (150, 200),
        (250.5, 301),
        (500, 500),
        (600, 500),
        (0, 0),
        (35.8, 51),
        (1e9, 500),
    ],
)
def test_pm25_worked_examples(concentration: float, expected: int) -> None:
    assert iaqi("pm25_24h", concentration) == expected
    assert daily_aqi(pm25=concentration).iaqi == {"PM2.5": expected}


def test_o3_8h_worked_examples() -> None:
    assert iaqi("o3_8h", 215) == 150
    assert iaqi("o3_8h", 265) == 200
    assert daily_aqi(o3_8h=800).iaqi == {"O3": 300}


def test_o3_8h_above_800_reports_the_1_hour_iaqi() -> None:
    # O3-1h 900 lies in the 800-1000 segment (IAQI 300-400): 300 + 100 * 100/200 = 350.
    result = daily_aqi(o3_8h=801, o3_1h=900)
    assert result.iaqi == {"O3": 350}
    assert result.aqi == 350
    assert daily_aqi(o3_8h=801, o3_1h=1100).iaqi == {"O3": 450}
    assert daily_aqi(o3_8h=900, o3_1h=5000).iaqi == {"O3": 500}


def test_o3_1h_alone_does_not_make_a_daily_aqi() -> None:
    assert daily_aqi(pm25=10, o3_1h=900).iaqi == {"PM2.5": 15}
    with pytest.raises(AqiInputError, match="no concentration given"):
        daily_aqi(o3_1h=900)


def test_o3_8h_above_800_without_o3_1h_is_refused_naming_o3_8h() -> None:
    with pytest.raises(AqiInputError, match=r"^o3_8h: 801\.0 is above 800.*note 3.*give o3_1h"):
        daily_aqi(o3_8h=801, pm25=10)
    with pytest.raises(ValueError, match=r"^o3_8h: .*above 800"):
        iaqi("o3_8h", 801)


def test_so2_1h_above_800_reports_the_24_hour_iaqi() -> None:
    # SO2-24h 100 lies in the 50-150 segment (IAQI 50-100): 50 + 50 * 50/100 = 75.
    result = hourly_aqi(so2_1h=801, so2_24h=100)
    assert result.iaqi == {"SO2": 75}
    assert hourly_aqi(so2_1h=800, so2_24h=100).iaqi == {"SO2": 200}
    assert hourly_aqi(so2_1h=100).iaqi == {"SO2": 34}


def test_so2_1h_above_800_without_so2_24h_is_refused_naming_so2_1h() -> None:
    with pytest.raises(AqiInputError, match=r"^so2_1h: .*note 2.*give so2_24h"):
        hourly_aqi(so2_1h=801, pm10=10)
    with pytest.raises(ValueError, match=r"^so2_1h: 801\.0 is above 800"):
        iaqi("so2_1h", 801)


def test_a_tie_lists_every_primary_pollutant_in_the_documented_order() -> None:
    result = daily_aqi(pm10=150, pm25=75, no2=40)
    assert result.iaqi == {"PM2.5": 100, "PM10": 100, "NO2": 50}
    assert result.aqi == 100
    assert result.primary_pollutants == ("PM2.5", "PM10")


def test_every_pollutant_can_be_primary() -> None:
    result = daily_aqi(pm25=75, pm10=150, so2=150, no2=80, co=4, o3_8h=160)
    assert set(result.iaqi.values()) == {100}
    assert result.primary_pollutants == ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")


def test_no_primary_pollutant_at_50_or_below() -> None:
    assert daily_aqi(pm25=35, pm10=50).aqi == 50
    assert daily_aqi(pm25=35, pm10=50).primary_pollutants == ()
    assert daily_aqi(pm25=35.1, pm10=50).primary_pollutants == ("PM2.5",)
    assert daily_aqi(co=0).aqi == 0


def test_daily_aqi_uses_24_hour_rows_and_hourly_aqi_1_hour_rows() -> None:
    daily = daily_aqi(so2=150, no2=80, co=4, o3_8h=160)
    assert daily.iaqi == {"SO2": 100, "NO2": 100, "CO": 100, "O3": 100}
    hourly = hourly_aqi(so2_1h=500, no2_1h=200, co_1h=10, o3_1h=200, pm25=75, pm10=150)
    assert hourly.iaqi == {"PM2.5": 100, "PM10": 100, "SO2": 100, "NO2": 100, "CO": 100, "O3": 100}


def test_exceeding_pollutants_are_those_above_100() -> None:
    result = daily_aqi(pm25=115.1, pm10=150, no2=81)
    assert result.exceeding_pollutants == ("PM2.5", "NO2")


@pytest.mark.parametrize(
    ("aqi", "number", "level", "name_zh", "name_en", "color_hex", "rgb"),
    [
        (0, 1, "一级", "优", "Excellent", "#00E400", (0, 228, 0)),
        (50, 1, "一级", "优", "Excellent", "#00E400", (0, 228, 0)),
        (51, 2, "二级", "良", "Good", "#FFFF00", (255, 255, 0)),
        (100, 2, "二级", "良", "Good", "#FFFF00", (255, 255, 0)),
        (101, 3, "三级", "轻度污染", "Lightly polluted", "#FF7E00", (255, 126, 0)),
        (150, 3, "三级", "轻度污染", "Lightly polluted", "#FF7E00", (255, 126, 0)),
        (151, 4, "四级", "中度污染", "Moderately polluted", "#FF0000", (255, 0, 0)),
        (200, 4, "四级", "中度污染", "Moderately polluted", "#FF0000", (255, 0, 0)),
        (201, 5, "五级", "重度污染", "Heavily polluted", "#99004C", (153, 0, 76)),
        (300, 5, "五级", "重度污染", "Heavily polluted", "#99004C", (153, 0, 76)),
        (301, 6, "六级", "严重污染", "Severely polluted", "#7E0023", (126, 0, 35)),
        (500, 6, "六级", "严重污染", "Severely polluted", "#7E0023", (126, 0, 35)),
    ],
)
def test_categories_at_their_edges(
    aqi: int,
    number: int,
    level: str,
    name_zh: str,
    name_en: str,
    color_hex: str,
    rgb: tuple[int, int, int],
) -> None:
    category = category_of(aqi)
    assert (category.number, category.level_zh, category.name_zh, category.name_en) == (
        number,
        level,
        name_zh,
        name_en,
    )
    assert (category.color_hex, category.color_rgb) == (color_hex, rgb)
    assert category.color_hex == "#{:02X}{:02X}{:02X}".format(*category.color_rgb)


def test_a_result_carries_the_category_of_its_aqi() -> None:
    assert daily_aqi(pm25=115.1).category.number == 4
    assert daily_aqi(pm25=115).category.number == 3


DAILY_FIELDS = ("pm25", "pm10", "so2", "no2", "co", "o3_8h", "o3_1h")
HOURLY_FIELDS = ("pm25", "pm10", "so2_1h", "so2_24h", "no2_1h", "co_1h", "o3_1h")
BAD_VALUES = [(-1.0, "-1.0"), (math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf")]


@pytest.mark.parametrize("field", DAILY_FIELDS)
@pytest.mark.parametrize(("value", "shown"), BAD_VALUES)
def test_daily_refuses_a_bad_value_naming_the_field(field: str, value: float, shown: str) -> None:
    with pytest.raises(AqiInputError) as caught:
        daily_aqi(**{"pm25": 10.0, field: value})
    assert str(caught.value) == (
        f"{field}: must be a finite, non-negative concentration, got {shown}"
    )


@pytest.mark.parametrize("field", HOURLY_FIELDS)
@pytest.mark.parametrize(("value", "shown"), BAD_VALUES)
def test_hourly_refuses_a_bad_value_naming_the_field(field: str, value: float, shown: str) -> None:
    with pytest.raises(AqiInputError, match=rf"^{field}: must be .* got {shown}$"):
        hourly_aqi(**{"pm10": 10.0, field: value})


def test_the_exact_message_for_a_negative_pm25() -> None:
    with pytest.raises(AqiInputError) as caught:
        daily_aqi(pm25=-1.0)
    assert str(caught.value) == "pm25: must be a finite, non-negative concentration, got -1.0"


@pytest.mark.parametrize("value", [True, "12", None, [1.0]])
def test_iaqi_refuses_what_is_not_a_number(value: object) -> None:
    with pytest.raises(AqiInputError, match=r"^pm25_24h: must be"):
        iaqi("pm25_24h", value)  # type: ignore[arg-type]


def test_iaqi_refuses_an_unknown_quantity_listing_the_known_ones() -> None:
    with pytest.raises(AqiInputError, match=r"unknown quantity 'pm2\.5'.*pm25_24h"):
        iaqi("pm2.5", 10)


def test_nothing_given_is_refused() -> None:
    with pytest.raises(AqiInputError, match="no concentration given"):
        daily_aqi()
    with pytest.raises(AqiInputError, match="no concentration given"):
        hourly_aqi(so2_24h=10)


def test_the_input_error_is_a_rejection_and_a_value_error() -> None:
    assert issubclass(AqiInputError, Rejected)
    assert issubclass(AqiInputError, ValueError)


@pytest.mark.parametrize("aqi", [-1, True, 50.0])
def test_category_of_refuses_what_is_not_an_aqi(aqi: object) -> None:
    with pytest.raises(AqiInputError, match="aqi: must be a non-negative integer"):
        category_of(aqi)  # type: ignore[arg-type]
