"""The shared strict input types (issue 12, item 6), in Python and in JSON mode."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import ValidationError

from shared.contracts.envelope import DecodeError, RawMessage, decode, encode, new_event
from shared.contracts.payloads import DayValues, ForecastIssued
from shared.contracts.strict import IsoDate, Number, Rfc3339Time, StrictModel, parse_decimal
from shared.contracts.topics import FORECAST_ISSUED


class Sample(StrictModel):
    value: Number | None = None
    at: Rfc3339Time | None = None
    day: IsoDate | None = None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"value": "160"}', "a number is a JSON number, not a string"),
        ('{"value": true}', "a number is a JSON number, not a boolean"),
        ('{"value": NaN}', "not a finite number"),
        ('{"value": "-Infinity"}', "not a finite number"),
        ('{"value": 1e999}', "not a finite number"),
        ('{"at": 1733390000}', "RFC 3339 string with an offset"),
        ('{"at": "2024-12-05T10:00:00"}', "with an offset"),
        ('{"at": "yesterday"}', "not an RFC 3339 time"),
        ('{"day": "2024-01-05T00:00:00"}', "YYYY-MM-DD"),
        ('{"day": 19000}', "YYYY-MM-DD"),
    ],
)
def test_lax_values_are_refused_alike_in_json_and_python_mode(raw: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Sample.model_validate_json(raw)
    with pytest.raises(ValidationError, match=message):
        Sample.model_validate(json.loads(raw))


def test_numbers_times_and_dates_in_their_json_spellings_are_taken() -> None:
    taken = Sample.model_validate_json(
        '{"value": 160, "at": "2024-12-05T10:00:00.5Z", "day": "2024-01-05"}'
    )
    assert taken.value == 160.0
    assert taken.at == dt.datetime(2024, 12, 5, 10, 0, 0, 500000, tzinfo=dt.UTC)
    assert taken.day == dt.date(2024, 1, 5)
    offset = Sample.model_validate({"at": "2024-12-05T10:00:00+08:00"}).at
    assert offset is not None and offset.utcoffset() == dt.timedelta(hours=8)


def test_a_csv_cell_reads_as_a_finite_decimal() -> None:
    assert parse_decimal("35.5") == 35.5
    assert parse_decimal("1e2") == 100.0
    for bad in ("NaN", "inf", "1e999", "1,5", "0x10", ""):
        with pytest.raises(ValueError, match=r"finite|decimal"):
            parse_decimal(bad)


def test_a_bus_payload_with_a_lax_value_is_undecodable() -> None:
    payload = ForecastIssued(
        area="500103",
        forecast_id="f1",
        source="test",
        issued_at=dt.datetime(2024, 12, 5, 10, tzinfo=dt.UTC),
        days=[DayValues(date=dt.date(2024, 12, 5), pm25=60.0)],
    )
    good = encode(new_event(FORECAST_ISSUED, payload, source="/test"))
    assert decode(good).payload == payload
    for lax in ("60", float("nan"), True):
        data = json.loads(good.value)
        data["days"][0]["pm25"] = lax
        bad = RawMessage(good.topic, good.key, json.dumps(data).encode(), good.headers)
        with pytest.raises(DecodeError, match="pm25"):
            decode(bad)
