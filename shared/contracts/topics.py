"""The versioned topics of the bus and the payload each one carries."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from shared.contracts.payloads import (
    AuditAnchor,
    BulletinPublished,
    DutyFault,
    ForecastIssued,
    ResponseTasks,
    WarningChanged,
)

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    event_type: str
    payload: type[BaseModel]
    producer: str
    summary: str

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX


FORECAST_ISSUED = Topic(
    "forecast.issued.v1",
    "cn.gov.cq.airwarn.forecast.issued.v1",
    ForecastIssued,
    "forecast",
    "A forecast or observation for one area, with each day's AQI.",
)
WARNING_CHANGED = Topic(
    "warning.changed.v1",
    "cn.gov.cq.airwarn.warning.changed.v1",
    WarningChanged,
    "alerting",
    "A warning issued, upgraded, downgraded or lifted for one area.",
)
RESPONSE_TASKS = Topic(
    "response.tasks.v1",
    "cn.gov.cq.airwarn.response.tasks.v1",
    ResponseTasks,
    "response",
    "Response tasks assigned to, stood down for or closed by member units.",
)
BULLETIN_PUBLISHED = Topic(
    "bulletin.published.v1",
    "cn.gov.cq.airwarn.bulletin.published.v1",
    BulletinPublished,
    "notify",
    "A public bulletin (Chinese and English) about a warning action.",
)

DUTY_FAULT = Topic(
    "duty.fault.v1",
    "cn.gov.cq.airwarn.duty.fault.v1",
    DutyFault,
    "forecast",
    "An area under warning whose latest forecast is older than 4 hours, opened or cleared.",
)

AUDIT_ANCHORS = Topic(
    "audit.anchors.v1",
    "cn.gov.cq.airwarn.audit.anchors.v1",
    AuditAnchor,
    "audited",  # each service anchors its own log: "The audited service publishes ..."
    "A service's audit-log head, signed with its audit key, for keeping outside its database.",
)

TOPICS: dict[str, Topic] = {
    topic.name: topic
    for topic in (
        FORECAST_ISSUED,
        WARNING_CHANGED,
        RESPONSE_TASKS,
        BULLETIN_PUBLISHED,
        DUTY_FAULT,
        AUDIT_ANCHORS,
    )
}


PAYLOADS_BY_TYPE: dict[str, type[BaseModel]] = {t.event_type: t.payload for t in TOPICS.values()}


def payload_model(event_type: str) -> type[BaseModel]:
    """The payload model of a CloudEvents ``type``."""
    try:
        return PAYLOADS_BY_TYPE[event_type]
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r}") from None


def topic_named(name: str) -> Topic:
    try:
        return TOPICS[name]
    except KeyError:
        raise KeyError(f"unknown topic {name!r}") from None
