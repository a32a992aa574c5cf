"""Poison on every topic: bytes that are no CloudEvent, a CloudEvent whose data breaks
its topic's schema, and a valid event with a CloudEvents header missing — produced
with a plain aiokafka producer, as any faulty or hostile producer would.

Each consumer group that reads the topic sends each of them to ``<topic>.dlq`` once,
with the reason and its own name (``airwarn_dlq_reason``, ``airwarn_dlq_group``), and
goes on: the same processes, still members of their groups, handle a valid message
produced after the poison on the same partition, and the effect shows over HTTP.
bulletin.published.v1 and duty.fault.v1 have no consumer inside airwarn (they are for
subscribers outside it); there a subscriber built on ``shared.bus`` stands in.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.bus.kafka import KafkaBus
from shared.contracts.envelope import Event, RawMessage, encode, new_event
from shared.contracts.payloads import (
    AuditAnchor,
    BulletinPublished,
    DayValues,
    DutyFault,
    ForecastIssued,
    Payload,
    ResponseTasks,
    TaskChange,
    WarningChanged,
)
from shared.contracts.topics import (
    AUDIT_ANCHORS,
    BULLETIN_PUBLISHED,
    DUTY_FAULT,
    FORECAST_ISSUED,
    RESPONSE_TASKS,
    TOPICS,
    WARNING_CHANGED,
    Topic,
)
from tests.conftest import eventually
from tests.faults.scenario import OFFICE, STREAMS
from tests.faults.support import FaultStack, measured, quiescent
from tests.stack import end_offsets, skip_to_end

pytestmark = [pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
FORECAST_AREA, WARNING_AREA, TASKS_AREA = STREAMS["poison"].areas
UNIT = "ecology-environment-bureau"
#: each topic's area: the poison and the valid message after it share a partition
AREA_OF = {
    FORECAST_ISSUED.name: FORECAST_AREA,
    WARNING_CHANGED.name: WARNING_AREA,
    RESPONSE_TASKS.name: TASKS_AREA,
    BULLETIN_PUBLISHED.name: WARNING_AREA,
    DUTY_FAULT.name: WARNING_AREA,
    AUDIT_ANCHORS.name: "fault-suite-poison",  # an anchor's key is its service's name
}
#: what the DLQ reason says for each kind of poison
REASONS = {
    "garbage": ("undecodable: not a CloudEvent", "undecodable: data is not a JSON object"),
    "schema-invalid": ("undecodable: invalid ",),
    "missing-header": ("undecodable: missing CloudEvents header ce_type",),
    # issue 12: a lax value (an epoch integer for a time) is refused, not coerced
    "lax-value": ("undecodable: invalid ",),
}
#: the topics no service reads, each read here as an outside subscriber would
OUTSIDE_ONLY = (BULLETIN_PUBLISHED, DUTY_FAULT, AUDIT_ANCHORS)
DOWNSTREAM = {t.name: f"fault-suite.downstream.{t.name}" for t in OUTSIDE_ONLY}


def sample(topic: Topic, area: str) -> Payload:
    """A valid payload for ``topic``: quiet enough to start no warning of its own."""
    if topic is FORECAST_ISSUED:
        return ForecastIssued(
            area=area,
            forecast_id=str(uuid.uuid4()),
            source="fault-suite-poison",
            issued_at=NOW,
            days=[DayValues(date=NOW.date(), pm25=30.0)],
        )
    if topic is WARNING_CHANGED:
        decided = NOW - dt.timedelta(hours=5)  # older than the 4-hour duty allows
        return WarningChanged(
            area=area,
            warning_id=str(uuid.uuid4()),
            action="issue",
            level="yellow",
            response_level="III",
            previous_level=None,
            episode_id=str(uuid.uuid4()),
            episode_start=NOW.date(),
            episode_end=None,
            primary_pollutant="PM2.5",
            cause="forecast",
            cause_at=decided,
            issuing_unit="fault suite",
            decided_at=decided,
        )
    if topic is RESPONSE_TASKS:
        return ResponseTasks(
            area=area,
            episode_id=str(uuid.uuid4()),
            warning_id=str(uuid.uuid4()),
            changes=[
                TaskChange(
                    task_id=str(uuid.uuid4()),
                    measure_id="III-fault-suite-check",
                    unit=UNIT,
                    level="III",
                    action="assign",
                    due=NOW + dt.timedelta(hours=2),
                )
            ],
        )
    if topic is BULLETIN_PUBLISHED:
        return BulletinPublished(
            area=area,
            bulletin_id=str(uuid.uuid4()),
            warning_id=str(uuid.uuid4()),
            msg_type="Alert",
            level="yellow",
            languages=["zh-CN", "en-US"],
            headline_zh="测试",
            headline_en="test",
            text_zh="测试",
            text_en="test",
            published_at=NOW,
            cap_xml="<alert/>",
        )
    if topic is AUDIT_ANCHORS:
        return AuditAnchor(
            area=area,
            service=area,
            seq=0,
            head="0" * 64,
            head_key=None,
            at=NOW,
            key_id="fault-suite",
            signature="0" * 64,
        )
    assert topic is DUTY_FAULT
    return DutyFault(
        area=area,
        fault_id=str(uuid.uuid4()),
        state="open",
        level="yellow",
        latest_forecast_id=None,
        latest_issued_at=None,
        stale_since=NOW,
        detected_at=NOW,
    )


def valid(topic: Topic) -> RawMessage:
    return encode(new_event(topic, sample(topic, AREA_OF[topic.name]), source="/fault-suite"))


def _with_epoch_time(node: Any) -> bool:
    """Replace the first time in ``node`` (a JSON value) with its epoch integer."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in list(items):
        if isinstance(value, str) and len(value) > 19 and value[10:11] == "T":
            node[key] = int(dt.datetime.fromisoformat(value).timestamp())
            return True
        if isinstance(value, dict | list) and _with_epoch_time(value):
            return True
    return False


