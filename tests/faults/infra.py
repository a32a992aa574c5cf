"""The broker and the database server the run uses, restarted in place through
deploy/local/kafka.sh and postgres.sh with the environment they were started with.

Only a broker or cluster those scripts started can be restarted: its run dir
(AIRWARN_KAFKA_DIR / AIRWARN_PG_DIR, default <repo>/var/kafka and var/postgres) must
hold a live process listening where AIRWARN_KAFKA_BOOTSTRAP / AIRWARN_TEST_POSTGRES_URL
point. Anything else is skipped, or a failure under AIRWARN_REQUIRE_INFRA=1.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.stack import ROOT

SCRIPTS = ROOT / "deploy" / "local"


def _unusable(message: str) -> None:
    if os.environ.get("AIRWARN_REQUIRE_INFRA") == "1":
        pytest.fail(f"{message} (AIRWARN_REQUIRE_INFRA=1: the restart tests need it)")
    pytest.skip(message)


def _alive(pid: str) -> bool:
    return pid.isdigit() and Path(f"/proc/{pid}").exists()


@dataclass(frozen=True)
class Restartable:
    """A server one of our scripts started, and how to restart it in place."""

    script: Path
    env: dict[str, str]
    what: str

    def restart(self, *, hard: bool) -> float:
        """Restart and wait until it answers again; return the seconds it took."""
        started = time.monotonic()
        done = subprocess.run(
            [str(self.script), "restart", *(["--hard"] if hard else [])],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"{self.script.name} restart failed:\n{done.stderr[-3000:]}")
        return time.monotonic() - started


def broker(bootstrap: str) -> Restartable:
    host, _, port = bootstrap.rpartition(":")
    run_dir = Path(os.environ.get("AIRWARN_KAFKA_DIR") or ROOT / "var" / "kafka")
    props = run_dir / "server.properties"
    pid_file = run_dir / "kafka.pid"
    listener = f"advertised.listeners=PLAINTEXT://{host}:{port}"
    if not props.exists() or listener not in props.read_text().splitlines():
        _unusable(
            f"the broker at {bootstrap} was not started by deploy/local/kafka.sh with run dir "
            f"{run_dir} (set AIRWARN_KAFKA_DIR to the dir it was started with)"
        )
    if not pid_file.exists() or not _alive(pid_file.read_text().strip()):
        _unusable(f"no live broker recorded in {pid_file}")
    env = {**os.environ, "AIRWARN_KAFKA_DIR": str(run_dir), "AIRWARN_KAFKA_PORT": port}
    env.pop("AIRWARN_KAFKA_BOOTSTRAP", None)
    return Restartable(SCRIPTS / "kafka.sh", env, f"Kafka broker {bootstrap} ({run_dir})")


def database_server(url: str) -> Restartable:
    port = str(urlsplit(url).port or 5432)
    run_dir = Path(os.environ.get("AIRWARN_PG_DIR") or ROOT / "var" / "postgres")
    pid_file = run_dir / "data" / "postmaster.pid"
    lines = pid_file.read_text().splitlines() if pid_file.exists() else []
    if len(lines) < 4 or lines[3].strip() != port or not _alive(lines[0].strip()):
        _unusable(
            f"the PostgreSQL server on port {port} was not started by deploy/local/postgres.sh "
            f"with run dir {run_dir} (set AIRWARN_PG_DIR to the dir it was started with)"
        )
    env = {**os.environ, "AIRWARN_PG_DIR": str(run_dir), "AIRWARN_PG_PORT": port}
    env.pop("AIRWARN_TEST_POSTGRES_URL", None)
    return Restartable(SCRIPTS / "postgres.sh", env, f"PostgreSQL :{port} ({run_dir})")
