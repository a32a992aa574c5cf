"""The four services as separate `airwarn serve` processes on a real Kafka broker, each with
its own PostgreSQL database, started and stopped by the benchmark."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def admin(url: str, *statements: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident set (VmHWM), in KiB; read before it exits."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for process {pid}")


@dataclass
class Stack:
    """Four running services; ``database_url`` has a ``{service}`` placeholder."""

    kafka: str
    postgres: str
    database_url: str
    workdir: Path
    urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    databases: list[str] = field(default_factory=list)

    def url_of(self, service: str) -> str:
        return self.database_url.format(service=service)

    def log(self, service: str) -> Path:
        return self.workdir / f"{service}.log"

    def tail(self, service: str, size: int = 3000) -> str:
        return self.log(service).read_text(errors="replace")[-size:]


async def start(
    kafka: str,
    postgres: str,
    workdir: Path,
    *,
    env: dict[str, str] | None = None,
    ready_within: float = 120.0,
    profile: frozenset[str] = frozenset(),
) -> Stack:
    """Fresh databases, four `airwarn serve` processes, and wait until each is ready."""
    prefix = f"airwarn_bench_{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}_{service}" for service in SERVICE_NAMES]
    await admin(postgres, *(f'CREATE DATABASE "{name}"' for name in names))
    stack = Stack(
        kafka=kafka,
        postgres=postgres,
        database_url=postgres.rsplit("/", 1)[0] + f"/{prefix}_{{service}}",
        workdir=workdir,
        databases=names,
    )
    try:
        _spawn(stack, env or {}, profile)
        await _wait_ready(stack, ready_within)
    except BaseException:
        await stop(stack)
        raise
    return stack


def _spawn(stack: Stack, env: dict[str, str], profile: frozenset[str]) -> None:
    stack.workdir.mkdir(parents=True, exist_ok=True)
    environment = {
        **os.environ,
        "AIRWARN_BUS": "kafka",
        "AIRWARN_KAFKA_BOOTSTRAP": stack.kafka,
        "AIRWARN_DATABASE_URL": stack.database_url,
        "AIRWARN_ALERTING_AUTO_APPROVE": "true",
        "AIRWARN_LOG_LEVEL": "WARNING",
        **env,
    }
    for service in SERVICE_NAMES:
        port = free_port()
        command = ["-m", "services.cli", "serve", service, "--port", str(port)]
        if service in profile:
            # pyinstrument samples the event loop's thread and writes its report on exit
            report = stack.workdir / f"{service}.profile.txt"
            command = [
                "-m",
                "pyinstrument",
                "-r",
                "text",
                "--no-color",
                "-o",
                str(report),
                *command,
            ]
        stack.processes[service] = subprocess.Popen(
            [sys.executable, *command],
            cwd=ROOT,
            env=environment,
            stdout=stack.log(service).open("wb"),
            stderr=subprocess.STDOUT,
        )
        stack.urls[service] = f"http://127.0.0.1:{port}"


async def _wait_ready(stack: Stack, within: float) -> None:
    deadline = asyncio.get_running_loop().time() + within
    async with httpx.AsyncClient(timeout=5) as client:
        for service, url in stack.urls.items():
            while True:
                if stack.processes[service].poll() is not None:
                    raise RuntimeError(f"{service} exited: {stack.tail(service)}")
                try:
                    if (await client.get(f"{url}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(
                        f"{service} not ready after {within}s: {stack.tail(service)}"
                    )
                await asyncio.sleep(0.2)


def peak_memory(stack: Stack) -> dict[str, float]:
    """Peak RSS of each service process so far, in MiB."""
    return {
        service: round(peak_rss_kib(process.pid) / 1024, 1)
        for service, process in stack.processes.items()
        if process.poll() is None
    }


async def stop(stack: Stack) -> None:
    """SIGTERM every service, wait for it (kill after 30 s), then drop its database."""
    for service, process in stack.processes.items():
        if process.poll() is None:
            # uvicorn re-raises SIGTERM once it has shut down, which kills pyinstrument
            # before it writes its report; SIGINT ends both cleanly.
            profiled = (stack.workdir / f"{service}.profile.txt").exists()
            process.send_signal(signal.SIGINT if profiled else signal.SIGTERM)
    for process in stack.processes.values():
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
    if stack.databases:
        await admin(
            stack.postgres,
            *(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in stack.databases),
        )


async def backlog(stack: Stack) -> dict[str, int]:
    """Work each service still has in hand: outbox rows not yet on the bus, and notify's
    deliveries not yet made."""
    found: dict[str, int] = {}
    for service in SERVICE_NAMES:
        engine = create_async_engine(stack.url_of(service))
        try:
            async with engine.connect() as connection:
                found[f"{service}_outbox"] = int(
                    await connection.scalar(
                        text(f"SELECT count(*) FROM {service}_outbox WHERE published_at IS NULL")
                    )
                    or 0
                )
                if service == "notify":
                    found["notify_deliveries"] = int(
                        await connection.scalar(
                            text("SELECT count(*) FROM notify_deliveries WHERE status = 'pending'")
                        )
                        or 0
                    )
        finally:
            await engine.dispose()
    return found


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU time (user + system) each service process has used so far: unlike wall time,
    it does not grow when other work on the machine takes the cores."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for service, process in stack.processes.items():
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        used[service] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used
