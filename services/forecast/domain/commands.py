from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.contracts.payloads import DayValues


@dataclass(frozen=True)
class SubmitForecast:
    """A forecast or observation for one area; ``units`` names any value not in the
    plan's units (µg/m³, CO mg/m³), e.g. ``{"so2": "ppb"}``."""

    area: str
    source: str
    kind: str
    issued_at: dt.datetime
    days: tuple[DayValues, ...]
    units: Mapping[str, str] = field(default_factory=dict)