def poison(topic: Topic) -> dict[str, RawMessage]:
    """The four kinds, each with CloudEvents headers of its own (a fresh event id)."""
    area = AREA_OF[topic.name]
    garbage, invalid, missing = valid(topic), valid(topic), valid(topic)
    lax = valid(topic)
    lax_data = json.loads(lax.value)
    assert _with_epoch_time(lax_data), f"{topic.name}: no time to make lax"
    return {
        "garbage": RawMessage(
            topic.name, garbage.key, b"\x89PNG\r\n\x1a\n\x00\xff", garbage.headers
        ),
        "schema-invalid": RawMessage(
            topic.name,
            invalid.key,
            json.dumps({"area": area, "nonsense": True}).encode(),
            invalid.headers,
        ),
        "missing-header": RawMessage(
            topic.name,
            missing.key,
            missing.value,
            tuple(h for h in missing.headers if h[0] != "ce_type"),
        ),
        "lax-value": RawMessage(topic.name, lax.key, json.dumps(lax_data).encode(), lax.headers),
    }


async def produce(bootstrap: str, messages: list[RawMessage]) -> list[tuple[int, int]]:
    """Send as they are, one after the other; return each one's (partition, offset)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        placed = []
        for m in messages:
            sent = await producer.send_and_wait(
                m.topic, value=m.value, key=m.key, headers=list(m.headers)
            )
            placed.append((sent.partition, sent.offset))
        return placed
    finally:
        await producer.stop()


async def read_topic(bootstrap: str, topic: str) -> list[RawMessage]:
    """Everything on ``topic`` now, from the beginning."""
    ends = {tp: end for tp, end in (await end_offsets(bootstrap, [topic])).items() if end}
    if not ends:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        found: list[RawMessage] = []
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                found += [
                    RawMessage(
                        r.topic,
                        r.key,
                        r.value or b"",
                        tuple(r.headers or ()),
                        r.partition,
                        r.offset,
                    )
                    for r in records
                ]
        return found
    finally:
        await consumer.stop()


@pytest.fixture
async def downstream(fault_stack: FaultStack) -> AsyncIterator[list[Event[Any]]]:
    """A subscriber outside airwarn, on shared.bus, for the topics no service reads."""
    await skip_to_end(fault_stack.bootstrap, {g: [t] for t, g in DOWNSTREAM.items()})
    bus = KafkaBus(fault_stack.bootstrap, client_id="fault-suite-downstream")
    await bus.start()
    seen: list[Event[Any]] = []

    async def record(event: Event[Any]) -> None:
        seen.append(event)

    consumers = [bus.consumer(TOPICS[t], g, record) for t, g in DOWNSTREAM.items()]
    for consumer in consumers:
        await consumer.start()
    await eventually(
        lambda: all(c.assigned_partitions() for c in consumers), timeout=60, what="assignment"
    )
    yield seen
    for consumer in consumers:
        await consumer.stop()
    await bus.stop()


async def test_poison_on_every_topic_is_dead_lettered_and_consumers_go_on(
    fault_stack: FaultStack, client: httpx.AsyncClient, downstream: list[Event[Any]]
) -> None:
    urls, bootstrap = fault_stack.urls, fault_stack.bootstrap
    pids = {name: s.pid for name, s in fault_stack.stack.services.items()}
    readers = {t: [g for g, ts in fault_stack.groups.items() if t in ts] for t in TOPICS}
    for topic, group in DOWNSTREAM.items():
        readers[topic].append(group)
    assert all(readers.values()), f"a topic nobody reads: {readers}"
    notices = await client.post(
        f"{urls['notify']}/notify/subscriptions",
        headers=OFFICE,
        json={
            "name": "fault suite notices",
            "channel": "webhook",
            "address": fault_stack.sink.url("poison-notices"),
            "unit": UNIT,
            "secret": "whsec_" + "ZmF1bHQtc3VpdGUtc2lnbmluZy1rZXktMzItYnl0ZXMh",
        },
    )
    assert notices.status_code == 201, notices.text

    started = time.monotonic()
    bad: dict[tuple[str, int, int], str] = {}
    good: dict[str, RawMessage] = {}
    for topic in TOPICS.values():
        kinds = poison(topic)
        placed = await produce(bootstrap, list(kinds.values()))
        bad.update({(topic.name, p, o): kind for kind, (p, o) in zip(kinds, placed, strict=True)})
        good[topic.name] = valid(topic)
        (valid_at,) = await produce(bootstrap, [good[topic.name]])
        assert valid_at[0] == placed[0][0], "the valid message must follow the poison"

    dead: list[RawMessage] = []

    async def all_dead_lettered() -> bool:
        nonlocal dead
        dead = []
        for topic in TOPICS.values():
            dead += [
                m
                for m in await read_topic(bootstrap, topic.dlq)
                if (m.header("airwarn_dlq_topic"), *_place(m)) in bad
            ]
        return len(dead) >= sum(len(readers[t]) for t, _, _ in bad)

    await eventually(all_dead_lettered, timeout=90, what="every poison message dead-lettered")
    copies = Counter(
        (m.header("airwarn_dlq_topic"), *_place(m), m.header("airwarn_dlq_group")) for m in dead
    )
    for (topic, partition, offset), kind in bad.items():
        for group in readers[topic]:
            assert copies[(topic, partition, offset, group)] == 1, (topic, kind, group, copies)
    for message in dead:
        kind = bad[(message.header("airwarn_dlq_topic") or "", *_place(message))]
        assert (message.header("airwarn_dlq_reason") or "").startswith(REASONS[kind]), (
            kind,
            message.header("airwarn_dlq_reason"),
        )
    dead_lettered = time.monotonic() - started

    await eventually(
        lambda: _handled(client, fault_stack, good, downstream),
        timeout=90,
        what="the valid message after the poison handled on every topic",
    )
    handled = time.monotonic() - started
    assert {n: s.pid for n, s in fault_stack.stack.services.items()} == pids, "a service restarted"
    await quiescent(client, fault_stack, "poison")
    measured.append(
        f"poison: {len(bad)} poison messages on {len(TOPICS)} topics, {len(dead)} DLQ copies "
        f"(one per reading group) in {dead_lettered:.1f} s; the valid message after them "
        f"handled on every topic in {handled:.1f} s by the same processes; lag 0 after"
    )


def _place(message: RawMessage) -> tuple[int, int]:
    return int(message.header("airwarn_dlq_partition") or -1), int(
        message.header("airwarn_dlq_offset") or -1
    )


async def _handled(
    client: httpx.AsyncClient,
    fault_stack: FaultStack,
    good: dict[str, RawMessage],
    downstream: list[Event[Any]],
) -> bool:
    """Each valid message's effect, read over HTTP (or by the outside subscriber)."""
    urls = fault_stack.urls
    forecast = json.loads(good[FORECAST_ISSUED.name].value)
    series = await client.get(f"{urls['alerting']}/alerting/series/{FORECAST_AREA}")
    if not any(day["forecast_id"] == forecast["forecast_id"] for day in series.json()):
        return False
    warning = json.loads(good[WARNING_CHANGED.name].value)
    responses = await client.get(
        f"{urls['response']}/response/responses", params={"area": WARNING_AREA}
    )
    if not any(r["episode_id"] == warning["episode_id"] for r in responses.json()):
        return False
    bulletins = await client.get(
        f"{urls['notify']}/notify/bulletins", params={"area": WARNING_AREA}
    )
    if not any(b["warning_id"] == warning["warning_id"] for b in bulletins.json()):
        return False
    duty = await client.get(f"{urls['forecast']}/forecast/duty", headers=OFFICE)
    if not any(d["area"] == WARNING_AREA for d in duty.json()):
        return False
    # response.tasks.v1 → notify's task notice, delivered to the unit's webhook
    measures = [
        task["measure_id"]
        for receipt in fault_stack.sink.received("poison-notices")
        for task in receipt.body.get("tasks", [])
    ]
    if "III-fault-suite-check" not in measures:
        return False
    outside = {good[t.name].header("ce_id") for t in OUTSIDE_ONLY}
    return outside <= {event.id for event in downstream}
