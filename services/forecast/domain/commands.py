from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.contracts.payloads import DayValues


@dataclass(frozen=True)
class SubmitForecast:
    area: str
    source: str
    kind: str
    issued_at: dt.datetime
    days: tuple[DayValues, ...]
