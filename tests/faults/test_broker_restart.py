"""Restart the Kafka broker (SIGKILL, then start on the same data) while forecasts flow:
the outcome is the clean replay's, nothing missing and nothing twice.

While the broker is away the services keep taking forecasts: they are committed with
their outbox rows, and the relays publish them once the broker is back; consumers
rejoin their groups and go on from their committed offsets.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.faults import infra
from tests.faults.scenario import Feeder
from tests.faults.support import FaultStack, report, run_fault

pytestmark = [pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]


async def test_broker_killed_and_restarted_mid_stream(
    fault_stack: FaultStack, client: httpx.AsyncClient
) -> None:
    broker = infra.broker(fault_stack.bootstrap)
    took = 0.0

    async def strike(feeder: Feeder) -> None:
        nonlocal took
        await feeder.reached(feeder.total // 3)
        # In a thread: the stream goes on arriving while the broker is down.
        took = await asyncio.to_thread(broker.restart, hard=True)
        await fault_stack.stack.wait_ready(client, timeout=120)

    verdict = await run_fault(client, fault_stack, "broker-restart", strike)
    report(
        "broker-restart",
        f"kafka.sh restart --hard after a third of the stream, {took:.1f} s until it answered",
        verdict,
    )
