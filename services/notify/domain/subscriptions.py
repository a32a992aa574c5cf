"""Who hears of which bulletin: subscriptions by area, lowest level and language.

Orange and red warnings of any district are also copied to every district government
(plan §3.2.3, rules §3), whatever areas the government subscribed to.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Literal

from services.notify.domain.addresses import (
    AddressError,
    Destinations,
    WebhookTarget,
    check_mailbox,
    parse_webhook_url,
)
from shared.areas import AREAS, REGIONS
from shared.errors import Rejected
from shared.levels import rank

Channel = Literal["webhook", "sms", "wechat", "weibo", "email"]
CHANNELS: tuple[Channel, ...] = ("webhook", "sms", "wechat", "weibo", "email")
Language = Literal["zh-CN", "en-US"]
ALL = "all"


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    name: str
    channel: Channel
    address: str  # a URL for webhooks and gateways, a mailbox for email
    areas: tuple[str, ...]  # district codes, region ids, or "all"
    min_level: str = "yellow"
    languages: tuple[Language, ...] = ("zh-CN", "en-US")
    district_government: str | None = None  # the district whose government this is
    unit: str | None = None  # a member unit: it also gets notices of its own tasks
    # signs webhook bodies (Standard Webhooks: HMAC-SHA256 of id, timestamp and body)
    secret: str = field(default="", repr=False)
    active: bool = True


def check_subscription(subscription: Subscription) -> None:
    """Raise :class:`Rejected` naming the field that is wrong."""
    if subscription.channel not in CHANNELS:
        raise Rejected(f"channel: {subscription.channel!r} is not one of {', '.join(CHANNELS)}")
    try:
        if subscription.channel == "email":
            check_mailbox(subscription.address)
        else:
            parse_webhook_url(subscription.address)
    except AddressError as exc:
        raise Rejected(f"address: {exc}") from None
    if subscription.channel == "webhook" and not subscription.secret:
        raise Rejected("secret: a webhook needs a signing secret (whsec_ and base64)")
    if subscription.secret:
        try:
            signing_key(subscription.secret)
        except ValueError as exc:
            raise Rejected(f"secret: {exc}") from None
    if not subscription.areas and subscription.unit is None:
        raise Rejected("areas: name at least one area, or 'all' (or subscribe a unit)")
    for area in subscription.areas:
        if area != ALL and area not in AREAS:
            raise Rejected(f"areas: unknown area code {area!r}")
    if subscription.min_level not in ("yellow", "orange", "red"):
        raise Rejected(f"min_level: {subscription.min_level!r} is not yellow, orange or red")
    if not subscription.languages:
        raise Rejected("languages: name at least one of zh-CN, en-US")
    government = subscription.district_government
    if government is not None and (government not in AREAS or AREAS[government].kind != "district"):
        raise Rejected(f"district_government: {government!r} is not a district")


MIN_KEY_BYTES = 24  # the Standard Webhooks spec's least; whsec_ and 32 random bytes is usual
MIN_PLAIN_SECRET = 16


def signing_key(secret: str) -> bytes:
    """The HMAC key of a secret: ``whsec_<base64>`` decoded, as Standard Webhooks secrets
    are; any other secret (at least 16 characters) is used as its UTF-8 bytes."""
    if secret.startswith("whsec_"):
        try:
            key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("a whsec_ secret must be base64 after the prefix") from None
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"a whsec_ secret must hold at least {MIN_KEY_BYTES} bytes")
        return key
    if not secret or any(not char.isprintable() or char.isspace() for char in secret):
        raise ValueError("a secret must be printable, without spaces")
    if len(secret) < MIN_PLAIN_SECRET:
        raise ValueError(f"a secret must have at least {MIN_PLAIN_SECRET} characters")
    return secret.encode()


def http_target(subscription: Subscription) -> WebhookTarget | None:
    """The URL of a webhook or gateway subscription (None for email)."""
    return None if subscription.channel == "email" else parse_webhook_url(subscription.address)


def check_literal_destination(subscription: Subscription, destinations: Destinations) -> None:
    """Refuse (naming the field) a webhook URL whose host is an address it may not reach;
    names are resolved, and judged the same way, by the caller."""
    target = http_target(subscription)
    if target is not None and target.ip is not None:
        refusal = destinations.refusal(target.host, target.ip, target.port)
        if refusal is not None:
            raise Rejected(f"address: {refusal}")


def concerns(
    subscription: Subscription, *, area: str, level: str | None, previous: str | None
) -> bool:
    """Whether a bulletin about ``area`` at ``level`` goes to ``subscription``.

    A lift is judged by the level it ends, so whoever heard of a warning hears of its end.
    """
    if not subscription.active:
        return False
    shown = level if level is not None else previous
    if _copied_to_government(subscription, area=area, level=level, previous=previous):
        return True
    if rank(shown) < rank(subscription.min_level):
        return False
    place = AREAS[area]
    return any(  # a unit that named no areas hears only of its own tasks
        wanted in (ALL, area)
        or (wanted in REGIONS and place.kind == "district" and place.region == wanted)
        for wanted in subscription.areas
    )


def _copied_to_government(
    subscription: Subscription, *, area: str, level: str | None, previous: str | None
) -> bool:
    """An orange or red district warning, and whatever later ends or lowers it."""
    return (
        subscription.district_government is not None
        and AREAS[area].kind == "district"
        and max(rank(level), rank(previous)) >= rank("orange")
    )
