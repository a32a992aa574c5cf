"""Strict input, in one place: numbers are JSON numbers and times RFC 3339 strings with an
offset (issue 12, item 6).

Every model that takes input from outside (HTTP bodies, scenario files, bus payloads)
derives from :class:`StrictModel`: pydantic's strict mode then refuses ``"160"``, ``true``
or an epoch integer where a number or a time belongs, and a NaN or an infinity gets its own
error. Strict mode alone would also refuse a time or a date written as a string when the
input went through ``json.loads`` first (FastAPI validates bodies in Python mode); the
:data:`Rfc3339Time` and :data:`IsoDate` types accept exactly the JSON spellings instead, so
the same model behaves alike in Python and in JSON mode.

A CSV cell is text by nature: :func:`parse_decimal` and :func:`parse_rfc3339` read one
with the same rules.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

from pydantic import AllowInfNan, BaseModel, BeforeValidator, ConfigDict, Strict
from pydantic_core import PydanticCustomError

#: strict types, no NaN or infinity, no unknown fields
STRICT = ConfigDict(strict=True, allow_inf_nan=False, extra="forbid")

NOT_FINITE = "not a finite number"

# RFC 3339 §5.6 date-time: full-date "T" full-time, where time-offset is Z or ±hh:mm.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})\Z", re.ASCII
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z", re.ASCII)
_NOT_FINITE_WORDS = frozenset({"nan", "inf", "infinity"})


class StrictModel(BaseModel):
    """The base of every inbound model (see the module's docstring)."""

    model_config = STRICT


def _json_kind(value: object) -> str:
    """What ``value`` was in the JSON it came from, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def _not_finite_text(value: str) -> bool:
    return value.strip().lower().lstrip("+-") in _NOT_FINITE_WORDS


def parse_rfc3339(text: str) -> dt.datetime:
    """``text`` as an RFC 3339 time with an explicit offset; ValueError otherwise."""
    if not _RFC3339.match(text):
        raise ValueError(
            f"{text!r} is not an RFC 3339 time with an offset (e.g. 2024-12-05T10:00:00+08:00)"
        )
    try:
        return dt.datetime.fromisoformat(text.upper())
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid time: {exc}") from None


def parse_decimal(text: str) -> float:
    """``text`` as a finite decimal number (``160``, ``35.5``, ``1e2``); ValueError otherwise."""
    if _not_finite_text(text):
        raise ValueError(NOT_FINITE)
    if not _DECIMAL.match(text.strip()):
        raise ValueError(f"{text!r} is not a decimal number")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(NOT_FINITE)
    return value


def _time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        if value.utcoffset() is None:
            raise PydanticCustomError("time_offset", "a time needs an explicit offset")
        return value
    if isinstance(value, str):
        try:
            return parse_rfc3339(value)
        except ValueError as exc:
            raise PydanticCustomError("rfc3339_time", "{reason}", {"reason": str(exc)}) from None
    raise PydanticCustomError(
        "rfc3339_time",
        "a time is an RFC 3339 string with an offset (e.g. 2024-12-05T10:00:00+08:00), not {kind}",
        {"kind": _json_kind(value)},
    )


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise PydanticCustomError("iso_date", "{reason}", {"reason": str(exc)}) from None
    raise PydanticCustomError(
        "iso_date", "a date is a string YYYY-MM-DD, not {value}", {"value": repr(value)}
    )


def _finite(value: Any) -> Any:
    """NaN and infinities, as JSON tokens or as text, get their own error; every other
    non-number is left to strict mode to refuse."""
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("finite_number", NOT_FINITE)
    if isinstance(value, str) and _not_finite_text(value):
        raise PydanticCustomError("finite_number", NOT_FINITE)
    if isinstance(value, str | bool):
        raise PydanticCustomError(
            "number_type", "a number is a JSON number, not {kind}", {"kind": _json_kind(value)}
        )
    return value


#: a time: an RFC 3339 string with Z or ±hh:mm (or an aware datetime, from code)
Rfc3339Time = Annotated[dt.datetime, BeforeValidator(_time)]
#: a calendar day: "YYYY-MM-DD" (or a date, from code)
IsoDate = Annotated[dt.date, BeforeValidator(_date)]
#: a JSON number (an int is one), finite; never a string or a boolean
Number = Annotated[float, Strict(), AllowInfNan(False), BeforeValidator(_finite)]
#: a JSON integer; never a float, a string or a boolean
Integer = Annotated[int, Strict(), BeforeValidator(_finite)]
