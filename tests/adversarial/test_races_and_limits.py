"""Races and odd input against the running system (issue 12 item 5): no 5xx, no lost update."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from tests.adversarial.conftest import RunningSystem
from tests.e2e.support import FORECASTER, ORANGE_PM25, an_hour_ago, bearer, daily_forecast

HQ = bearer("dev-hq-commander")


def parallel(calls: int, call: Any) -> list[httpx.Response]:
    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(lambda _: call(), range(calls)))


def test_twelve_parallel_resends_of_one_forecast_create_it_once(
    running_system: RunningSystem,
) -> None:
    body = daily_forecast("500103", an_hour_ago(), ORANGE_PM25)
    with httpx.Client(base_url=running_system.base, timeout=60) as client:
        answers = parallel(
            12, lambda: client.post("/forecast/forecasts", json=body, headers=FORECASTER)
        )
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200] * 11 + [201], [a.text for a in answers]
        assert len({a.json()["forecast_id"] for a in answers}) == 1
        assert [a.json()["created"] for a in answers].count(True) == 1
        again = client.post("/forecast/forecasts", json=body, headers=FORECASTER)
        loser = next(a for a in answers if a.status_code == 200)
        assert (again.status_code, again.json()) == (200, loser.json())


def test_a_nested_json_bomb_is_refused_unauthenticated_and_the_server_lives(
    running_system: RunningSystem,
) -> None:
    bomb = b"[" * 100_000 + b'"\\u0000"' + b"]" * 100_000
    with httpx.Client(base_url=running_system.base, timeout=60) as client:
        for path in ("/forecast/forecasts", "/response/tasks/x/complete", "/notify/subscriptions"):
            answer = client.post(path, content=bomb, headers={"content-type": "application/json"})
            assert answer.status_code == 422, answer.text
            assert "64 levels" in answer.json()["detail"]
        assert client.get("/healthz").status_code == 200


def _a_task(client: httpx.Client) -> dict[str, Any]:
    body = daily_forecast("500103", an_hour_ago(), ORANGE_PM25)
    assert client.post("/forecast/forecasts", json=body, headers=FORECASTER).status_code == 201
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = client.get("/response/tasks", params={"area": "500103"}).json()
        measures = [t for t in found if t["kind"] != "report"]
        if measures:
            return dict(measures[0])
        time.sleep(0.2)
    raise AssertionError("no task assigned within 60 s")


def test_parallel_completions_with_one_etag_one_wins_the_rest_412(tmp_path: Path) -> None:
    system = RunningSystem(tmp_path / "var", env={"AIRWARN_ALERTING_AUTO_APPROVE": "true"})
    system.start()
    try:
        with httpx.Client(base_url=system.base, timeout=60) as client:
            task = _a_task(client)
            read = client.get(f"/response/tasks/{task['task_id']}")
            etag = read.headers["etag"]
            assert etag == f'"{read.json()["version"]}"'
            url = f"/response/tasks/{task['task_id']}/complete"
            answers = parallel(
                8,
                lambda: client.post(url, json={"note": "done"}, headers={**HQ, "if-match": etag}),
            )
            statuses = sorted(a.status_code for a in answers)
            assert statuses == [200] + [412] * 7, [a.text for a in answers]
            final = client.get(f"/response/tasks/{task['task_id']}")
            assert final.json()["status"] == "done"
            assert final.headers["etag"] != etag
    finally:
        system.stop()


def test_progress_reports_that_reread_and_retry_are_never_lost(tmp_path: Path) -> None:
    system = RunningSystem(tmp_path / "var", env={"AIRWARN_ALERTING_AUTO_APPROVE": "true"})
    system.start()
    try:
        with httpx.Client(base_url=system.base, timeout=60) as client:
            task = _a_task(client)
            url = f"/response/tasks/{task['task_id']}"
            notes = [f"step {n}" for n in range(6)]

            def report(note: str) -> int:
                tries = 0
                while True:
                    tries += 1
                    etag = client.get(url).headers["etag"]
                    answer = client.post(
                        f"{url}/progress", json={"note": note}, headers={**HQ, "if-match": etag}
                    )
                    if answer.status_code == 200:
                        return tries
                    assert answer.status_code == 412, answer.text

            with ThreadPoolExecutor(6) as pool:
                list(pool.map(report, notes))
            final = client.get(url)
            # every report was applied once, on top of the last: the version counts them
            assert final.json()["version"] == task["version"] + len(notes)
            assert final.json()["progress"] in notes
            # without If-Match: applied to the task as it is, never a 5xx
            answers = parallel(
                6, lambda: client.post(f"{url}/complete", json={"note": "x"}, headers=HQ)
            )
            assert sorted(a.status_code for a in answers) == [200] + [409] * 5
            assert client.get(url).json()["status"] == "done"
    finally:
        system.stop()


def test_a_body_trickled_byte_by_byte_is_cut_off_while_others_are_served(tmp_path: Path) -> None:
    system = RunningSystem(tmp_path / "var", env={"AIRWARN_BODY_READ_TIMEOUT_SECONDS": "2"})
    system.start()
    try:
        with socket.create_connection(("127.0.0.1", system.port), timeout=30) as slow:
            slow.sendall(
                b"POST /forecast/forecasts HTTP/1.1\r\nhost: 127.0.0.1\r\n"
                b"content-type: application/json\r\ncontent-length: 1000\r\n\r\n"
            )
            answer = b""
            for _ in range(30):  # one byte a second, far short of 1000
                try:
                    slow.sendall(b" ")
                except OSError:
                    break
                with httpx.Client(base_url=system.base, timeout=10) as other:
                    assert other.get("/healthz").status_code == 200
                slow.settimeout(1)
                try:
                    answer += slow.recv(4096)
                except TimeoutError:
                    continue
                if answer:
                    break
            assert answer.startswith(b"HTTP/1.1 408"), answer
    finally:
        system.stop()


def test_an_oversized_batch_is_refused_naming_the_limit(running_system: RunningSystem) -> None:
    issued = an_hour_ago()
    one = daily_forecast("500103", issued, (50.0,))
    batch = [{**one, "source": f"s{n}"} for n in range(501)]
    header = "area,source,issued_at,date,pm25\n"
    rows = "".join(f"500103,s{n},{issued.isoformat()},{issued.date()},50\n" for n in range(501))
    with httpx.Client(base_url=running_system.base, timeout=60) as client:
        answer = client.post(
            "/forecast/forecasts/batch", json={"forecasts": batch}, headers=FORECASTER
        )
        assert answer.status_code == 422 and "500" in answer.text, answer.text
        answer = client.post(
            "/forecast/forecasts/csv",
            content=header + rows,
            headers={**FORECASTER, "content-type": "text/csv"},
        )
        assert answer.status_code == 422 and "at most 500" in answer.text, answer.text
