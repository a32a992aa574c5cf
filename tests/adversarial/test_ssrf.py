"""No SSRF through webhooks (issue 12 item 3): internal targets are refused when
subscribing and again when sending, redirects are not followed, and the delivery log
shows no response body and is not public."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.adversarial.conftest import RunningSystem, serving
from tests.adversarial.support import (
    Receiver,
    insert_subscription,
    issue_bulletin,
    receivers,
    running_with_allow_list,
    subscribe_webhook,
    wait_for_deliveries,
)

__all__ = ["receivers", "running_with_allow_list"]  # fixtures

OFFICE = {"authorization": "Bearer dev-office-duty"}
SECRET = "whsec_" + "c3NyZi10ZXN0LXNpZ25pbmcta2V5LTMyLWJ5dGVzIQ=="


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """One `airwarn up` (no allow-list) for the refusals, which change nothing."""
    with serving(tmp_path_factory.mktemp("ssrf") / "var") as client:
        yield client


INTERNAL = [
    "http://127.0.0.1/hook",
    "http://localhost:8080/hook",
    "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://100.64.0.1/",
    "http://[fc00::1]/",
]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_webhook_targets_are_refused(api: httpx.Client, address: str) -> None:
    body = {"name": "x", "channel": "webhook", "address": address, "areas": ["all"]}
    refused = api.post("/notify/subscriptions", json={**body, "secret": SECRET}, headers=OFFICE)
    assert refused.status_code == 422, refused.text
    assert "address" in refused.text
    gateway = api.post("/notify/subscriptions", json={**body, "channel": "sms"}, headers=OFFICE)
    assert gateway.status_code == 422, gateway.text


def test_the_delivery_log_is_not_public(api: httpx.Client) -> None:
    assert api.get("/notify/bulletins/any/deliveries").status_code == 401
    unit = {"authorization": "Bearer dev-district-500103"}
    assert api.get("/notify/bulletins/any/deliveries", headers=unit).status_code == 403
    assert api.get("/notify/bulletins/any/deliveries", headers=OFFICE).status_code == 200


def test_a_second_loopback_port_and_a_redirect_stay_closed(
    receivers: tuple[Receiver, Receiver], running_with_allow_list: RunningSystem
) -> None:
    """Only the allow-listed port is reachable: another loopback port is refused at send
    time (a row as an older version would have stored it), and a redirect from the
    allowed receiver to the other port is not followed."""
    allowed, other = receivers
    system: RunningSystem = running_with_allow_list
    with httpx.Client(base_url=system.base, timeout=30) as api:
        made = subscribe_webhook(api, "redirecting receiver", f"{allowed.url}/redirect", SECRET)
        assert made.status_code == 201, made.text
        refused = subscribe_webhook(api, "other port", f"{other.url}/hook", SECRET)
        assert refused.status_code == 422 and "address" in refused.text
        insert_subscription(
            system.var_dir, "old-other-port", "webhook", f"{other.url}/hook", SECRET
        )
        bulletin = issue_bulletin(api)
        log = wait_for_deliveries(api, bulletin, count=2)
    by_subscription = {d["subscription_id"]: d for d in log}
    stale = by_subscription["old-other-port"]
    assert stale["status"] in ("pending", "dead") and stale["attempts"] >= 1
    assert "allow-list" in stale["last_error"]
    redirected = by_subscription[made.json()["subscription_id"]]
    assert redirected["last_status"] == 307
    assert redirected["last_error"].startswith("HTTP 307 Temporary Redirect")
    assert "secret internal page" not in str(log)
    assert other.hits == 0, "the other port was never reached, directly or by redirect"
    assert allowed.hits >= 1
