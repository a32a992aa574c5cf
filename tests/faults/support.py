"""How a fault test runs: feed a stream, strike, then judge against the clean replay.

A fault test hands :func:`run_fault` a coroutine that strikes mid-stream and returns
when the fault is over (the service restarted, the broker back...). The judge then
waits, polling with generous timeouts, until the stack's outcome equals the embedded
replay's, and again until the stack is quiescent — every consumer group caught up,
every outbox empty, every delivery settled — and checks that nothing changed since:
nothing missing, nothing twice.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx
import pytest

from shared.db import audit_keys
from shared.db.audit import verify
from tests.conftest import eventually
from tests.faults.infra import Restartable
from tests.faults.scenario import OFFICE, STREAMS, Feeder, Outcome, collect, replay_embedded
from tests.faults.sink import WebhookSink
from tests.stack import Stack, audit_key_file, consumer_lag

#: one line per fault, printed in the terminal summary (and copied into docs/faults.md)
measured: list[str] = []

Strike = Callable[[Feeder], Awaitable[None]]


@dataclass
class FaultStack:
    stack: Stack
    bootstrap: str
    postgres_url: str
    groups: Mapping[str, list[str]]
    sink: WebhookSink
    database_template: str

    @property
    def urls(self) -> dict[str, str]:
        return self.stack.urls


@dataclass(frozen=True)
class Verdict:
    expected: Outcome
    final: Outcome
    recovery: float
    quiet: float
    receipts: int
    subscription: str


async def subscribe_webhook(client: httpx.AsyncClient, fs: FaultStack, name: str) -> str:
    """A webhook subscriber for the stream's districts, at its own path of the sink;
    returns the subscription's id."""
    response = await client.post(
        f"{fs.urls['notify']}/notify/subscriptions",
        headers=OFFICE,
        json={
            "name": f"fault suite {name}",
            "channel": "webhook",
            "address": fs.sink.url(name),
            "areas": list(STREAMS[name].areas),
            "secret": "whsec_" + "ZmF1bHQtc3VpdGUtc2lnbmluZy1rZXktMzItYnl0ZXMh",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["subscription_id"])


async def run_fault(
    client: httpx.AsyncClient,
    fs: FaultStack,
    name: str,
    strike: Strike,
    *,
    exactly_once_posts: bool = True,
) -> Verdict:
    """Feed the stream ``name``, let ``strike`` do its worst mid-stream, and judge.

    ``exactly_once_posts``: every bulletin reached the webhook in one POST. Off where
    the fault can fall between a POST and its record (notify killed): then a bulletin
    may come twice, but always with the same Idempotency-Key, which is what the
    receiver dedupes by."""
    stream = STREAMS[name]
    expected_task = asyncio.create_task(replay_embedded(stream))
    subscription = await subscribe_webhook(client, fs, name)
    feeder = Feeder(client, fs.urls["forecast"], stream)
    feeder.start()
    try:
        await strike(feeder)
        over = time.monotonic()
        await feeder.finish()
        expected = await expected_task
    finally:
        for task in (feeder.task, expected_task):
            if task is not None and not task.done():
                task.cancel()
    assert expected.duplicates() == [], "the clean replay itself made something twice"
    latest = Outcome()

    async def caught_up() -> bool:
        nonlocal latest
        latest = await collect(client, fs.urls, stream.areas)
        return latest.matches(expected)

    try:
        await eventually(caught_up, timeout=180, what=f"{name}: the clean replay's outcome")
    except pytest.fail.Exception:
        pytest.fail(f"{name}: never matched the clean replay\n{latest.difference(expected)}")
    recovery = time.monotonic() - over
    await quiescent(client, fs, name)
    quiet = time.monotonic() - over
    final = await collect(client, fs.urls, stream.areas)
    assert final.matches(expected), f"{name}: changed once quiescent\n{final.difference(expected)}"
    assert final.duplicates() == [], f"{name}: twice: {final.duplicates()}"
    await check_delivery_log(client, fs, final, subscription)
    receipts = check_webhook(fs, name, final, exactly_once_posts=exactly_once_posts)
    await check_audit_chains(fs)
    return Verdict(expected, final, recovery, quiet, receipts, subscription)


async def restart_mid_stream(
    client: httpx.AsyncClient, fs: FaultStack, name: str, server: Restartable
) -> None:
    """Feed the stream ``name`` and hard-restart ``server`` a third of the way through,
    then judge and report how long the server took to answer again."""
    took = 0.0

    async def strike(feeder: Feeder) -> None:
        nonlocal took
        await feeder.reached(feeder.total // 3)
        # In a thread: the stream goes on arriving while the server is down.
        took = await asyncio.to_thread(server.restart, hard=True)
        await fs.stack.wait_ready(client, timeout=120)

    verdict = await run_fault(client, fs, name, strike)
    report(
        name,
        f"{server.script.name} restart --hard after a third of the stream, "
        f"{took:.1f} s until it answered",
        verdict,
    )


async def quiescent(client: httpx.AsyncClient, fs: FaultStack, name: str) -> None:
    """No lag in any consumer group, no outbox backlog, no delivery of the stream's
    bulletins still pending — twice in a row, half a second apart."""
    calm = 0
    reason = ""

    async def settled() -> bool:
        nonlocal calm, reason
        lag = await consumer_lag(fs.bootstrap, fs.groups)
        backlog = {s: await outbox_backlog(client, url, s) for s, url in fs.urls.items()}
        pending = await pending_deliveries(client, fs, name)
        busy = {g: n for g, n in lag.items() if n} or {s: n for s, n in backlog.items() if n}
        reason = f"lag/backlog {busy}, pending deliveries {pending}"
        calm = calm + 1 if not busy and not pending else 0
        if calm < 2:
            await asyncio.sleep(0.5)
        return calm >= 2

    try:
        await eventually(settled, timeout=120, what=f"{name}: quiescence")
    except pytest.fail.Exception:
        pytest.fail(f"{name}: never quiescent: {reason}")


BACKLOG = re.compile(r'^airwarn_outbox_backlog\{service="(\w+)"\} ([0-9.e+]+)$', re.M)


async def outbox_backlog(client: httpx.AsyncClient, url: str, service: str) -> int:
    text = (await client.get(f"{url}/metrics")).text
    found = {s: float(n) for s, n in BACKLOG.findall(text)}
    if service not in found:
        raise AssertionError(f"{service} /metrics has no airwarn_outbox_backlog for it")
    return int(found[service])


async def pending_deliveries(client: httpx.AsyncClient, fs: FaultStack, name: str) -> int:
    outcome = await collect(client, fs.urls, STREAMS[name].areas)
    pending = 0
    for bulletin_id in outcome.bulletin_ids:
        log = await client.get(
            f"{fs.urls['notify']}/notify/bulletins/{bulletin_id}/deliveries", headers=OFFICE
        )
        log.raise_for_status()
        pending += sum(1 for d in log.json() if d["status"] == "pending")
    return pending


async def check_delivery_log(
    client: httpx.AsyncClient, fs: FaultStack, final: Outcome, subscription: str
) -> None:
    """Notify's own record: one delivery per bulletin to the subscriber, delivered."""
    for bulletin_id in final.bulletin_ids:
        log = await client.get(
            f"{fs.urls['notify']}/notify/bulletins/{bulletin_id}/deliveries", headers=OFFICE
        )
        ours = [d for d in log.json() if d["subscription_id"] == subscription]
        assert [d["status"] for d in ours] == ["delivered"], (
            f"bulletin {bulletin_id} {final.bulletin_ids[bulletin_id]}: deliveries {ours}"
        )


def check_webhook(fs: FaultStack, name: str, final: Outcome, *, exactly_once_posts: bool) -> int:
    """Every bulletin of the stream reached the subscriber, under one idempotency key;
    with ``exactly_once_posts`` in exactly one POST. Returns the POSTs counted."""
    posts = fs.sink.per_bulletin(name)
    keys = fs.sink.keys_per_bulletin(name)
    assert set(posts) == set(final.bulletin_ids), (
        f"{name}: webhook got {sorted(posts)}, bulletins are {sorted(final.bulletin_ids)}"
    )
    assert all(len(k) == 1 for k in keys.values()), f"{name}: a bulletin under two keys: {keys}"
    if exactly_once_posts:
        twice = {b: n for b, n in posts.items() if n > 1}
        assert not twice, f"{name}: POSTed more than once: {twice}"
    return sum(posts.values())


async def check_audit_chains(fs: FaultStack) -> None:
    """Every service's audit log is still one unbroken hash chain."""
    for service in fs.urls:
        keys = audit_keys.load(audit_key_file())
        chain = await verify(fs.database_template.format(service=service), service, keys)
        assert chain.broken is None, chain.line()


def report(name: str, fault: str, verdict: Verdict, extra: str = "") -> None:
    measured.append(
        f"{name}: {fault}; {verdict.final.size()} as the clean replay, none twice; "
        f"matched {verdict.recovery:.1f} s and quiescent {verdict.quiet:.1f} s after the "
        f"fault ended; audit chains intact; {verdict.receipts} webhook POSTs{'; ' + extra if extra else ''}"
    )
