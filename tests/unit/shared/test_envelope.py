"""CloudEvents binary mode on the bus: what goes out comes back, and what is wrong is named."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.contracts.envelope import DecodeError, RawMessage, decode, encode, new_event
from shared.contracts.payloads import DayValues, ForecastIssued, WarningChanged
from shared.contracts.topics import FORECAST_ISSUED, TOPICS, WARNING_CHANGED


def _forecast(area: str = "500103") -> ForecastIssued:
    return ForecastIssued(
        area=area,
        forecast_id="f-1",
        source="city-office",
        issued_at=dt.datetime(2026, 1, 5, 8, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        days=[DayValues(date=dt.date(2026, 1, 5), pm25=151.5, o3_8h=80.0)],
    )


def test_an_event_survives_the_round_trip() -> None:
    event = new_event(FORECAST_ISSUED, _forecast(), source="/airwarn/forecast")
    assert decode(encode(event)) == event


def test_the_binary_mode_headers_carry_every_attribute_and_the_key_is_the_area() -> None:
    raw = encode(new_event(FORECAST_ISSUED, _forecast("500229"), source="/airwarn/forecast"))
    headers = dict(raw.headers)
    assert raw.key == b"500229"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"cn.gov.cq.airwarn.forecast.issued.v1"
    assert headers["ce_subject"] == b"500229"
    assert headers["ce_source"] == b"/airwarn/forecast"
    assert headers["content-type"] == b"application/json"
    assert {"ce_id", "ce_time", "airwarn_trace_id"} <= set(headers)


def test_a_payload_on_the_wrong_topic_is_refused_at_the_source() -> None:
    with pytest.raises(TypeError, match=r"warning\.changed\.v1 carries WarningChanged"):
        new_event(WARNING_CHANGED, _forecast(), source="/x")


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h: h.pop("ce_id"), "missing CloudEvents header ce_id"),
        (lambda h: h.update(ce_type=b"something.else"), "does not belong on forecast.issued.v1"),
        (lambda h: h.update(ce_subject=b"500104"), "does not match payload area"),
    ],
)
def test_bad_headers_are_named(mutate: object, reason: str) -> None:
    raw = encode(new_event(FORECAST_ISSUED, _forecast(), source="/x"))
    headers = dict(raw.headers)
    mutate(headers)  # type: ignore[operator]
    broken = RawMessage(raw.topic, raw.key, raw.value, tuple(headers.items()))
    with pytest.raises(DecodeError, match=reason):
        decode(broken)


def test_an_invalid_payload_names_the_field() -> None:
    raw = encode(new_event(FORECAST_ISSUED, _forecast(), source="/x"))
    broken = RawMessage(
        raw.topic, raw.key, raw.value.replace(b'"500103"', b'"999999"'), raw.headers
    )
    with pytest.raises(DecodeError, match="unknown area code '999999'"):
        decode(broken)


def test_every_topic_has_a_dlq_twin_and_a_unique_type() -> None:
    assert {t.dlq for t in TOPICS.values()} == {f"{name}.dlq" for name in TOPICS}
    assert len({t.event_type for t in TOPICS.values()}) == len(TOPICS)
    assert all(name.endswith(".v1") for name in TOPICS)


def test_forecast_days_must_ascend() -> None:
    with pytest.raises(ValueError, match="strictly ascending"):
        ForecastIssued(
            area="500103",
            forecast_id="f",
            source="s",
            issued_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
            days=[DayValues(date=dt.date(2026, 1, 6)), DayValues(date=dt.date(2026, 1, 5))],
        )


def test_a_warning_payload_validates_its_level() -> None:
    with pytest.raises(ValueError, match="level"):
        WarningChanged.model_validate(
            {
                "area": "main-metro",
                "warning_id": "w",
                "action": "issue",
                "level": "purple",
                "response_level": "III",
                "previous_level": None,
                "episode_id": "e",
                "episode_start": "2026-01-05",
                "episode_end": None,
                "primary_pollutant": "PM2.5",
                "cause": "forecast",
                "issuing_unit": "office",
                "decided_at": "2026-01-04T08:00:00Z",
                "cause_at": "2026-01-04T08:00:00Z",
            }
        )
