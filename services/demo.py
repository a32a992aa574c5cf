"""`airwarn up --demo NAME`: the system on the embedded default, fed a scenario through
its own HTTP API at a pace a person can follow."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from services.replay import event_time, parse_scenario, request_for

log = logging.getLogger(__name__)


def where_to_look(base: str) -> str:
    return "\n".join(
        [
            f"airwarn is up on {base}",
            f"  API and its documentation     {base}/docs",
            f"  warnings in force             {base}/alerting/warnings",
            f"  proposals and their approval  {base}/alerting/proposals?status=approved",
            f"  tasks by unit and area        {base}/response/tasks?status=open",
            f"  bulletins                     {base}/notify/bulletins",
            f"  duty faults (4-hour rule)     {base}/forecast/duty",
            f"  health and metrics            {base}/healthz  {base}/metrics",
        ]
    )


async def feed(base: str, scenario: dict[str, Any], *, pace: float) -> None:
    """Post the scenario's events, one moment (all events of one issue time) per ``pace``
    seconds, through the public API."""
    parsed = parse_scenario(json.dumps(scenario))
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for moment, events in itertools.groupby(parsed.events, key=event_time):
            sent = 0
            for event in events:
                path, body, token = request_for(event)
                headers = {"authorization": f"Bearer {token}"}
                response = await client.post(path, json=body, headers=headers)
                if response.status_code >= 400:
                    log.warning(
                        "demo event refused",
                        extra={"status": response.status_code, "detail": response.text[:300]},
                    )
                sent += 1
            print(f"demo: {moment.isoformat()} — {sent} events fed", flush=True)
            await asyncio.sleep(pace)
    print("demo: the scenario is fed; the system keeps running (Ctrl-C to stop)", flush=True)


async def serve_with_demo(
    app: FastAPI, host: str, port: int, scenario: dict[str, Any] | None, pace: float
) -> None:
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    )

    async def demo() -> None:
        while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
            await asyncio.sleep(0.1)
        base = f"http://{host}:{port}"
        print(where_to_look(base), flush=True)
        if scenario is not None:
            await feed(base, scenario, pace=pace)

    await asyncio.gather(server.serve(), demo())
