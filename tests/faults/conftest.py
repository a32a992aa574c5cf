"""One stack for the whole fault suite: the four services as processes on the run's
broker and PostgreSQL, a webhook sink, and each test's recovery figures in the
terminal summary. Each test starts by bringing back any service an earlier test left
down, so one failure does not cascade."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.faults.scenario import COMMON_SETTINGS
from tests.faults.sink import WebhookSink
from tests.faults.support import FaultStack, measured
from tests.stack import Stack, consumer_groups, service_databases, skip_to_end, stack_env

#: what the stack runs with beyond COMMON_SETTINGS: quick retries, so that recovery is
#: measured in seconds (production keeps the 30 s caps and 2 s first retry)
FAST_RETRIES: dict[str, object] = {
    "delivery_first_retry_seconds": 0.5,
    "consumer_retry_max_seconds": 2,
}


@pytest.fixture(scope="package")
def sink() -> Iterator[WebhookSink]:
    made = WebhookSink()
    made.start()
    yield made
    made.stop()


@pytest.fixture(scope="package")
def fault_stack(
    kafka_bootstrap: str,
    postgres_url: str,
    sink: WebhookSink,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[FaultStack]:
    groups = consumer_groups()
    # The test server trades durability for speed (synchronous_commit off), and a crash
    # of it would then lose commits already acknowledged — with the bus offsets of their
    # messages already committed, for good. Production runs durable; so do these.
    durable = {"synchronous_commit": "on"}
    with service_databases(postgres_url, "airwarn_faults", durable) as template:
        # Earlier tests on the shared broker may have left messages behind: not ours.
        asyncio.run(skip_to_end(kafka_bootstrap, groups))
        env = stack_env(kafka_bootstrap, template, **COMMON_SETTINGS, **FAST_RETRIES)
        stack = Stack(env, tmp_path_factory.mktemp("fault-stack"))
        stack.start()
        try:
            yield FaultStack(stack, kafka_bootstrap, postgres_url, groups, sink, template)
        finally:
            killed = stack.stop()
        assert not killed, f"did not stop on SIGTERM: {killed}"


@pytest.fixture
async def client(fault_stack: FaultStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as made:
        for service in fault_stack.stack.services.values():
            if not service.alive():
                service.start()
        await fault_stack.stack.wait_ready(made, timeout=120)
        yield made


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not measured:
        return
    terminalreporter.section("fault suite: recovery")
    for line in measured:
        terminalreporter.write_line(line)
