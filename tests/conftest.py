"""Shared fixtures: where the real broker and database are, and how to wait for things.

``make test`` starts a real Kafka broker and a real PostgreSQL server and sets
AIRWARN_KAFKA_BOOTSTRAP / AIRWARN_TEST_POSTGRES_URL; it also sets
AIRWARN_REQUIRE_INFRA=1, which turns a missing broker or database into a
failure instead of a skip, so CI can never pass without them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable

import pytest

from shared.bus.topics import ensure_topics
from shared.settings import Settings


def _infra(variable: str, what: str) -> str:
    value = os.environ.get(variable)
    if value:
        return value
    if os.environ.get("AIRWARN_REQUIRE_INFRA") == "1":
        pytest.fail(f"{variable} is not set but AIRWARN_REQUIRE_INFRA=1: {what} is required")
    pytest.skip(f"{variable} not set: no {what} (run `make test`)")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    bootstrap = _infra("AIRWARN_KAFKA_BOOTSTRAP", "Kafka broker")
    # The broker creates no topic on first use: declare them as `airwarn topics ensure`
    # does (deploy/local/test.sh has run it already; a broker named by hand may not).
    asyncio.run(ensure_topics(bootstrap, Settings().kafka_partitions))
    return bootstrap


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _infra("AIRWARN_TEST_POSTGRES_URL", "PostgreSQL server")


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], *, timeout: float = 30.0, what: str = "condition"
) -> None:
    """Wait until ``check`` holds; fail naming ``what`` if it never does."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)
