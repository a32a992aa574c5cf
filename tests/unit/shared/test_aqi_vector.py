"""The numpy batch path of the HJ 633-2012 AQI: same integers as the scalar path, NaN absent."""

from __future__ import annotations

import numpy as np
import pytest

from shared.aqi import (
    ABSENT,
    AqiInputError,
    daily_aqi,
    daily_aqi_array,
    hourly_aqi_array,
    iaqi,
    iaqi_array,
)

NAN = np.nan


def test_iaqi_array_gives_the_worked_examples_as_int64() -> None:
    c = np.array([0, 35, 75, 115, 115.1, 150, 250.5, 500, 600, 1e9])
    result = iaqi_array("pm25_24h", c)
    assert result.dtype == np.int64
    assert result.tolist() == [0, 50, 100, 150, 151, 200, 301, 500, 500, 500]


def test_iaqi_array_marks_nan_absent_and_keeps_the_shape() -> None:
    c = np.array([[10.0, NAN], [NAN, 600.0]])
    result = iaqi_array("pm10_24h", c)
    assert result.shape == (2, 2)
    assert result.tolist() == [[10, ABSENT], [ABSENT, 500]]


def test_iaqi_array_takes_lists_and_integer_arrays() -> None:
    assert iaqi_array("co_24h", [0, 2, 4]).tolist() == [0, 50, 100]
    assert iaqi_array("co_24h", np.array([0, 2, 4], dtype=np.int32)).tolist() == [0, 50, 100]


def test_iaqi_array_across_chunks_matches_the_scalar_path() -> None:
    rng = np.random.default_rng(633)
    c = np.round(rng.uniform(0, 4000, 200_003), 1)
    c[::997] = NAN
    result = iaqi_array("no2_1h", c)
    expected = [ABSENT if np.isnan(x) else iaqi("no2_1h", float(x)) for x in c]
    assert result.tolist() == expected


def test_iaqi_array_of_nothing_is_empty() -> None:
    assert iaqi_array("o3_1h", np.array([])).shape == (0,)


@pytest.mark.parametrize("quantity", ["so2_1h", "o3_8h"])
def test_iaqi_array_refuses_a_row_that_stops_short(quantity: str) -> None:
    with pytest.raises(ValueError, match=rf"^{quantity} \(row 2\): 801\.0 is above 800"):
        iaqi_array(quantity, [10, NAN, 801, 900])
    assert iaqi_array(quantity, [800, NAN]).tolist()[0] in (200, 300)


@pytest.mark.parametrize(("bad", "shown"), [(-1.0, "-1.0"), (np.inf, "inf"), (-np.inf, "-inf")])
def test_iaqi_array_refuses_negative_or_infinite_naming_the_position(
    bad: float, shown: str
) -> None:
    with pytest.raises(AqiInputError, match=rf"^pm25_24h \(row 3\): must be .* got {shown}$"):
        iaqi_array("pm25_24h", [1, NAN, 2, bad, bad])
    with pytest.raises(AqiInputError, match=r"^pm25_24h \(index \(1, 0\)\)"):
        iaqi_array("pm25_24h", np.array([[1.0, 2.0], [bad, 3.0]]))


def test_daily_aqi_array_gives_the_aqi_and_the_iaqi_of_each_pollutant() -> None:
    aqi, sub = daily_aqi_array(
        {"pm25": np.array([75, NAN, 600, 10]), "pm10": np.array([150, 20, NAN, 10])}
    )
    assert aqi.dtype == np.int64
    assert aqi.tolist() == [100, 20, 500, 15]
    assert list(sub) == ["PM2.5", "PM10"]
    assert sub["PM2.5"].tolist() == [100, ABSENT, 500, 15]
    assert sub["PM10"].tolist() == [100, 20, ABSENT, 10]


def test_daily_aqi_array_keys_follow_the_documented_order_whatever_the_column_order() -> None:
    _, sub = daily_aqi_array({"o3_8h": [1.0], "co": [1.0], "pm25": [1.0], "so2": [1.0]})
    assert list(sub) == ["PM2.5", "SO2", "CO", "O3"]


def test_daily_aqi_array_applies_note_3_row_by_row() -> None:
    aqi, sub = daily_aqi_array(
        {"o3_8h": np.array([801, 200, 900]), "o3_1h": np.array([900, NAN, 1100])}
    )
    # 200 µg/m³ of 8-hour O3: 100 + 50 * (200 - 160) / (215 - 160) = 136.4, rounded up.
    assert sub["O3"].tolist() == [350, 137, 450]
    assert aqi.tolist() == [350, 137, 450]


