"""No secrets in logs: tokens, Authorization values and URL passwords are masked, and the
context (trace, CloudEvent, actor) rides on every line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from shared.observability import context
from shared.observability.logs import ContextFilter, RedactFilter, configure_logging, redact
from shared.settings import load_settings

TOKEN = "dev-unit-ecology-environment-bureau"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "connecting to postgresql+asyncpg://airwarn:s3cret@db:5432/airwarn_forecast",
            "connecting to postgresql+asyncpg://airwarn:***@db:5432/airwarn_forecast",
        ),
        ("smtp://mailer:p%40ss@mail.example:25", "smtp://mailer:***@mail.example:25"),
        (f"Authorization: Bearer {TOKEN}", "Authorization: ***"),
        (f"{{'authorization': 'Bearer {TOKEN}', 'accept': '*/*'}}", None),
        ('{"Authorization": "Basic eDp5", "x": 1}', '{"Authorization": "***", "x": 1}'),
        (f"sent with bearer {TOKEN} to the API", "sent with bearer *** to the API"),
        ("GET /feed?access_token=abc123&x=1", "GET /feed?access_token=***&x=1"),
        ("password=hunter2 user=me", "password=*** user=me"),
    ],
)
def test_secrets_are_masked(text: str, expected: str | None) -> None:
    masked = redact(text)
    assert TOKEN not in masked and "s3cret" not in masked and "hunter2" not in masked
    assert "abc123" not in masked and "p%40ss" not in masked and "eDp5" not in masked
    if expected is not None:
        assert masked == expected
    else:
        assert masked == "{'authorization': '***', 'accept': '*/*'}"


@pytest.mark.parametrize(
    "plain",
    [
        "http://127.0.0.1:8000/forecast/forecasts",
        "a bearer token is required",
        "unknown bearer token",
        "sqlite+aiosqlite:///var/forecast.db",
        "postgresql+asyncpg://airwarn@db/airwarn",
    ],
)
def test_what_is_not_secret_is_left_alone(plain: str) -> None:
    assert redact(plain) == plain


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_the_filter_masks_arguments_and_extra_values() -> None:
    record = _record(
        "calling %s with %r",
        "postgresql+asyncpg://u:pw-1@h/db",
        {"authorization": f"Bearer {TOKEN}"},
        headers={"Authorization": f"Bearer {TOKEN}", "user-agent": "curl"},
        url="https://hook:pw-2@example.org/in",
    )
    assert RedactFilter().filter(record)
    message = record.getMessage()
    assert "pw-1" not in message and TOKEN not in message
    assert message == "calling postgresql+asyncpg://u:***@h/db with {'authorization': '***'}"
    assert record.headers == {"Authorization": "***", "user-agent": "curl"}  # type: ignore[attr-defined]
    assert record.url == "https://hook:***@example.org/in"  # type: ignore[attr-defined]


def test_context_rides_on_the_record_unless_given() -> None:
    trace = context.trace_id.set("trace-1")
    event = context.event_id.set("event-1")
    try:
        record = _record("x")
        ContextFilter().filter(record)
        given = _record("y", event_id="explicit")
        ContextFilter().filter(given)
    finally:
        context.event_id.reset(event)
        context.trace_id.reset(trace)
    assert (record.trace_id, record.event_id, record.actor) == ("trace-1", "event-1", "system")  # type: ignore[attr-defined]
    assert given.event_id == "explicit"  # type: ignore[attr-defined]


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


def test_json_lines_carry_the_trace_and_never_a_password_even_in_a_traceback(
    json_lines: io.StringIO,
) -> None:
    trace = context.trace_id.set("4bf92f3577b34da6a3ce929d0e0e4736")
    try:
        try:
            raise ConnectionError("cannot reach postgresql+asyncpg://airwarn:pw-3@db:5432/x")
        except ConnectionError:
            logging.getLogger("airwarn.test").exception(
                "database away", extra={"headers": {"authorization": f"Bearer {TOKEN}"}}
            )
    finally:
        context.trace_id.reset(trace)
    output = json_lines.getvalue()
    assert "pw-3" not in output and TOKEN not in output
    (line,) = [json.loads(text) for text in output.splitlines()]
    assert line["message"] == "database away" and line["levelname"] == "ERROR"
    assert line["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert line["actor"] == "system" and line["event_id"] is None
    assert line["headers"] == {"authorization": "***"}
    assert "postgresql+asyncpg://airwarn:***@db:5432/x" in line["exc_info"]


def test_the_settings_never_show_the_database_password() -> None:
    settings = load_settings(database_url="postgresql+asyncpg://airwarn:pw-4@db:5432/{service}")
    assert "pw-4" not in repr(settings) and "pw-4" not in str(settings)
    assert "postgresql+asyncpg://airwarn:***@db:5432/{service}" in repr(settings)
    # the value itself is intact: only its display is masked
    assert (
        settings.database_url_for("forecast")
        == "postgresql+asyncpg://airwarn:pw-4@db:5432/forecast"
    )
