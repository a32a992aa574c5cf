"""Who hears of which bulletin: subscriptions by area, lowest level and language.

Orange and red warnings of any district are also copied to every district government
(plan §3.2.3, rules §3), whatever areas the government subscribed to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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
    secret: str = field(default="", repr=False)  # signs webhook bodies (HMAC-SHA256)
    active: bool = True


def check_subscription(subscription: Subscription) -> None:
    """Raise :class:`Rejected` naming the field that is wrong."""
    if subscription.channel not in CHANNELS:
        raise Rejected(f"channel: {subscription.channel!r} is not one of {', '.join(CHANNELS)}")
    if subscription.channel == "email":
        if "@" not in subscription.address:
            raise Rejected("address: an email channel needs a mailbox")
    elif not subscription.address.startswith(("http://", "https://")):
        raise Rejected(f"address: a {subscription.channel} channel needs an http(s) URL")
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
