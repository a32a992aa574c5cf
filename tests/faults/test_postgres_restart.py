"""Restart PostgreSQL (immediate shutdown, a crash recovered from the WAL) while
forecasts flow: the outcome is the clean replay's, nothing missing and nothing twice.

Every service loses its connections at once: a forecast POSTed meanwhile fails with
500 and is sent again, a handler that fails is retried without committing its
message, the relays and the delivery job try again on their next pass, and the
connection pools replace what the restart broke (pool_pre_ping).
"""

from __future__ import annotations

import httpx
import pytest

from tests.faults import infra
from tests.faults.support import FaultStack, restart_mid_stream

pytestmark = [pytest.mark.faults, pytest.mark.kafka, pytest.mark.postgres]


async def test_postgres_crashed_and_restarted_mid_stream(
    fault_stack: FaultStack, client: httpx.AsyncClient
) -> None:
    server = infra.database_server(fault_stack.postgres_url)
    await restart_mid_stream(client, fault_stack, "postgres-restart", server)
