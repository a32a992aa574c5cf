"""CloudEvents 1.0 envelopes, carried in binary content mode on the bus.

On Kafka the attributes travel as ``ce_*`` headers and the payload, JSON, as
the message value; the key is the area code (the event's ``subject``), so one
area's events keep their order within a partition.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import BaseModel, ValidationError

from shared.contracts.payloads import Payload
from shared.contracts.topics import Topic, topic_named

P = TypeVar("P", bound=BaseModel)
JSON_CONTENT_TYPE = "application/json"
_FORMAT = JSONFormat()
#: headers that are ours, not CloudEvents attributes
TRACE_HEADER = "airwarn_trace_id"


class DecodeError(ValueError):
    """A message that is not a valid event for its topic; it goes to the DLQ."""


@dataclass(frozen=True, slots=True)
class RawMessage:
    """A message as it lies on the bus, before decoding."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    partition: int = 0
    offset: int = 0

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode("utf-8", errors="replace")
        return None


@dataclass(frozen=True, slots=True)
class Event(Generic[P]):
    """A CloudEvent whose data has been validated against its topic's payload model."""

    topic: str
    id: str
    source: str
    type: str
    subject: str
    time: dt.datetime
    payload: P
    trace_id: str = field(default="")

    @property
    def key(self) -> str:
        return self.subject


def new_event(
    topic: Topic, payload: Payload, *, source: str, trace_id: str | None = None
) -> Event[Payload]:
    if not isinstance(payload, topic.payload):
        raise TypeError(
            f"{topic.name} carries {topic.payload.__name__}, not {type(payload).__name__}"
        )
    return Event(
        topic=topic.name,
        id=str(uuid.uuid4()),
        source=source,
        type=topic.event_type,
        subject=payload.area,
        time=dt.datetime.now(dt.UTC),
        payload=payload,
        trace_id=trace_id or uuid.uuid4().hex,
    )


def encode(event: Event[Any]) -> RawMessage:
    """The binary-mode Kafka form of ``event``."""
    cloud_event = CloudEvent(
        attributes={
            "id": event.id,
            "source": event.source,
            "type": event.type,
            "specversion": "1.0",
            "subject": event.subject,
            "time": event.time,
            "datacontenttype": JSON_CONTENT_TYPE,
        },
        data=event.payload.model_dump(mode="json"),
    )
    message = ce_kafka.to_binary(cloud_event, _FORMAT, key_mapper=lambda e: e.get_subject())
    headers = [(name, value) for name, value in message.headers.items()]
    if event.trace_id:
        headers.append((TRACE_HEADER, event.trace_id.encode()))
    key = message.key.encode() if isinstance(message.key, str) else message.key
    return RawMessage(topic=event.topic, key=key, value=message.value, headers=tuple(headers))


def decode(raw: RawMessage, topic: Topic | None = None) -> Event[Any]:
    """Parse and validate ``raw`` as an event of ``topic`` (by default the topic it
    was read from); raise :class:`DecodeError` naming what is wrong."""
    if topic is None:
        try:
            topic = topic_named(raw.topic)
        except KeyError as exc:
            raise DecodeError(str(exc)) from exc
    headers = dict(raw.headers)
    for required in ("ce_id", "ce_source", "ce_type", "ce_specversion"):
        if required not in headers:
            raise DecodeError(f"missing CloudEvents header {required}")
    try:
        cloud_event = ce_kafka.from_binary(
            ce_kafka.KafkaMessage(headers=headers, key=raw.key, value=raw.value), _FORMAT
        )
    except Exception as exc:  # the SDK raises several unrelated types on bad input
        raise DecodeError(f"not a CloudEvent: {exc}") from exc
    if cloud_event.get_type() != topic.event_type:
        raise DecodeError(f"type {cloud_event.get_type()!r} does not belong on {topic.name}")
    data = cloud_event.get_data()
    if not isinstance(data, dict):
        raise DecodeError("data is not a JSON object")
    try:
        # From the bytes, in JSON mode: a payload's strictness (shared.contracts.strict) then
        # judges what the producer wrote, not what a JSON parser made of it (NaN, big ints).
        payload = topic.payload.model_validate_json(raw.value)
    except ValidationError as exc:
        raise DecodeError(f"invalid {topic.payload.__name__}: {exc}") from exc
    subject = cloud_event.get_subject() or ""
    area = getattr(payload, "area", None)
    if subject != area:
        raise DecodeError(f"subject {subject!r} does not match payload area {area!r}")
    time = cloud_event.get_time() or dt.datetime.now(dt.UTC)
    return Event(
        topic=topic.name,
        id=cloud_event.get_id(),
        source=cloud_event.get_source(),
        type=cloud_event.get_type(),
        subject=subject,
        time=time,
        payload=payload,
        trace_id=raw.header(TRACE_HEADER) or "",
    )
