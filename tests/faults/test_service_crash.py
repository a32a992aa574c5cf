"""Kill -9 each service in turn while a stream of forecasts flows, and start it again:
the outcome is the clean replay's, nothing missing and nothing twice.

What survives the crash: the forecast service's HTTP intake is retried by the sender
(a resend of the same forecast is a no-op); what a consumer held uncommitted is read
again and its transaction's inbox row makes the repeat a no-op; outbox rows committed
but not yet relayed leave after the restart; a webhook POST that went out just before
the kill may go out again, with the same Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.faults.scenario import Feeder
from tests.faults.support import FaultStack, report, run_fault

pytestmark = [pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]


@pytest.mark.parametrize("service", ["forecast", "alerting", "response", "notify"])
async def test_kill_nine_mid_stream_and_restart(
    service: str, fault_stack: FaultStack, client: httpx.AsyncClient
) -> None:
    process = fault_stack.stack.services[service]
    down_for = 0.0

    async def strike(feeder: Feeder) -> None:
        nonlocal down_for
        await feeder.reached(feeder.total // 3)
        pid = process.pid
        process.kill()
        killed = time.monotonic()
        # Down while more of the stream arrives (forecast: its sender keeps retrying).
        await asyncio.sleep(1.5)
        process.start()
        await fault_stack.stack.wait_ready(client, [service], timeout=120)
        down_for = time.monotonic() - killed
        assert process.pid != pid

    verdict = await run_fault(
        client, fault_stack, f"crash-{service}", strike, exactly_once_posts=service != "notify"
    )
    report(
        f"crash-{service}",
        f"kill -9 {service} after a third of the stream, down {down_for:.1f} s to ready",
        verdict,
    )
