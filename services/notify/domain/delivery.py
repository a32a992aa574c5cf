"""Delivery you can prove: each (bulletin, subscriber) pair is one delivery, tried with
exponential backoff and jitter for at least 24 hours, then dead-lettered with the reason;
a subscriber's deliveries go out in order, never overtaking one another."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace
from typing import Literal

Status = Literal["pending", "delivered", "dead"]
FIRST_RETRY = dt.timedelta(seconds=2)
LONGEST_WAIT = dt.timedelta(minutes=30)
GIVE_UP_AFTER = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Delivery:
    delivery_id: str  # also the idempotency key the subscriber sees
    bulletin_id: str  # the message delivered: a bulletin's id, or a notice's
    subscription_id: str
    seq: int  # the subscriber's own order
    status: Status
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    latency_ms: float | None = None
    delivered_at: dt.datetime | None = None
    kind: Literal["bulletin", "notice"] = "bulletin"


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status: int | None
    error: str | None
    latency_ms: float
    # retrying cannot help (the address itself is invalid): dead-lettered at once
    permanent: bool = False


def backoff(attempts: int, rng: random.Random, first: dt.timedelta = FIRST_RETRY) -> dt.timedelta:
    """Wait before attempt ``attempts + 1``: doubling from ``first`` (2 s) up to 30 min,
    with jitter between half and all of it so retries of many subscribers spread out."""
    ceiling: dt.timedelta = min(LONGEST_WAIT, first * (2 ** max(0, attempts - 1)))
    return ceiling * (0.5 + rng.random() / 2)


def after_attempt(
    delivery: Delivery,
    attempt: Attempt,
    now: dt.datetime,
    rng: random.Random,
    first: dt.timedelta = FIRST_RETRY,
) -> Delivery:
    tried = replace(
        delivery,
        attempts=delivery.attempts + 1,
        last_status=attempt.status,
        last_error=attempt.error,
        latency_ms=attempt.latency_ms,
    )
    if attempt.ok:
        return replace(tried, status="delivered", delivered_at=now)
    if attempt.permanent:
        return replace(tried, status="dead", last_error=f"not retried: {attempt.error}")
    if now - delivery.created_at >= GIVE_UP_AFTER:
        reason = f"gave up after {tried.attempts} attempts over 24 h: {attempt.error}"
        return replace(tried, status="dead", last_error=reason)
    return replace(tried, next_attempt_at=now + backoff(tried.attempts, rng, first))


def closed(delivery: Delivery, reason: str) -> Delivery:
    """A delivery that will never be attempted (its subscription was removed, say)."""
    return replace(delivery, status="dead", last_error=reason)
