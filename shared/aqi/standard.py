"""The tables of HJ 633-2012 环境空气质量指数(AQI)技术规定(试行), transcribed once.

Table 1 (空气质量分指数及对应的污染物项目浓度限值) gives the IAQI breakpoints, Table 2
(空气质量指数及相关信息) the six categories and Appendix A their colours.  The scalar and
the vectorised calculations both read their numbers from here, so they cannot drift apart.

Concentrations are in µg/m³, except CO in mg/m³ (Table 1).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from shared.errors import Rejected


class AqiInputError(Rejected):
    """A concentration or request the AQI cannot be computed from; the message names the field."""


Pollutant = Literal["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"]

POLLUTANTS: Final[tuple[Pollutant, ...]] = ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")
"""Every pollutant, in the fixed order used wherever several are listed (ties among primary
pollutants, the keys of the IAQI mappings)."""

Quantity = Literal[
    "so2_24h",
    "so2_1h",
    "no2_24h",
    "no2_1h",
    "pm10_24h",
    "co_24h",
    "co_1h",
    "o3_1h",
    "o3_8h",
    "pm25_24h",
]

IAQI_BREAKPOINTS: Final = (0, 50, 100, 150, 200, 300, 400, 500)
"""Table 1, first row: IAQI_Lo / IAQI_Hi of each segment."""

BREAKPOINTS: Final[Mapping[Quantity, tuple[float, ...]]] = MappingProxyType(
    {
        "so2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
        # Note 2: above 800 µg/m³ no IAQI is computed from the 1-hour SO2 mean.
        "so2_1h": (0, 150, 500, 650, 800),
        "no2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
        "no2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
        "pm10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
        "co_24h": (0, 2, 4, 14, 24, 36, 48, 60),
        "co_1h": (0, 5, 10, 35, 60, 90, 120, 150),
        "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
        # Note 3: above 800 µg/m³ no IAQI is computed from the 8-hour O3 mean.
        "o3_8h": (0, 100, 160, 215, 265, 800),
        "pm25_24h": (0, 35, 75, 115, 150, 250, 350, 500),
    }
)
"""Table 1: the concentration breakpoints BP of each quantity, one per entry of
``IAQI_BREAKPOINTS`` (the 1-hour SO2 and 8-hour O3 rows stop early).  Note 1 of the table:
the 1-hour SO2, NO2 and CO rows serve only the real-time (hourly) report."""

POLLUTANT_OF: Final[Mapping[Quantity, Pollutant]] = MappingProxyType(
    {
        "so2_24h": "SO2",
        "so2_1h": "SO2",
        "no2_24h": "NO2",
        "no2_1h": "NO2",
        "pm10_24h": "PM10",
        "co_24h": "CO",
        "co_1h": "CO",
        "o3_1h": "O3",
        "o3_8h": "O3",
        "pm25_24h": "PM2.5",
    }
)

STAND_IN: Final[Mapping[Quantity, tuple[Quantity, str]]] = MappingProxyType(
    {"so2_1h": ("so2_24h", "Table 1 note 2"), "o3_8h": ("o3_1h", "Table 1 note 3")}
)
"""The quantities whose rows stop short of IAQI 500: above the top breakpoint the standard
reports the IAQI of the stand-in quantity instead."""

TOP_IAQI: Final = 500
NOT_COMPUTED: Final = -2
"""Marks a concentration above a row that stops short (see ``STAND_IN``).  Negative, so it can
travel through the same integer arithmetic as real IAQIs and never be mistaken for one."""

TOLERANCE: Final = 1e-9
"""Subtracted before an IAQI is rounded up (HJ 633-2012: 进位取整数, rounded up to integers).

