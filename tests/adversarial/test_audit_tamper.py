"""The audit log attacked by someone who can write the database but not read the key file
(issue 12 item 8): the running system takes a warning through (an orange forecast, its
approval, the tasks it assigns), is stopped, and then its SQLite files are edited with
sqlite3 as an attacker would. `airwarn audit verify`, a separate process on the same
var dir, must name what was done: a forged row re-hashed the old, unkeyed way; a state
table changed behind the log's back; the newest rows cut off below the anchored head.
A rotated key leaves the chain verifying, each row with its own key."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.stack import TEST_TOKENS
from shared.db.audit import entry_hash
from tests.adversarial.conftest import ROOT, RunningSystem
from tests.e2e.support import FORECASTER, ORANGE_PM25, an_hour_ago, bearer, daily_forecast

AREA = "500112"


def _until(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout} s")
        time.sleep(0.2)
    return found


def _drive(api: httpx.Client, area: str) -> None:
    """An orange forecast for ``area``, approved by its district HQ, its tasks assigned."""
    posted = api.post(
        "/forecast/forecasts",
        json=daily_forecast(area, an_hour_ago(), ORANGE_PM25),
        headers=FORECASTER,
    )
    assert posted.status_code == 201, posted.text
    proposals = _until(
        lambda: api.get("/alerting/proposals", params={"area": area}).json(), "proposal"
    )
    approved = api.post(
        f"/alerting/proposals/{proposals[0]['proposal_id']}/approve",
        json={"reason": "forecast confirmed"},
        headers=bearer(f"dev-district-{area}"),
    )
    assert approved.status_code == 200, approved.text
    _until(
        lambda: api.get("/response/tasks", params={"area": area, "status": "open"}).json(),
        "tasks",
    )


@pytest.fixture(scope="module")
def warned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var dir after a warning went through, the system stopped (its last head anchored)."""
    system = RunningSystem(tmp_path_factory.mktemp("warned") / "var")
    system.start()
    try:
        assert "generated a development audit key file" in system.tail()
        with httpx.Client(base_url=system.base, timeout=30) as api:
            _drive(api, AREA)
    finally:
        system.stop()
    return system.var_dir


@pytest.fixture
def var_dir(warned: Path, tmp_path: Path) -> Path:
    """This test's own copy of the warned system's data, keys and anchors."""
    copy = tmp_path / "var"
    shutil.copytree(warned, copy)
    return copy


def _env(var_dir: Path) -> dict[str, str]:
    env = {**os.environ, "AIRWARN_VAR_DIR": str(var_dir)}
    for name in ("AIRWARN_DATABASE_URL", "AIRWARN_AUDIT_KEYS_FILE", "AIRWARN_AUDIT_ANCHOR_DIR"):
        env.pop(name, None)
    return env


