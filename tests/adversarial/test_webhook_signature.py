"""Webhooks signed the Standard Webhooks way (issue 12 item 9): a receiver verifies the
signature with the spec's algorithm, and a captured delivery replayed later is refused."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from tests.adversarial.conftest import RunningSystem
from tests.adversarial.support import (
    Receiver,
    issue_bulletin,
    receivers,
    running_with_allow_list,
    subscribe_webhook,
    wait_for_deliveries,
)

__all__ = ["receivers", "running_with_allow_list"]  # fixtures
OFFICE = {"authorization": "Bearer dev-office-duty"}
SECRET = "whsec_" + "c2lnbmF0dXJlLXRlc3Qtc2lnbmluZy1rZXktMzJieQ=="


def _by_hand(headers: dict[str, str], body: bytes) -> bool:
    """The spec's algorithm, spelled out: HMAC-SHA256 of "id.timestamp.body"."""
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())


def test_a_delivery_verifies_and_its_replay_does_not(
    receivers: tuple[Receiver, Receiver], running_with_allow_list: RunningSystem
) -> None:
    hook, _ = receivers
    with httpx.Client(base_url=running_with_allow_list.base, timeout=30) as api:
        empty = api.post(
            "/notify/subscriptions",
            json={
                "name": "x",
                "channel": "webhook",
                "address": f"{hook.url}/hook",
                "areas": ["all"],
            },
            headers=OFFICE,
        )
        assert empty.status_code == 422 and "secret" in empty.text
        made = subscribe_webhook(api, "signed", f"{hook.url}/hook", SECRET)
        assert made.status_code == 201, made.text
        bulletin = issue_bulletin(api)
        wait_for_deliveries(api, bulletin, count=1)
    headers, body = next((h, b) for h, b in hook.received if bulletin.encode() in b)
    assert headers["webhook-id"] == headers["idempotency-key"]
    assert abs(int(headers["webhook-timestamp"]) - dt.datetime.now(dt.UTC).timestamp()) < 600
    assert _by_hand(headers, body)
    Webhook(SECRET).verify(body, headers, json_parse=False)
    # captured and replayed ten minutes later: the timestamp is too old
    later = {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) - 600)}
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body, later, json_parse=False)  # the old signature no longer fits
    assert not _by_hand(later, body)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body + b" ", headers, json_parse=False)
