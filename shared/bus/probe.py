"""Check that a Kafka broker serves cluster metadata.

Usage: ``python -m shared.bus.probe BOOTSTRAP [--timeout SECONDS] [--verbose]``

Exit status 0 when an aiokafka admin client can bootstrap against BOOTSTRAP
and fetch cluster metadata listing at least one broker; 1 otherwise. The probe
retries until the timeout elapses, so ``--timeout 90`` doubles as a wait.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from aiokafka.admin import (  # type: ignore[import-untyped, unused-ignore]
    AIOKafkaAdminClient,
)

DEFAULT_TIMEOUT_S = 5.0
_RETRY_PAUSE_S = 0.25
_CLOSE_TIMEOUT_S = 2.0


async def _probe_once(bootstrap: str, timeout_s: float) -> int:
    """Bootstrap once and return how many brokers the metadata lists."""
    request_timeout_ms = max(int(timeout_s * 1000), 500)
    admin: Any = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="airwarn-probe",
        request_timeout_ms=request_timeout_ms,
    )
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        cluster: dict[str, Any] = await asyncio.wait_for(admin.describe_cluster(), timeout_s)
        return len(cluster.get("brokers") or [])
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(admin.close(), _CLOSE_TIMEOUT_S)


async def probe(bootstrap: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
    """Return True once BOOTSTRAP serves metadata, False after TIMEOUT_S."""
    deadline = time.monotonic() + timeout_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            if await _probe_once(bootstrap, remaining) > 0:
                return True
        except Exception as exc:
            logging.getLogger(__name__).debug("probe %s: %r", bootstrap, exc)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        await asyncio.sleep(min(_RETRY_PAUSE_S, remaining))


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m shared.bus.probe",
        description="Exit 0 when the Kafka broker at BOOTSTRAP serves metadata.",
    )
    parser.add_argument("bootstrap", metavar="BOOTSTRAP", help="host:port[,host:port]")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"give up after this many seconds (default {DEFAULT_TIMEOUT_S:g})",
    )
    parser.add_argument("--verbose", action="store_true", help="log connection errors to stderr")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    else:
        # aiokafka logs every refused connection at ERROR; keep the probe quiet.
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL + 1)
    ok = asyncio.run(probe(args.bootstrap, args.timeout))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
