"""Hold a webhook subscriber down (nothing listens: connection refused) while bulletins
are made for it, then bring it back: every bulletin reaches it, once, in the order
they were queued — notify retries with backoff and jitter, and a subscriber's later
deliveries wait behind the one being retried.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.conftest import eventually
from tests.faults.scenario import OFFICE, PROFILE, STREAMS, Feeder, collect
from tests.faults.support import FaultStack, report, run_fault

pytestmark = [pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]
NAME = "webhook-down"
REFUSALS = 3  # attempts the head of the queue must have had refused before the sink is back


async def deliveries(client: httpx.AsyncClient, fs: FaultStack, subscription: str) -> list[Any]:
    """The subscriber's deliveries of the stream's bulletins, in queue order."""
    outcome = await collect(client, fs.urls, STREAMS[NAME].areas)
    found = []
    for bulletin_id in outcome.bulletin_ids:
        log = await client.get(
            f"{fs.urls['notify']}/notify/bulletins/{bulletin_id}/deliveries", headers=OFFICE
        )
        found += [d for d in log.json() if d["subscription_id"] == subscription]
    return sorted(found, key=lambda d: d["seq"])


async def test_webhook_subscriber_down_then_back(
    fault_stack: FaultStack, client: httpx.AsyncClient
) -> None:
    sink = fault_stack.sink
    subscription = ""
    down_for = 0.0
    refused = 0

    async def held_down_long_enough() -> bool:
        """All the stream's bulletins queued, none delivered, the head refused often."""
        nonlocal subscription, refused
        if not subscription:
            got = await client.get(
                f"{fault_stack.urls['notify']}/notify/subscriptions",
                headers=OFFICE,
            )
            subscription = next(s["subscription_id"] for s in got.json() if NAME in s["name"])
        queue = await deliveries(client, fault_stack, subscription)
        done = [d for d in queue if d["status"] != "pending"]
        assert not done, f"settled while the subscriber was down: {done}"
        refused = sum(d["attempts"] for d in queue)
        return len(queue) == len(PROFILE) * len(STREAMS[NAME].areas) and (
            queue[0]["attempts"] >= REFUSALS
        )

    async def strike(feeder: Feeder) -> None:
        nonlocal down_for
        try:
            await feeder.finish()
            await eventually(held_down_long_enough, timeout=120, what="refused deliveries")
        finally:
            sink.start()
            down_for = time.monotonic() - stopped

    sink.stop()
    stopped = time.monotonic()
    try:
        verdict = await run_fault(client, fault_stack, NAME, strike)
    finally:
        sink.start()  # later tests deliver to it too
    queue = await deliveries(client, fault_stack, verdict.subscription)
    arrived = [r.bulletin_id for r in sink.received(NAME)]
    assert arrived == [d["bulletin_id"] for d in queue], "not in the order they were queued"
    report(
        NAME,
        f"webhook sink down {down_for:.1f} s from before the stream's start",
        verdict,
        f"{refused} attempts refused while down",
    )