def airwarn(var_dir: Path, *args: str, **env: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=ROOT,
        env={**_env(var_dir), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def sql(var_dir: Path, service: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(var_dir / f"{service}.db") as connection:
        return connection.execute(statement, params).fetchall()


def test_the_untouched_system_verifies(var_dir: Path) -> None:
    code, out = airwarn(var_dir, "audit", "verify")
    assert code == 0, out
    for service in ("forecast", "alerting", "response", "notify"):
        assert f"{service}: matches its anchors" in out, out
    for service in ("alerting", "response", "notify"):
        assert f"{service}: state matches the log" in out, out


def _rehash_from(var_dir: Path, seq: int, *, unkeyed: bool = False) -> None:
    """What an attacker who knows the old scheme does after an edit: recompute every hash
    from ``seq`` on with plain SHA-256 (and, with ``unkeyed``, pass the rows off as
    written before the key)."""
    columns = [c[1] for c in sql(var_dir, "alerting", "PRAGMA table_info(alerting_audit_log)")]
    rows = [
        dict(zip(columns, row, strict=True))
        for row in sql(var_dir, "alerting", "SELECT * FROM alerting_audit_log ORDER BY seq")
    ]
    prev = next((r["hash"] for r in rows if r["seq"] == seq - 1), "0" * 64)
    for row in rows:
        if row["seq"] < seq:
            continue
        parsed = {
            **row,
            "at": dt.datetime.fromisoformat(row["at"]).replace(tzinfo=dt.UTC)
            if "+" not in row["at"]
            else dt.datetime.fromisoformat(row["at"]),
            "before": json.loads(row["before"]) if row["before"] else None,
            "after": json.loads(row["after"]) if row["after"] else None,
            "prev_hash": prev,
        }
        prev = entry_hash(parsed)
        key_id = None if unkeyed else row["key_id"]
        sql(
            var_dir,
            "alerting",
            "UPDATE alerting_audit_log SET prev_hash = ?, hash = ?, key_id = ? WHERE seq = ?",
            parsed["prev_hash"],
            prev,
            key_id,
            row["seq"],
        )


def _approval_seq(var_dir: Path) -> int:
    ((seq,),) = sql(
        var_dir,
        "alerting",
        "SELECT seq FROM alerting_audit_log WHERE entity = 'proposal' AND action = 'approved'",
    )
    return int(seq)


def test_a_forged_actor_rehashed_the_old_way_is_named_by_its_seq(var_dir: Path) -> None:
    seq = _approval_seq(var_dir)
    sql(
        var_dir,
        "alerting",
        "UPDATE alerting_audit_log SET actor = 'hq-commander:someone else' WHERE seq = ?",
        seq,
    )
    _rehash_from(var_dir, seq)
    code, out = airwarn(var_dir, "audit", "verify")
    assert code == 1, out
    assert f"alerting: chain broken at seq {seq}: MAC mismatch" in out, out


def test_a_chain_passed_off_as_unkeyed_is_caught_by_its_anchor(var_dir: Path) -> None:
    """Every row re-hashed as if written before the key: the chain is a valid unkeyed
    chain now, but not the one that was anchored."""
    seq = _approval_seq(var_dir)
    sql(
        var_dir,
        "alerting",
        "UPDATE alerting_audit_log SET actor = 'hq-commander:someone else' WHERE seq = ?",
        seq,
    )
    _rehash_from(var_dir, 1, unkeyed=True)
    code, out = airwarn(var_dir, "audit", "verify")
    assert code == 1, out
    assert "alerting: rewritten: seq " in out, out


def test_state_changed_behind_the_logs_back_is_named(var_dir: Path) -> None:
    sql(var_dir, "alerting", "UPDATE alerting_warnings SET level = 'red' WHERE area = ?", AREA)
    ((task_id,),) = sql(
        var_dir, "response", "SELECT task_id FROM response_tasks ORDER BY task_id LIMIT 1"
    )
    sql(var_dir, "response", "UPDATE response_tasks SET status = 'done' WHERE task_id = ?", task_id)
    # a warning in force for an area nothing ever warned
    sql(
        var_dir,
        "alerting",
        "INSERT INTO alerting_warnings SELECT '500103', warning_id, level, episode_id, "
        "episode_start, episode_end, pollutant FROM alerting_warnings WHERE area = ?",
        AREA,
    )
    code, out = airwarn(var_dir, "audit", "verify")
    assert code == 1, out
    assert f"alerting: state differs from the log: warning '{AREA}' level: " in out, out
    assert "warning '500103' *: no audit entry explains this row" in out, out
    assert f"response: state differs from the log: task '{task_id}' status: " in out, out
    assert "alerting: 0 entries" not in out and "chain intact" in out, out


def test_a_cut_off_tail_is_reported_against_the_anchor(var_dir: Path) -> None:
    ((head,),) = sql(var_dir, "response", "SELECT max(seq) FROM response_audit_log")
    sql(var_dir, "response", "DELETE FROM response_audit_log WHERE seq > ?", head - 2)
    code, out = airwarn(var_dir, "audit", "verify", "--service", "response")
    assert code == 1, out
    assert "response: truncated: the anchor of " in out, out
    assert f"has the head at seq {head}, the chain ends at seq {head - 2}" in out, out


def test_a_rotated_key_seals_new_entries_and_old_ones_still_verify(var_dir: Path) -> None:
    keys_file = var_dir / "audit-keys.json"
    old = json.loads(keys_file.read_text())["current"]
    code, out = airwarn(var_dir, "audit", "rotate-key")
    assert code == 0, out
    new = json.loads(keys_file.read_text())["current"]
    assert new != old and set(json.loads(keys_file.read_text())["keys"]) == {old, new}

    system = RunningSystem(var_dir)
    system.start()
    try:
        with httpx.Client(base_url=system.base, timeout=30) as api:
            _drive(api, "500103")
    finally:
        system.stop()
    code, out = airwarn(var_dir, "audit", "verify")
    assert code == 0, out
    used = sql(var_dir, "alerting", "SELECT DISTINCT key_id FROM alerting_audit_log")
    assert {k for (k,) in used} == {old, new}

    # without the old key, its entries cannot be checked: said, not passed over
    ring = json.loads(keys_file.read_text())
    del ring["keys"][old]
    keys_file.write_text(json.dumps(ring))
    code, out = airwarn(var_dir, "audit", "verify", "--service", "alerting")
    assert code == 1, out
    assert f"alerting: chain broken at seq 1: key id '{old}' is not in the key file" in out, out


def test_serve_refuses_to_start_without_a_key_file(tmp_path: Path) -> None:
    # with a valid tokens file, so that the audit key is what it lacks
    code, out = airwarn(tmp_path, "serve", "forecast", AIRWARN_TOKENS_FILE=str(TEST_TOKENS))
    assert code == 2, out
    assert "refusing to start without the audit key file" in out, out
