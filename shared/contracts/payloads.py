"""The payload of every bus event: the one definition each producer and consumer uses.

Field names follow the plan's terms (rules §1–§5). A model change that is not
backwards compatible gets a new topic version (``.v2``), never an edit here.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_validator

from shared.areas import AREAS
from shared.contracts.strict import Integer, IsoDate, Number, Rfc3339Time, StrictModel

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _supported_year(value: dt.date) -> dt.date:
    """Dates far outside the system's life are typing errors, and break date arithmetic."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"{value.isoformat()} is outside the years {FIRST_YEAR}–{LAST_YEAR}")
    return value


#: a date ("YYYY-MM-DD"), or a time (RFC 3339 with an offset), in the years the system serves
SupportedDate = Annotated[IsoDate, AfterValidator(_supported_year)]
SupportedTime = Annotated[Rfc3339Time, AfterValidator(_supported_year)]

WarningLevel = Literal["yellow", "orange", "red"]
ResponseLevel = Literal["III", "II", "I"]
Pollutant = Literal["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"]
EpisodePollutant = Literal["PM2.5", "O3"]


class Payload(StrictModel):
    # strict (shared.contracts.strict): a consumer refuses a lax value (to the DLQ)
    model_config = ConfigDict(frozen=True)

    area: str = Field(description="GB/T 2260 district code or region code; the message key")

    @field_validator("area")
    @classmethod
    def _known_area(cls, value: str) -> str:
        if value not in AREAS:
            raise ValueError(f"unknown area code {value!r}")
        return value


class DayValues(StrictModel):
    """One area-day (rules §1): 24-h means, O3 as its daily maximum 8-h mean."""

    model_config = ConfigDict(frozen=True)

    date: SupportedDate
    pm25: Number | None = Field(default=None, ge=0, description="PM2.5 24-h mean, µg/m³")
    pm10: Number | None = Field(default=None, ge=0, description="PM10 24-h mean, µg/m³")
    so2: Number | None = Field(default=None, ge=0, description="SO2 24-h mean, µg/m³")
    no2: Number | None = Field(default=None, ge=0, description="NO2 24-h mean, µg/m³")
    co: Number | None = Field(default=None, ge=0, description="CO 24-h mean, mg/m³")
    o3_8h: Number | None = Field(default=None, ge=0, description="O3 daily max 8-h mean, µg/m³")
    o3_1h: Number | None = Field(default=None, ge=0, description="O3 daily max 1-h, µg/m³")
    max_hourly_aqi: Integer | None = Field(default=None, ge=0, description="highest hourly AQI")
    aqi: Integer | None = Field(default=None, ge=0, description="daily AQI (HJ 633-2012)")
    iaqi: dict[Pollutant, Integer] | None = None
    category: Integer | None = Field(default=None, ge=1, le=6, description="HJ 633 category 1–6")
    primary_pollutants: list[Pollutant] = Field(default_factory=list)


class ForecastIssued(Payload):
    """forecast.issued.v1: a forecast, or an observation, for one area."""

    forecast_id: str
    kind: Literal["forecast", "observation"] = "forecast"
    source: str = Field(min_length=1, description="who produced it, e.g. city-office")
    issued_at: SupportedTime = Field(description="issue time, RFC 3339 with an offset")
    days: list[DayValues] = Field(min_length=1)

    @model_validator(mode="after")
    def _ascending_days(self) -> ForecastIssued:
        dates = [day.date for day in self.days]
        if any(later <= earlier for earlier, later in itertools.pairwise(dates)):
            raise ValueError("days must be in strictly ascending date order")
        return self


class WarningChanged(Payload):
    """warning.changed.v1: one warning action for one area (rules §4)."""

    warning_id: str
    action: Literal["issue", "upgrade", "downgrade", "lift"]
    level: WarningLevel | None = Field(description="the new level; null after a lift")
    response_level: ResponseLevel | None
    previous_level: WarningLevel | None
    episode_id: str
    episode_start: IsoDate
    episode_end: IsoDate | None
    primary_pollutant: EpisodePollutant | None
    cause: Literal["forecast", "advisory", "region"]
    cause_ref: str | None = Field(default=None, description="id of the forecast or advisory")
    cause_at: Rfc3339Time = Field(description="event time of the input that caused it")
    late: bool = False
    issuing_unit: str
    approver: str | None = None
    decided_at: Rfc3339Time = Field(description="when the action was approved")


class TaskChange(StrictModel):
    model_config = ConfigDict(frozen=True)

    task_id: str
    measure_id: str
    unit: str
    level: ResponseLevel
    action: Literal["assign", "stand_down", "acknowledge", "progress", "complete", "remind"]
    due: Rfc3339Time | None = None
    note: str | None = None


class ResponseTasks(Payload):
    """response.tasks.v1: task assignments and changes for one area's episode (rules §5)."""

    episode_id: str
    warning_id: str
    changes: list[TaskChange] = Field(min_length=1)


class BulletinPublished(Payload):
    """bulletin.published.v1: a public bulletin about one warning action."""

    bulletin_id: str
    warning_id: str
    msg_type: Literal["Alert", "Update", "Cancel"]
    level: WarningLevel | None
    references: list[str] = Field(default_factory=list)
    languages: list[Literal["zh-CN", "en-US"]]
    headline_zh: str
    headline_en: str
    text_zh: str
    text_en: str
    published_at: Rfc3339Time
    cap_xml: str = Field(description="the CAP 1.2 message (Alert, Update or Cancel)")


class DutyFault(Payload):
    """duty.fault.v1: an area under warning whose forecast is older than the duty allows
    (rules §4 "Duty": refreshed at least every 4 h), opened once and cleared once."""

    fault_id: str
    state: Literal["open", "cleared"]
    level: WarningLevel
    latest_forecast_id: str | None
    latest_issued_at: Rfc3339Time | None
    stale_since: Rfc3339Time
    detected_at: Rfc3339Time


class AuditAnchor(Payload):
    """audit.anchors.v1: a service's audit head, signed with its audit key, so that a log
    cut short or rewritten in its database shows (shared.db.audit_anchor)."""

    area: str = Field(
        description="the message key: the producing service's name (an anchor is about "
        "that service's whole audit log, not about one area)"
    )
    service: str
    seq: int = Field(ge=0, description="the head entry's seq (0: the log is empty)")
    head: str = Field(description="the head entry's MAC")
    head_key: str | None = Field(description="the key id the head entry is sealed with")
    at: SupportedTime
    key_id: str = Field(description="the key the anchor is signed with")
    signature: str = Field(description="HMAC-SHA256 of the other fields' canonical JSON")

    @field_validator("area")
    @classmethod
    def _known_area(cls, value: str) -> str:
        # overrides Payload's check by name: this key is a service, not an area code
        return value
