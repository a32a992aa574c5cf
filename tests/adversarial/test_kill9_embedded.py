"""kill -9 after a batch was accepted: the embedded default keeps what it accepted.

A batch of 38 orange forecasts (one per district) is accepted with a 201; the process is
killed at once, or a little later, and started again on the same data. Every district
must then get its proposal — and, with auto-approve, its warning, its response tasks and
its bulletin — each exactly once (issue 12 item 4; the design: shared.bus.sqlite_log).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from shared.areas import DISTRICTS
from tests.adversarial.conftest import RunningSystem
from tests.e2e.support import FORECASTER, ORANGE_PM25, an_hour_ago, bearer, daily_forecast

HQ = bearer("dev-hq-commander")


def _batch() -> dict[str, object]:
    issued = an_hour_ago()
    return {"forecasts": [daily_forecast(code, issued, ORANGE_PM25) for code in DISTRICTS]}


def _wait_for(check: Callable[[], bool], what: str, system: RunningSystem, seconds: float = 120):
    # A bound so that a broken build fails instead of hanging; no timing is asserted.
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}\n{system.tail()}")
        time.sleep(0.2)


def _per_district(rows: list[dict[str, object]]) -> Counter[str]:
    return Counter(str(row["area"]) for row in rows if row["area"] in DISTRICTS)


def _accept_then_kill(system: RunningSystem, after: float) -> None:
    with httpx.Client(base_url=system.base, timeout=60) as api:
        sent = api.post("/forecast/forecasts/batch", json=_batch(), headers=FORECASTER)
        assert sent.status_code == 201, sent.text
        time.sleep(after)
    system.kill()
    system.start()


def _proposals(api: httpx.Client, status: str | None = None) -> list[dict[str, object]]:
    params = {"status": status} if status else {}
    got = api.get("/alerting/proposals", params=params, headers=HQ)
    assert got.status_code == 200, got.text
    return list(got.json())


@pytest.mark.parametrize("after", [0.5])
def test_every_district_gets_its_proposal_after_a_kill_9(tmp_path: Path, after: float) -> None:
    system = RunningSystem(tmp_path / "var")
    system.start()
    try:
        _accept_then_kill(system, after)
        with httpx.Client(base_url=system.base, timeout=30) as api:
            _wait_for(
                lambda: len(_per_district(_proposals(api, "pending"))) == len(DISTRICTS),
                "a proposal for each of the 38 districts",
                system,
            )
            per_district = _per_district(_proposals(api, "pending"))
            assert set(per_district) == set(DISTRICTS)
            assert max(per_district.values()) == 1, per_district
            again = api.post("/forecast/forecasts/batch", json=_batch(), headers=FORECASTER)
            assert again.status_code in (200, 201), again.text
    finally:
        system.stop()


@pytest.mark.parametrize("after", [0.05, 1.0])
def test_the_whole_chain_completes_once_whenever_it_is_killed(tmp_path: Path, after: float) -> None:
    system = RunningSystem(tmp_path / "var", env={"AIRWARN_ALERTING_AUTO_APPROVE": "1"})
    system.start()
    try:
        _accept_then_kill(system, after)
        with httpx.Client(base_url=system.base, timeout=30) as api:

            def bulletins() -> list[dict[str, object]]:
                return list(api.get("/notify/bulletins", params={"limit": 500}).json())

            def warnings() -> list[dict[str, object]]:
                return list(api.get("/alerting/warnings", headers=HQ).json())

            def tasks() -> list[dict[str, object]]:
                return list(api.get("/response/tasks", headers=HQ).json())

            _wait_for(
                lambda: len(_per_district(bulletins())) == len(DISTRICTS),
                "a bulletin for each district",
                system,
            )
            _wait_for(
                lambda: len(_per_district(tasks())) == len(DISTRICTS),
                "response tasks for each district",
                system,
            )
            assert set(_per_district(warnings())) == set(DISTRICTS)
            assert max(_per_district(warnings()).values()) == 1
            # A district may see more than one warning action (the regions' rules can
            # change it again), but no action is announced twice.
            actions = Counter((b["warning_id"], b["msg_type"], b["level"]) for b in bulletins())
            assert max(actions.values()) == 1, [k for k, n in actions.items() if n > 1][:5]
            # one task set per warning: no (warning, unit, measure) twice
            keys = Counter((t["warning_id"], t["unit"], t["measure_id"]) for t in tasks())
            assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1][:5]
    finally:
        system.stop()
