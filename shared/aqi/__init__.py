"""China's Air Quality Index, HJ 633-2012 环境空气质量指数(AQI)技术规定(试行).

- ``iaqi``, ``daily_aqi``, ``hourly_aqi``, ``aqi_from_iaqi``: one set of values, plain Python.
- ``iaqi_array``, ``daily_aqi_array``, ``hourly_aqi_array``: whole batches with numpy, giving
  exactly the integers of the scalar functions.
- ``category_of`` and ``CATEGORIES``: Table 2 and the Appendix A colours.

Decisions the standard leaves open, taken here:

- Above the top breakpoint of a row that reaches IAQI 500 (e.g. PM2.5 above 500 µg/m³) the
  IAQI is 500, the most the index can say.
- Rounding up (进位取整数) is done after subtracting ``TOLERANCE``, so that binary floating
  point cannot push a concentration sitting on a breakpoint into the next integer.
- Ties for primary pollutant are all listed, in ``POLLUTANTS`` order.
"""

from shared.aqi.scalar import (
    DAILY_FIELDS,
    HOURLY_FIELDS,
    AqiResult,
    Field,
    aqi_from_iaqi,
    daily_aqi,
    hourly_aqi,
    iaqi,
)
from shared.aqi.standard import (
    BREAKPOINTS,
    CATEGORIES,
    IAQI_BREAKPOINTS,
    POLLUTANT_OF,
    POLLUTANTS,
    TOLERANCE,
    AqiInputError,
    Category,
    Pollutant,
    Quantity,
    category_of,
)
from shared.aqi.vector import ABSENT, daily_aqi_array, hourly_aqi_array, iaqi_array

__all__ = [
    "ABSENT",
    "BREAKPOINTS",
    "CATEGORIES",
    "DAILY_FIELDS",
    "HOURLY_FIELDS",
    "IAQI_BREAKPOINTS",
    "POLLUTANTS",
    "POLLUTANT_OF",
    "TOLERANCE",
    "AqiInputError",
    "AqiResult",
    "Category",
    "Field",
    "Pollutant",
    "Quantity",
    "aqi_from_iaqi",
    "category_of",
    "daily_aqi",
    "daily_aqi_array",
    "hourly_aqi",
    "hourly_aqi_array",
    "iaqi",
    "iaqi_array",
]
