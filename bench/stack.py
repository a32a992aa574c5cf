"""The four services as separate `airwarn serve` processes on a real Kafka broker, each with
its own PostgreSQL database, started and stopped by the benchmark.

:class:`ServiceProcess` and :class:`ServiceGroup` are the one implementation of running
the services as processes; the end-to-end and fault suites (``tests/stack.py``) use them
too, so bench imports nothing from the tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.bus.topics import ensure_topics
from shared.db import audit_keys
from shared.settings import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[1]
#: the packaged development tokens, named explicitly (as `airwarn serve` needs a file)
TEST_TOKENS = ROOT / "shared" / "auth" / "dev_tokens.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def admin_sql(url: str, *statements: str) -> None:
    """Run statements outside a transaction (CREATE/DROP DATABASE need that)."""
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


class ServiceProcess:
    """One ``airwarn serve`` process; its port and log survive restarts. With ``profile``
    it runs under pyinstrument, which writes its report there on exit."""

    def __init__(
        self, name: str, env: Mapping[str, str], log_dir: Path, profile: Path | None = None
    ) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        self.profile = profile
        self._env = dict(env)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.alive():
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        command = ["-m", "services.cli", "serve", self.name, "--port", str(self.port)]
        if self.profile is not None:
            report = ["-r", "text", "--no-color", "-o", str(self.profile)]
            command = ["-m", "pyinstrument", *report, *command]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, *command],
                cwd=ROOT,
                env=self._env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, nothing in hand is committed."""
        if self.process is not None and self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def terminate(self) -> None:
        """Signal once (a second SIGTERM would make uvicorn skip the graceful shutdown)."""
        if self.process is not None and self.alive():
            # uvicorn re-raises SIGTERM once it has shut down, which kills pyinstrument
            # before it writes its report; SIGINT ends both cleanly.
            self.process.send_signal(signal.SIGINT if self.profile else signal.SIGTERM)

    def wait_stopped(self, timeout: float = 30) -> bool:
        """Wait for the process to end; False when it had to be killed."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return False
        return True

    async def ready(self, client: httpx.AsyncClient) -> bool:
        """Whether ``/readyz`` answers 200; an error with the log's tail if it exited."""
        if not self.alive():
            raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
        try:
            return (await client.get(f"{self.url}/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class ServiceGroup:
    """The named services as processes sharing one environment; those in ``profile``
    run under pyinstrument (report ``<name>.profile.txt`` beside the logs)."""

    def __init__(
        self,
        env: Mapping[str, str],
        log_dir: Path,
        names: Sequence[str] = SERVICE_NAMES,
        profile: frozenset[str] = frozenset(),
    ) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.services = {
            name: ServiceProcess(
                name, env, log_dir, log_dir / f"{name}.profile.txt" if name in profile else None
            )
            for name in names
        }

    @property
    def urls(self) -> dict[str, str]:
        return {name: service.url for name, service in self.services.items()}

    def start(self) -> None:
        for service in self.services.values():
            service.start()

    def stop(self) -> list[str]:
        """Stop every service at once; return the names of those that had to be killed."""
        for service in self.services.values():
            service.terminate()
        return [name for name, service in self.services.items() if not service.wait_stopped()]

    async def wait_ready(
        self,
        client: httpx.AsyncClient,
        names: Sequence[str] | None = None,
        timeout: float = 90,  # noqa: ASYNC109 - on failure we name the service and its log
    ) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        for name in names or list(self.services):
            while not await self.services[name].ready(client):
                if asyncio.get_running_loop().time() > deadline:
                    tail = self.services[name].tail()
                    raise RuntimeError(f"{name} not ready after {timeout}s:\n{tail}")
                await asyncio.sleep(0.1)


@dataclass
class Stack:
    """Four running services with a database each; ``database_url`` has a ``{service}``
    placeholder."""

    kafka: str
    postgres: str
    database_url: str
    group: ServiceGroup
    databases: list[str] = field(default_factory=list)

    @property
    def urls(self) -> dict[str, str]:
        return self.group.urls

    def url_of(self, service: str) -> str:
        return self.database_url.format(service=service)


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
    await ensure_topics(kafka, int((env or {}).get("AIRWARN_KAFKA_PARTITIONS", "6")))
    prefix = f"airwarn_bench_{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}_{service}" for service in SERVICE_NAMES]
    await admin_sql(postgres, *(f'CREATE DATABASE "{name}"' for name in names))
    database_url = postgres.rsplit("/", 1)[0] + f"/{prefix}_{{service}}"
    # `airwarn serve` needs an audit key file (shared.db.audit_keys): one for this run
    keys_file = workdir / "audit-keys.json"
    audit_keys.write(keys_file, audit_keys.KeyRing.generate(), replace=False)
    environment = {
        **os.environ,
        "AIRWARN_BUS": "kafka",
        "AIRWARN_KAFKA_BOOTSTRAP": kafka,
        "AIRWARN_DATABASE_URL": database_url,
        "AIRWARN_ALERTING_AUTO_APPROVE": "true",
        "AIRWARN_LOG_LEVEL": "WARNING",
        "AIRWARN_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",  # the bench's local sink
        "AIRWARN_AUDIT_KEYS_FILE": str(keys_file),
        # `airwarn serve` refuses to start without a tokens file: the packaged one is valid
        "AIRWARN_TOKENS_FILE": str(TEST_TOKENS),
        "AIRWARN_AUDIT_ANCHOR_DIR": str(workdir / "audit-anchors"),
        **(env or {}),
    }
    stack = Stack(
        kafka=kafka,
        postgres=postgres,
        database_url=database_url,
        group=ServiceGroup(environment, workdir, profile=profile),
        databases=names,
    )
    try:
        stack.group.start()
        async with httpx.AsyncClient(timeout=5) as client:
            await stack.group.wait_ready(client, timeout=ready_within)
    except BaseException:
        await stop(stack)
        raise
    return stack


def peak_memory(stack: Stack) -> dict[str, float]:
    """Peak RSS of each service process so far, in MiB."""
    return {
        name: round(peak_rss_kib(service.process.pid) / 1024, 1)
        for name, service in stack.group.services.items()
        if service.process is not None and service.alive()
    }


async def stop(stack: Stack) -> None:
    """Stop every service (kill after 30 s), then drop its database."""
    await asyncio.to_thread(stack.group.stop)
    if stack.databases:
        await admin_sql(
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
    for service, running in stack.group.services.items():
        if running.process is None:
            continue
        fields = Path(f"/proc/{running.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        used[service] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used
