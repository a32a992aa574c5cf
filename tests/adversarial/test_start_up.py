"""Start-up refuses silent development tokens (issue 12, item 7): `airwarn serve` needs a
tokens file of its own and refuses a broken one before it connects to anything; `airwarn
up` may use the packaged (public) tokens, but says so where an operator looks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.adversarial.conftest import ROOT, RunningSystem


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "AIRWARN_TOKENS_FILE"}
    # a broker nobody listens on: the refusal must come before any connection
    base["AIRWARN_BUS"] = "kafka"
    base["AIRWARN_KAFKA_BOOTSTRAP"] = "127.0.0.1:9"
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "serve", "forecast", "--port", "9"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_without_a_tokens_file_refuses_naming_the_setting() -> None:
    done = _serve({})
    assert done.returncode != 0
    assert "AIRWARN_TOKENS_FILE" in done.stderr
    assert "refusing to start" in done.stderr


def test_serve_with_a_broken_tokens_file_refuses_naming_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "tokens.json"
    broken.write_text('{"tokens": [{"sha256": "not-a-hash", "name": "x", "role": "agency"}]}')
    done = _serve({"AIRWARN_TOKENS_FILE": str(broken)})
    assert done.returncode != 0
    assert str(broken) in done.stderr and "tokens.0.sha256" in done.stderr

    missing = tmp_path / "nowhere.json"
    done = _serve({"AIRWARN_TOKENS_FILE": str(missing)})
    assert done.returncode != 0
    assert str(missing) in done.stderr and "cannot be read" in done.stderr

    broken.write_text("{not json")
    done = _serve({"AIRWARN_TOKENS_FILE": str(broken)})
    assert done.returncode != 0
    assert "Invalid JSON" in done.stderr


def test_up_says_loudly_that_it_uses_the_public_development_tokens(tmp_path: Path) -> None:
    system = RunningSystem(tmp_path / "var")
    system.start()
    try:
        log = system.tail(20_000)
    finally:
        system.stop()
    assert "DEVELOPMENT TOKENS" in log and "PUBLIC" in log, log
    assert "AIRWARN_TOKENS_FILE" in log and "dev-office-duty" in log
    # both the WARNING log record and the plain stderr line
    assert log.count("NO TOKENS FILE") >= 2, log