The slope (IAQI_Hi - IAQI_Lo)/(BP_Hi - BP_Lo) is rarely exact in binary, so at a breakpoint
the formula can give e.g. 150.00000000000003, which a bare ceil would turn into 151.  The
floating-point error of the formula stays below 1e-12 over the whole of Table 1, so 1e-9
absorbs it; and the exact IAQI of a concentration given to 7 decimals or fewer is either an
integer or at least 1/114_000_000 (about 9e-9, in the 1200-2340 µg/m³ segment of 1-hour NO2)
above one, so no true fraction is swallowed.  The scalar and array paths apply it identically."""


@dataclass(frozen=True)
class Segments:
    """One row of Table 1, laid out for lookup.

    ``upper`` holds BP_Hi of each segment; a concentration C belongs to segment
    ``j = bisect_left(upper, C)`` (the first segment whose BP_Hi >= C, so a concentration on a
    breakpoint uses the segment ending there).  ``j == len(upper)`` means above the table:
    ``c_low``, ``i_low`` and ``slope`` carry one more entry for it, a flat line at 500 or at
    ``NOT_COMPUTED``.
    """

    quantity: Quantity
    upper: tuple[float, ...]
    c_low: tuple[float, ...]
    i_low: tuple[float, ...]
    slope: tuple[float, ...]

    @property
    def top(self) -> float:
        return self.upper[-1]


def _segments(quantity: Quantity) -> Segments:
    bp = [float(b) for b in BREAKPOINTS[quantity]]
    levels = [float(i) for i in IAQI_BREAKPOINTS[: len(bp)]]
    beyond = float(NOT_COMPUTED if quantity in STAND_IN else TOP_IAQI)
    slope = [(levels[k + 1] - levels[k]) / (bp[k + 1] - bp[k]) for k in range(len(bp) - 1)]
    return Segments(
        quantity=quantity,
        upper=tuple(bp[1:]),
        c_low=(*bp[:-1], bp[-1]),
        i_low=(*levels[:-1], beyond),
        slope=(*slope, 0.0),
    )


SEGMENTS: Final[Mapping[Quantity, Segments]] = MappingProxyType(
    {quantity: _segments(quantity) for quantity in BREAKPOINTS}
)


def segments_of(quantity: str) -> Segments:
    """The Table 1 row of ``quantity``; an unknown name is refused, listing the known ones."""
    for name, segments in SEGMENTS.items():
        if name == quantity:
            return segments
    raise AqiInputError(f"unknown quantity {quantity!r}: expected one of {', '.join(SEGMENTS)}")


# Table 2 and Appendix A.
@dataclass(frozen=True)
class Category:
    """One of the six AQI categories of HJ 633-2012 Table 2, with its Appendix A colour."""

    number: int
    level_zh: str
    name_zh: str
    name_en: str
    aqi_min: int
    aqi_max: int | None
    color_zh: str
    color_en: str
    color_hex: str
    color_rgb: tuple[int, int, int]


CATEGORIES: Final = (
    Category(1, "一级", "优", "Excellent", 0, 50, "绿色", "green", "#00E400", (0, 228, 0)),
    Category(2, "二级", "良", "Good", 51, 100, "黄色", "yellow", "#FFFF00", (255, 255, 0)),
    Category(
        3,
        "三级",
        "轻度污染",
        "Lightly polluted",
        101,
        150,
        "橙色",
        "orange",
        "#FF7E00",
        (255, 126, 0),
    ),
    Category(
        4,
        "四级",
        "中度污染",
        "Moderately polluted",
        151,
        200,
        "红色",
        "red",
        "#FF0000",
        (255, 0, 0),
    ),
    Category(
        5,
        "五级",
        "重度污染",
        "Heavily polluted",
        201,
        300,
        "紫色",
        "purple",
        "#99004C",
        (153, 0, 76),
    ),
    Category(
        6,
        "六级",
        "严重污染",
        "Severely polluted",
        301,
        None,
        "褐红色",
        "maroon",
        "#7E0023",
        (126, 0, 35),
    ),
)


def category_of(aqi: int) -> Category:
    """The Table 2 category of an (integer) AQI; values above 300 are all 六级."""
    if isinstance(aqi, bool) or not isinstance(aqi, numbers.Integral) or aqi < 0:
        raise AqiInputError(f"aqi: must be a non-negative integer, got {aqi!r}")
    for category in CATEGORIES:
        if category.aqi_max is None or int(aqi) <= category.aqi_max:
            return category
    raise AssertionError("the last category is open-ended")  # pragma: no cover
