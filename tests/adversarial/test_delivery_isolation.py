"""One bad subscription never stops delivery (issue 12 item 2): hostile addresses are
refused with a 422 naming the field, and rows an older version let in fail alone."""

from __future__ import annotations

import httpx
from standardwebhooks import Webhook

from tests.adversarial.conftest import RunningSystem
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
UNIT = {"authorization": "Bearer dev-unit-public-security-bureau"}
OFFICE = {"authorization": "Bearer dev-office-duty"}
SECRET = "whsec_" + "aXNvbGF0aW9uLXRlc3Qtc2lnbmluZy1rZXktMzJi"


def test_bad_rows_fail_alone_and_the_good_subscriber_gets_its_bulletin(
    receivers: tuple[Receiver, Receiver], running_with_allow_list: RunningSystem
) -> None:
    good, _ = receivers
    system = running_with_allow_list
    with httpx.Client(base_url=system.base, timeout=30) as api:
        unit = {"name": "x", "unit": "public-security-bureau", "areas": ["all"]}
        bad_url = api.post(
            "/notify/subscriptions",
            json={**unit, "channel": "webhook", "address": "http://[::1/", "secret": SECRET},
            headers=UNIT,
        )
        assert bad_url.status_code == 422 and "address" in bad_url.text
        bad_mail = api.post(
            "/notify/subscriptions",
            json={**unit, "channel": "email", "address": "a@example.org\r\nBcc: b@example.org"},
            headers=UNIT,
        )
        assert bad_mail.status_code == 422 and "address" in bad_mail.text
        # as an older version would have stored them; ids sort before the good one
        insert_subscription(system.var_dir, "0-bad-url", "webhook", "http://[::1/", SECRET)
        insert_subscription(
            system.var_dir, "0-bad-mail", "email", "a@example.org\r\nBcc: b@example.org"
        )
        insert_subscription(system.var_dir, "0-no-secret", "webhook", f"{good.url}/hook")
        made = subscribe_webhook(api, "good", f"{good.url}/hook", SECRET)
        assert made.status_code == 201, made.text
        bulletin = issue_bulletin(api)
        log = wait_for_deliveries(api, bulletin, count=4)
    by_id = {d["subscription_id"]: d for d in log}
    for bad in ("0-bad-url", "0-bad-mail", "0-no-secret"):
        assert by_id[bad]["status"] == "dead", by_id[bad]
        assert by_id[bad]["last_error"], "dead with its reason"
    assert by_id[made.json()["subscription_id"]]["status"] == "delivered"
    signed = [(h, b) for h, b in good.received if b and bulletin.encode() in b]
    assert len(signed) == 1, "the good subscriber got the bulletin once"
    headers, body = signed[0]
    Webhook(SECRET).verify(body, headers, json_parse=False)
