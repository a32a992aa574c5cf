"""The duty officer's console in a real headless Chromium against the real system.

`airwarn up` runs as a subprocess on a free loopback port (in-memory bus, SQLite in a
temporary directory). The test feeds forecasts over HTTP, as the demo does, and then
does what the duty officer would: watches Yubei (渝北区) show an orange proposal, sees
that the HQ commander may not decide a district warning (rules §4 Authority: district
warnings are the district HQ's), approves it with Yubei's HQ token, and sees the tile
turn orange and Level II tasks appear on the task board. It asserts on page content,
waiting with Playwright's expectations, never on timings.

Needs Debian's chromium (/usr/bin/chromium; `deploy/local/chromium.sh` installs it) and
the Python `playwright` package; Playwright's own browser download is never used. With
AIRWARN_SCREENSHOTS=<dir> the screenshots of README's Console section are written there.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, update

from services.response.adapters.orm import tasks
from tests.e2e.support import an_hour_ago, bearer, daily_forecast

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 45_000
ORANGE_AREA = "500112"  # 渝北区 Yubei, main-metro


def _missing(what: str) -> None:
    if os.environ.get("AIRWARN_REQUIRE_INFRA") == "1":
        pytest.fail(f"{what}, but AIRWARN_REQUIRE_INFRA=1 (run deploy/local/chromium.sh)")
    pytest.skip(f"{what} (run deploy/local/chromium.sh)")


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _missing(f"no Chromium at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the playwright package is not installed")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def system(tmp_path: Path) -> Iterator[str]:
    """`airwarn up` in its own process; its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "AIRWARN_VAR_DIR": str(tmp_path / "var"),
        "AIRWARN_OUTBOX_POLL_SECONDS": "0.1",
        "AIRWARN_DELIVERY_EVERY_SECONDS": "0.2",
        "AIRWARN_LOG_LEVEL": "WARNING",
        "AIRWARN_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",  # the local receivers
    }
    for name in ("AIRWARN_BUS", "AIRWARN_DATABASE_URL", "AIRWARN_TOKENS_FILE"):
        env.pop(name, None)
    log = (tmp_path / "airwarn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"airwarn up exited with {process.returncode}: {_tail(tmp_path)}")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"airwarn up was not ready within 60 s: {_tail(tmp_path)}")
            time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _tail(tmp_path: Path) -> str:
    return (tmp_path / "airwarn.log").read_text(errors="replace")[-2000:]


class _Receiver(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self) -> None:  # the subscriber's webhook: take it, say 204
        self.rfile.read(int(self.headers.get("content-length", 0)))
        type(self).received += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


# Rules §2 with PM2.5 alone: one day above 150 µg/m³ (AQI > 200) is yellow; a run of
# four days above 115 with days above 150 is orange; three days of AQI > 200 with one
# above 300 is red.
YELLOW = [60, 80, 160, 90, 60]
ORANGE = [60, 90, 120, 160, 170, 130]
RED = [60, 160, 260, 180, 90]


def post_forecast(api: httpx.Client, area: str, pm25: list[float]) -> None:
    posted = api.post(
        "/forecast/forecasts",
        json=daily_forecast(area, an_hour_ago(), pm25),
        headers=bearer("dev-office-duty"),
    )
    assert posted.status_code == 201, posted.text


def approve_by_api(api: httpx.Client, area: str) -> None:
    deadline = time.monotonic() + WAIT_MS / 1000
    while not (pending := api.get("/alerting/proposals", params={"area": area}).json()):
        assert time.monotonic() < deadline, f"no proposal for {area}"
        time.sleep(0.1)
    for proposal in pending:
        done = api.post(
            f"/alerting/proposals/{proposal['proposal_id']}/approve",
            json={"reason": "set up by the test"},
            headers=bearer(f"dev-district-{area}"),
        )
        assert done.status_code == 200, done.text


def make_overdue(api: httpx.Client, var_dir: Path, area: str, measure: str) -> dict[str, Any]:
    found = api.get("/response/tasks", params={"area": area, "status": "open"}).json()
    task = next(t for t in found if t["measure_id"] == measure)
    engine = create_engine(f"sqlite:///{var_dir / 'response.db'}")
    try:
        with engine.begin() as connection:
            connection.execute(
                update(tasks)
                .where(tasks.c.task_id == task["task_id"])
                .values(due=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
            )
    finally:
        engine.dispose()
    return dict(task)


def test_the_duty_officer_approves_an_orange_district_warning_and_sees_its_tasks(
    chromium: Path, system: str, webhook: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = os.environ.get("AIRWARN_SCREENSHOTS")
    shot_dir = Path(shots) if shots else None
    if shot_dir is not None:
        shot_dir.mkdir(parents=True, exist_ok=True)
    api = httpx.Client(base_url=system, timeout=30)
    for name, channel, address in (
        ("city webhook", "webhook", webhook),
        ("SMS gateway (down)", "sms", f"http://127.0.0.1:{free_port()}/sms"),
    ):
        made = api.post(
            "/notify/subscriptions",
            json={
                "name": name,
                "channel": channel,
                "address": address,
                "areas": ["all"],
                "secret": "whsec_" + "dGVzdC1yZWNlaXZlci1zaWduaW5nLWtleS0zMi1ieXRlcw==",
            },
            headers=bearer("dev-office-duty"),
        )
        assert made.status_code == 201, made.text

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1500, "height": 1000},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        try:
            page = context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on(
                "requestfailed", lambda request: problems.append(f"request failed: {request.url}")
            )
            outside: list[str] = []
            page.on(
                "request",
                lambda request: (
                    None if request.url.startswith(system) else outside.append(request.url)
                ),
            )
            page.goto(f"{system}/console")
            tile = page.get_by_test_id(f"tile-{ORANGE_AREA}")
            expect(page.locator("[data-testid^='tile-5']")).to_have_count(38, timeout=WAIT_MS)
            expect(tile).to_have_attribute("data-level", "none")
            expect(page.get_by_test_id("clock")).to_contain_text("CST")

            page.get_by_test_id("token-input").fill("dev-hq-commander")
            page.get_by_test_id("token-apply").click()
            expect(page.get_by_test_id("whoami")).to_contain_text("hq-commander")

            # The demo's part: forecasts over HTTP. Three other districts get warnings
            # approved at once by their HQs, a fourth stays proposed.
            for area, values in (("500101", YELLOW), ("500243", RED), ("500152", YELLOW)):
                post_forecast(api, area, values)
                approve_by_api(api, area)
            post_forecast(api, "500114", YELLOW)
            post_forecast(api, ORANGE_AREA, ORANGE)

            expect(tile).to_have_attribute("data-proposed", "orange", timeout=WAIT_MS)
            expect(tile).to_have_attribute("data-level", "none")
            expect(page.get_by_test_id("tile-500243")).to_have_attribute(
                "data-level", "red", timeout=WAIT_MS
            )
            expect(page.get_by_test_id("tile-500101")).to_have_attribute("data-level", "yellow")
            expect(page.get_by_test_id("tile-500114")).to_have_attribute("data-proposed", "yellow")
            proposal = page.locator(f"[data-testid=proposal][data-area='{ORANGE_AREA}']")
            expect(proposal).to_have_count(1)
            expect(proposal.get_by_test_id("required-role")).to_contain_text("渝北区")
            # The HQ commander approves region orange and red, not a district's warning.
            expect(proposal.get_by_test_id("approve")).to_be_disabled()
            if shot_dir is not None:
                page.screenshot(path=str(shot_dir / "pending.png"), full_page=True)

            # Qianjiang's HQ rejects its yellow proposal: the API's refusal of a rejection
            # without a reason is shown as the API words it; with a reason it goes through.
            page.get_by_test_id("token-input").fill("dev-district-500114")
            page.get_by_test_id("token-apply").click()
            expect(page.get_by_test_id("whoami")).to_contain_text("黔江区")
            qianjiang = page.locator("[data-testid=proposal][data-area='500114']")
            qianjiang.get_by_test_id("reject").click()
            expect(qianjiang.get_by_test_id("proposal-error")).to_have_text(
                "reject refused (422): reason: a rejection needs a reason"
            )
            qianjiang.get_by_test_id("reason").fill("local monitoring disagrees")
            qianjiang.get_by_test_id("reject").click()
            expect(qianjiang).to_have_count(0, timeout=WAIT_MS)
            expect(page.get_by_test_id("tile-500114")).to_have_attribute("data-proposed", "none")
            expect(page.get_by_test_id("tile-500114")).to_have_attribute("data-level", "none")

            page.get_by_test_id("token-input").fill(f"dev-district-{ORANGE_AREA}")
            page.get_by_test_id("token-apply").click()
            expect(page.get_by_test_id("whoami")).to_contain_text("渝北区")
            approve = proposal.get_by_test_id("approve")
            expect(approve).to_be_enabled()
            proposal.get_by_test_id("reason").fill("forecast confirmed by the duty officer")
            if shot_dir is not None:
                page.get_by_test_id("approvals").screenshot(path=str(shot_dir / "approval.png"))
            approve.click()

            expect(tile).to_have_attribute("data-level", "orange", timeout=WAIT_MS)
            expect(tile).to_have_attribute("data-proposed", "none")
            expect(page.get_by_test_id("action-message")).to_contain_text("approved")
            yubei_tasks = page.locator(f"[data-testid=task][data-area='{ORANGE_AREA}']")
            expect(yubei_tasks.first).to_be_visible(timeout=WAIT_MS)
            government = page.locator(
                f"[data-testid=unit-group][data-unit='district-government:{ORANGE_AREA}']"
            )
            expect(government).to_be_visible()
            expect(government).to_contain_text("渝北区")
            levels = {yubei_tasks.nth(i).inner_text() for i in range(yubei_tasks.count())}
            assert any("Level II" in t for t in levels), levels  # orange → Level II (§4.1)

            # A day passes without Yubei's report to the city office (§5.1, due within a
            # day): moved back in the response service's own database, not waited for.
            report = make_overdue(api, tmp_path / "var", ORANGE_AREA, "report-to-city-office")
            late = page.locator(f"[data-testid=task][data-overdue=true][data-area='{ORANGE_AREA}']")
            expect(late).to_have_count(1, timeout=WAIT_MS)
            expect(late).to_contain_text(report["measure_id"])
            expect(late).to_contain_text("OVERDUE")
            expect(page.get_by_test_id("overdue-count")).to_have_text("1 overdue")
            if shot_dir is not None:
                page.locator("section.tasks").screenshot(path=str(shot_dir / "tasks.png"))

            tile.click()
            expect(page.get_by_test_id("area-title")).to_contain_text("渝北区")
            entry = page.get_by_test_id("timeline-entry").first
            expect(entry).to_have_attribute("data-status", "approved", timeout=WAIT_MS)
            expect(entry).to_contain_text("forecast confirmed by the duty officer")
            aqi = page.get_by_test_id("chart-aqi")
            expect(aqi.get_by_test_id("chart-day")).to_have_count(len(ORANGE))
            expect(aqi.locator("[data-testid=threshold][data-value='200']")).to_have_count(1)
            expect(aqi.locator("[data-testid=threshold][data-value='300']")).to_have_count(1)
            pm25 = page.get_by_test_id("chart-pm25")
            expect(pm25.locator("[data-testid=threshold][data-value='150']")).to_have_count(1)
            expect(pm25.locator("[data-testid=chart-day][data-value='170']")).to_have_count(1)

            webhook_row = page.get_by_test_id("channel-webhook")
            expect(webhook_row.get_by_test_id("delivered")).not_to_have_text("0", timeout=WAIT_MS)
            sms_row = page.get_by_test_id("channel-sms")
            expect(sms_row.get_by_test_id("failing")).not_to_have_text("0", timeout=WAIT_MS)
            if shot_dir is not None:
                page.locator("section.detail").screenshot(path=str(shot_dir / "district.png"))
                page.screenshot(path=str(shot_dir / "overview.png"), full_page=True)

            expect(page.get_by_test_id("error")).to_have_text("")
            assert outside == [], outside
            assert problems == [], problems
        finally:
            context.close()
    api.close()
