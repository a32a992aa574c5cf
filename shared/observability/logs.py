"""JSON logs on stderr, one object per line.

Every line carries the ``trace_id``, ``event_id`` (the CloudEvent being handled) and
``actor`` of the request or message it was written for (:class:`ContextFilter`), and
no line carries a secret (:class:`RedactFilter`): bearer tokens, ``Authorization``
values and passwords in URLs are masked before anything is formatted.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

from shared.observability import context

MASK = "***"
#: keys whose values are secrets wherever they appear in a logged mapping
SECRET_KEYS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "password", "secret"}
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # user:password@ in any URL: database, broker, SMTP
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@'\"]*):[^@\s/'\"]*@"), rf"\1:{MASK}@"),
    # an Authorization header's value, however it is quoted or joined
    (
        re.compile(r"(?i)(\b(?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\r\n,;}]+"),
        rf"\1{MASK}",
    ),
    # a bearer token anywhere else (but "a bearer token is required" is prose)
    (re.compile(r"(?i)\b(bearer\s+)(?!tokens?\b)[A-Za-z0-9\-._~+/]+=*"), rf"\1{MASK}"),
    # password=..., "secret": "...", ?access_token=...
    (
        re.compile(
            r"(?i)(\b(?:password|passwd|pwd|secret|access_token)['\"]?\s*[:=]\s*['\"]?)"
            r"[^'\"\s&,;}]+"
        ),
        rf"\1{MASK}",
    ),
)
# Attributes every LogRecord has; anything else came in through ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}
_CONTEXT: dict[str, ContextVar[str] | ContextVar[str | None]] = {
    "trace_id": context.trace_id,
    "event_id": context.event_id,
    "actor": context.actor,
}


def redact(text: str) -> str:
    """``text`` with tokens, ``Authorization`` values and URL passwords masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {
            key: MASK if str(key).lower() in SECRET_KEYS else _scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


class ContextFilter(logging.Filter):
    """Add ``trace_id``, ``event_id`` and ``actor`` from the context variables (a value
    passed in ``extra=`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in _CONTEXT.items():
            if not hasattr(record, name):
                setattr(record, name, variable.get())
        return True


class RedactFilter(logging.Filter):
    """Mask secrets in the message, its arguments, ``extra=`` values and the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, Mapping):
            record.msg = _scrub(record.msg)
        else:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # arguments that do not fit the format
                message = f"{record.msg} {record.args!r}"
            record.msg, record.args = redact(message), None
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and name not in _CONTEXT:
                setattr(record, name, _scrub(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


class RedactingJsonFormatter(JsonFormatter):
    """The JSON formatter formats ``exc_info`` itself, past ``exc_text``: mask it there too."""

    def formatException(self, ei: Any) -> str:
        return redact(str(super().formatException(ei)))


def install_filters(handler: logging.Handler) -> logging.Handler:
    """Give ``handler`` the context and redaction filters (on the handler, since a logger's
    own filters do not see records propagated from its children)."""
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactFilter())
    return handler


def configure_logging(level: str = "INFO", *, stream: TextIO | None = None) -> logging.Handler:
    handler = install_filters(logging.StreamHandler(stream or sys.stderr))
    handler.setFormatter(
        RedactingJsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", timestamp=True)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiosqlite logs every statement and its parameters at DEBUG
    for noisy in ("aiokafka", "aiosqlite", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler
