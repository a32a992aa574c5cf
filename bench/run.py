"""`make bench`: every benchmark in one run, then the JSON file and the markdown table.

    python -m bench.run --kafka 127.0.0.1:39092 \
        --postgres postgresql+asyncpg://airwarn:airwarn@127.0.0.1:57432/airwarn

Not a test: it measures, compares with the targets of issue 8 and says which were met.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench import micro, nationwide, pipeline, relay, report, stack
from bench.kafka_tools import WarningWatch, group_lag, skip_to_end
from bench.sink import Sink
from bench.stack import Stack
from shared.bus.kafka import KafkaBus

RESULTS = Path(__file__).resolve().parent / "results"


async def drained(running: Stack) -> dict[str, Any]:
    """What is left in the system once a phase is over (all zero when it finished)."""
    return {"lag": await group_lag(running.kafka), "backlog": await stack.backlog(running)}


async def with_stack(
    args: argparse.Namespace,
    name: str,
    body: Callable[[Stack, httpx.AsyncClient], Awaitable[dict[str, Any]]],
    *,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``body`` against a fresh stack (new databases, new processes), then record what
    the services left undone and their peak memory."""
    skipped = await skip_to_end(args.kafka)
    print(
        f"bench: {name}: starting the four services ({skipped} old messages skipped)",
        file=sys.stderr,
    )
    running = await stack.start(
        args.kafka, args.postgres, args.workdir / name, env=env, profile=frozenset(args.profile)
    )
    try:
        async with httpx.AsyncClient(
            timeout=60, limits=httpx.Limits(max_connections=200, max_keepalive_connections=200)
        ) as client:
            cpu_before = stack.cpu_seconds(running)
            result = await body(running, client)
            cpu_after = stack.cpu_seconds(running)
        result["cpu_seconds"] = {
            service: round(cpu_after[service] - cpu_before[service], 2) for service in cpu_after
        }
        result["left"] = await drained(running)
        result["peak_rss_mib"] = stack.peak_memory(running)
        return result
    finally:
        await stack.stop(running)


def pipeline_phase(
    feed: Callable[[httpx.AsyncClient, str], Awaitable[pipeline.Feed]], args: argparse.Namespace
) -> Callable[[Stack, httpx.AsyncClient], Awaitable[dict[str, Any]]]:
    async def body(running: Stack, client: httpx.AsyncClient) -> dict[str, Any]:
        sink = Sink()
        await sink.start()
        watch = WarningWatch(running.kafka)
        await watch.start()
        try:
            await pipeline.prepare(client, running, sink)
            await asyncio.sleep(2)  # the regions' own forecasts land before the clock starts
            fed = await feed(client, f"{running.urls['forecast']}/forecast/forecasts")
            await pipeline.wait_for_bulletins(
                fed, sink, watch, idle_limit=args.idle_limit, drain_limit=args.drain_limit
            )
            return pipeline.summary(fed, sink, watch)
        finally:
            await watch.stop()
            await sink.stop()

    return body


async def durability(postgres: str) -> dict[str, str]:
    """The server's own word on what a commit survives (SHOW, not what we asked for)."""
    engine = create_async_engine(postgres)
    try:
        async with engine.connect() as connection:
            return {
                name: str(await connection.scalar(text(f"SHOW {name}")))
                for name in ("fsync", "synchronous_commit", "full_page_writes")
            }
    finally:
        await engine.dispose()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(),
        },
        "settings": {k: str(v) for k, v in vars(args).items()},
    }
    results["durability"] = await durability(args.postgres)
    wanted = set(args.only or ["micro", "relay", "paced", "light", "max", "nationwide"])
    if "micro" in wanted:
        print("bench: micro-benchmarks", file=sys.stderr)
        results["aqi"] = micro.aqi_benchmarks()
        results["rules"] = micro.rule_benchmark()
    await KafkaBus(args.kafka).ensure_topics()
    if "paced" in wanted:
        rate, seconds = args.rate, args.seconds
        results["paced"] = await with_stack(
            args,
            "paced",
            pipeline_phase(lambda c, u: pipeline.paced(c, u, rate, seconds), args),
        )
        results["paced"]["target_rate"] = rate
    if "light" in wanted:
        light_rate, light_seconds = args.light_rate, args.light_seconds
        results["light"] = await with_stack(
            args,
            "light",
            pipeline_phase(lambda c, u: pipeline.paced(c, u, light_rate, light_seconds), args),
        )
        results["light"]["target_rate"] = light_rate
    if "max" in wanted:
        cycles = args.cycles
        results["max"] = await with_stack(
            args,
            "max",
            pipeline_phase(lambda c, u: pipeline.flat_out(c, u, cycles), args),
        )
    if "relay" in wanted:
        print("bench: bare aiokafka relay", file=sys.stderr)
        results["relay"] = await relay.relay(args.kafka, args.relay_messages)
    if "nationwide" in wanted:
        areas_file = nationwide.write_areas(args.workdir / "nationwide-areas.json")

        async def nation(running: Stack, client: httpx.AsyncClient) -> dict[str, Any]:
            return await nationwide.run(running, client, idle_limit=args.idle_limit)

        results["nationwide"] = await with_stack(
            args, "nationwide", nation, env={"AIRWARN_AREAS_FILE": str(areas_file.resolve())}
        )
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--kafka", default=os.environ.get("AIRWARN_KAFKA_BOOTSTRAP"))
    parser.add_argument("--postgres", default=os.environ.get("AIRWARN_TEST_POSTGRES_URL"))
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    parser.add_argument("--rate", type=float, default=200.0, help="paced feed, forecasts/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="paced feed duration")
    parser.add_argument(
        "--light-rate", type=float, default=4.0, help="a paced feed the pipeline keeps up with"
    )
    parser.add_argument("--light-seconds", type=float, default=30.0)
    parser.add_argument("--cycles", type=int, default=10, help="max-rate cycles of 38 districts")
    parser.add_argument("--relay-messages", type=int, default=50_000)
    parser.add_argument(
        "--drain-limit", type=float, default=180.0, help="most seconds to wait after a feed"
    )
    parser.add_argument(
        "--idle-limit", type=float, default=30.0, help="give up after this long without progress"
    )
    parser.add_argument(
        "--only", action="append", help="micro, relay, paced, light, max, nationwide"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        help="run this service under pyinstrument (report in the workdir)",
    )
    args = parser.parse_args(argv)
    if not args.kafka or not args.postgres:
        parser.error(
            "need --kafka and --postgres (or AIRWARN_KAFKA_BOOTSTRAP and AIRWARN_TEST_POSTGRES_URL)"
        )
    started = time.perf_counter()
    results = asyncio.run(main_async(args))
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M%SZ")
    (args.out / f"{stamp}.json").write_text(json.dumps(results, indent=2) + "\n")
    table = report.markdown(results)
    (args.out / "latest.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
