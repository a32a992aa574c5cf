"""Webhooks, and the SMS, WeChat and Weibo gateways that are webhooks with a preset body.

Each POST is signed the Standard Webhooks way (https://www.standardwebhooks.com/, see
docs/webhooks.md): ``webhook-id`` is the delivery id (the same on every retry, so it is
also the ``Idempotency-Key``), ``webhook-timestamp`` the attempt's Unix time, and
``webhook-signature`` ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` with the
subscriber's secret. A receiver that refuses old timestamps cannot be fed a captured
delivery again.

Only a status code and a short standard reason are kept of the receiver's answer: its
body may be anything an internal address says, and the delivery log is read by others.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from http import HTTPStatus

import httpx
from standardwebhooks import Webhook

from services.notify.adapters.channels import Outgoing
from services.notify.domain.addresses import AddressError
from services.notify.domain.delivery import Attempt
from services.notify.domain.subscriptions import Subscription, http_target, signing_key

SHORT_TEXT = 300  # characters an SMS or microblog gateway takes in one message
REASON_CHARS = 200


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


def signature_headers(
    secret: str, delivery_id: str, at: dt.datetime, body: bytes
) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    try:
        key = signing_key(secret)
    except ValueError:
        key = secret.encode()  # a secret kept from before secrets were checked
    signed = Webhook(key).sign(delivery_id, at, body)
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signed,
    }


def status_reason(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "non-standard status"
    moved = " (redirects are not followed)" if 300 <= status < 400 else ""
    return f"HTTP {status} {phrase}{moved}"


class WebhookChannel:
    def __init__(self, client: httpx.AsyncClient, timeout: float = 10.0) -> None:
        self._client = client
        self._timeout = timeout

    async def send(self, subscription: Subscription, message: Outgoing) -> Attempt:
        try:
            http_target(subscription)  # rows from before addresses were checked
        except AddressError as exc:
            return Attempt(False, None, f"address {exc}", 0.0, permanent=True)
        if subscription.channel == "webhook" and not subscription.secret:
            return Attempt(False, None, "the subscription has no signing secret", 0.0, True)
        body = json.dumps(body_for(subscription, message), ensure_ascii=False).encode()
        headers = {
            "content-type": "application/json; charset=utf-8",
            "idempotency-key": message.delivery_id,
            "x-airwarn-bulletin": message.bulletin_id,
        }
        if subscription.secret:
            now = dt.datetime.now(dt.UTC)
            headers.update(signature_headers(subscription.secret, message.delivery_id, now, body))
        started = time.perf_counter()
        try:
            # streamed and never read: the body is not kept, so it need not be downloaded
            async with self._client.stream(
                "POST",
                subscription.address,
                content=body,
                headers=headers,
                timeout=self._timeout,
                follow_redirects=False,
            ) as response:
                code = response.status_code
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            elapsed = (time.perf_counter() - started) * 1000
            return Attempt(False, None, f"{type(exc).__name__}: {exc}"[:REASON_CHARS], elapsed)
        elapsed = (time.perf_counter() - started) * 1000
        ok = 200 <= code < 300
        return Attempt(ok, code, None if ok else status_reason(code), elapsed)
