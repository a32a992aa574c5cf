"""The running system, attacked as a person would: `airwarn up` in its own process on a
loopback port (in-memory bus, SQLite in the test's directory), which a test can kill -9
and start again on the same data.

Everything here stays on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningSystem:
    """One `airwarn up` process; ``start`` again after ``kill`` keeps the port and data."""

    def __init__(self, var_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.var_dir = var_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._extra = dict(env or {})
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path = var_dir.parent / f"{var_dir.name}.log"

    def start(self, timeout: float = 60) -> None:
        env = {
            **os.environ,
            "AIRWARN_VAR_DIR": str(self.var_dir),
            "AIRWARN_OUTBOX_POLL_SECONDS": "0.1",
            "AIRWARN_DELIVERY_EVERY_SECONDS": "0.2",
            "AIRWARN_LOG_LEVEL": "WARNING",
            **self._extra,
        }
        for name in ("AIRWARN_BUS", "AIRWARN_DATABASE_URL", "AIRWARN_TOKENS_FILE"):
            if name not in self._extra:
                env.pop(name, None)
        log = self._log_path.open("ab")
        port = str(self.port)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up", "--host", "127.0.0.1", "--port", port],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                pytest.fail(f"airwarn up exited with {self._process.returncode}: {self.tail()}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"airwarn up was not ready within {timeout} s: {self.tail()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no shutdown hook runs, nothing is flushed."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()
        self._process = None

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def tail(self, chars: int = 3000) -> str:
        if not self._log_path.exists():
            return ""
        return self._log_path.read_text(errors="replace")[-chars:]


@contextlib.contextmanager
def serving(var_dir: Path, env: Mapping[str, str] | None = None) -> Iterator[httpx.Client]:
    """A client of `airwarn up` started on ``var_dir``, stopped afterwards (for fixtures
    that share one system across a module's tests)."""
    system = RunningSystem(var_dir, env)
    system.start()
    try:
        with httpx.Client(base_url=system.base, timeout=30) as client:
            yield client
    finally:
        system.stop()


@pytest.fixture
def running_system(tmp_path: Path) -> Iterator[RunningSystem]:
    """`airwarn up` started and ready; stopped (or already killed) after the test."""
    made = RunningSystem(tmp_path / "var")
    made.start()
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture
def api(running_system: RunningSystem) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=running_system.base, timeout=30) as client:
        yield client
