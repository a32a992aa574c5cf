"""Webhooks, and the SMS, WeChat and Weibo gateways that are webhooks with a preset body.

Each POST carries an ``Idempotency-Key`` (the delivery id: a retry is the same delivery)
and ``X-Airwarn-Signature: sha256=<HMAC-SHA256 of the body with the subscriber's secret>``
so the receiver can tell the sender is us and the body is intact.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from services.notify.adapters.channels import Outgoing
from services.notify.domain.delivery import Attempt
from services.notify.domain.subscriptions import Subscription

SHORT_TEXT = 300  # characters an SMS or microblog gateway takes in one message


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_for(subscription: Subscription, message: Outgoing) -> dict[str, object]:
    languages = subscription.languages
    if subscription.channel == "webhook":
        return message.as_json(languages)
    text = message.as_text(languages)
    if subscription.channel == "sms":
        return {"to": "subscribers", "text": text[:SHORT_TEXT]}
    if subscription.channel == "weibo":
        return {"status": text[:SHORT_TEXT]}
    return {"msgtype": "text", "text": {"content": text}}  # WeChat official-account style


class WebhookChannel:
    def __init__(self, client: httpx.AsyncClient, timeout: float = 10.0) -> None:
        self._client = client
        self._timeout = timeout

    async def send(self, subscription: Subscription, message: Outgoing) -> Attempt:
        body = json.dumps(body_for(subscription, message), ensure_ascii=False).encode()
        headers = {
            "content-type": "application/json; charset=utf-8",
            "idempotency-key": message.delivery_id,
            "x-airwarn-bulletin": message.bulletin_id,
            "x-airwarn-signature": signature(subscription.secret, body),
        }
        started = time.perf_counter()
        try:
            response = await self._client.post(
                subscription.address, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            return Attempt(False, None, f"{type(exc).__name__}: {exc}"[:500], elapsed)
        elapsed = (time.perf_counter() - started) * 1000
        ok = 200 <= response.status_code < 300
        error = None if ok else f"HTTP {response.status_code}: {response.text[:200]}"
        return Attempt(ok, response.status_code, error, elapsed)