def test_daily_aqi_array_refuses_o3_8h_above_800_without_o3_1h_naming_the_row() -> None:
    with pytest.raises(AqiInputError, match=r"^o3_8h \(row 1\): 801\.0 is above 800.*o3_1h"):
        daily_aqi_array({"o3_8h": [100, 801], "pm25": [1, 1]})
    with pytest.raises(AqiInputError, match=r"^o3_8h \(row 2\): 850\.0 .*give o3_1h there"):
        daily_aqi_array({"o3_8h": [100, 801, 850], "o3_1h": [NAN, 900, NAN]})


def test_hourly_aqi_array_applies_note_2_row_by_row() -> None:
    aqi, sub = hourly_aqi_array(
        {"so2_1h": [801, 100, NAN], "so2_24h": [100, NAN, NAN], "pm10": [NAN, NAN, 50]}
    )
    assert sub["SO2"].tolist() == [75, 34, ABSENT]
    assert aqi.tolist() == [75, 34, 50]
    with pytest.raises(AqiInputError, match=r"^so2_1h \(row 0\): .*so2_24h"):
        hourly_aqi_array({"so2_1h": [801]})


def test_a_row_with_nothing_present_is_refused_naming_the_row() -> None:
    with pytest.raises(AqiInputError, match=r"^row 2: no concentration given"):
        daily_aqi_array({"pm25": [1, NAN, NAN], "pm10": [NAN, 1, NAN]})


def test_a_negative_value_is_refused_naming_column_and_row() -> None:
    with pytest.raises(
        AqiInputError, match=r"^pm10 \(row 1\): must be a finite, non-negative .* got -3\.0$"
    ):
        daily_aqi_array({"pm25": [1, 2, 3], "pm10": [NAN, -3, -4]})
    with pytest.raises(AqiInputError, match=r"^o3_1h \(row 0\)"):
        daily_aqi_array({"pm25": [1.0], "o3_1h": [np.inf]})


def test_columns_are_checked() -> None:
    with pytest.raises(AqiInputError, match="unknown column"):
        daily_aqi_array({"pm25": [1.0], "so2_1h": [1.0]})
    with pytest.raises(AqiInputError, match="differ in shape"):
        daily_aqi_array({"pm25": [1.0, 2.0], "pm10": [1.0]})
    with pytest.raises(AqiInputError, match="no concentration column"):
        daily_aqi_array({})
    with pytest.raises(AqiInputError, match="no concentration column"):
        daily_aqi_array({"o3_1h": [100.0]})


def test_an_empty_batch_gives_empty_arrays() -> None:
    aqi, sub = daily_aqi_array({"pm25": np.array([]), "pm10": np.array([])})
    assert aqi.shape == (0,)
    assert sub["PM10"].shape == (0,)


def test_the_input_columns_are_left_alone() -> None:
    pm25 = np.array([10.0, NAN, 700.0])
    o3_8h = np.array([900.0, 10.0, NAN])
    daily_aqi_array({"pm25": pm25, "o3_8h": o3_8h, "o3_1h": np.array([900.0, NAN, NAN])})
    assert np.array_equal(pm25, [10.0, NAN, 700.0], equal_nan=True)
    assert np.array_equal(o3_8h, [900.0, 10.0, NAN], equal_nan=True)


def test_a_batch_agrees_with_daily_aqi_row_by_row() -> None:
    columns = {
        "pm25": np.array([75, 115.1, NAN, 35, 501]),
        "pm10": np.array([150, NAN, 20, 50, 1]),
        "co": np.array([NAN, 4.01, 0.5, 2, NAN]),
        "o3_8h": np.array([801, 160, NAN, 100, 50]),
        "o3_1h": np.array([900, NAN, NAN, NAN, NAN]),
    }
    aqi, sub = daily_aqi_array(columns)
    for row in range(5):
        given = {k: float(v[row]) for k, v in columns.items() if not np.isnan(v[row])}
        result = daily_aqi(**given)
        assert aqi[row] == result.aqi
        assert {p: int(v[row]) for p, v in sub.items() if v[row] != ABSENT} == result.iaqi
