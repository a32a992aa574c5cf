"""HTTP API under /notify: bulletins, subscriptions, the delivery log, the Atom feed.

No ``from __future__ import annotations``: FastAPI must see the ``Caller`` dependency,
local to the router, as an object.
"""

import datetime as dt
import uuid
from dataclasses import asdict
from typing import Annotated, Literal
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.notify.adapters.channels.guard import Unresolvable, refusal
from services.notify.domain.addresses import Destinations
from services.notify.domain.subscriptions import (
    CHANNELS,
    Subscription,
    check_literal_destination,
    check_subscription,
    http_target,
)
from services.notify.service_layer import handlers
from services.notify.service_layer.unit_of_work import NotifyUnitOfWork
from shared.auth import Principal, Role, TokenStore, require
from shared.auth.http import bearer
from shared.contracts.strict import StrictModel
from shared.error_responses import errors
from shared.errors import NotFound, Rejected
from shared.runtime import ServiceRuntime


class BulletinOut(BaseModel):
    bulletin_id: str
    area: str
    episode_id: str
    warning_id: str
    msg_type: str
    level: str | None
    references: list[str]
    headline_zh: str
    headline_en: str
    text_zh: str
    text_en: str
    published_at: dt.datetime


class SubscriptionIn(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    channel: Literal["webhook", "sms", "wechat", "weibo", "email"]
    address: str = Field(min_length=3, max_length=500)
    areas: list[str] = Field(
        default_factory=list, max_length=50, examples=[["main-metro"], ["all"]]
    )
    min_level: Literal["yellow", "orange", "red"] = "yellow"
    languages: list[Literal["zh-CN", "en-US"]] = Field(default=["zh-CN", "en-US"], min_length=1)
    district_government: str | None = None
    unit: str | None = Field(
        default=None, max_length=100, description="a member unit: it also gets its task notices"
    )
    secret: str = Field(
        default="",
        max_length=200,
        description="signs webhook bodies (Standard Webhooks); required for a webhook: "
        "whsec_ and the base64 of at least 24 random bytes",
    )


class SubscriptionOut(BaseModel):
    subscription_id: str
    name: str
    channel: str
    address: str
    areas: list[str]
    min_level: str
    languages: list[str]
    district_government: str | None
    unit: str | None
    active: bool


class DeliveryOut(BaseModel):
    delivery_id: str
    bulletin_id: str
    subscription_id: str
    seq: int
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    latency_ms: float | None
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None


class ChannelHealthOut(BaseModel):
    channel: str
    delivered: int = 0
    pending: int = 0
    failing: int = 0
    dead: int = 0


HQ_ROLES: tuple[Role, ...] = ("office-duty", "office-director", "hq-commander")


def router(
    runtime: ServiceRuntime[NotifyUnitOfWork],
    tokens: TokenStore,
    destinations: Destinations | None = None,
) -> APIRouter:
    allowed = destinations or Destinations()
    api = APIRouter(tags=["notify"], responses=errors(422))

    Caller = Annotated[Principal, Depends(bearer(tokens))]

    @api.get("/bulletins", response_model=list[BulletinOut])
    async def bulletins(area: str | None = None, limit: int = 100) -> list[BulletinOut]:
        async with runtime.uow() as uow:
            found = await handlers.list_bulletins(uow, area=area, limit=max(1, min(limit, 1000)))
        return [BulletinOut.model_validate(b, from_attributes=True) for b in found]

    @api.get(
        "/bulletins/{bulletin_id}.html",
        response_class=Response,
        responses={200: {"content": {"text/html": {}}}, **errors(404)},
    )
    async def page(bulletin_id: str) -> Response:
        """The bulletin as an HTML page, Chinese then English."""
        async with runtime.uow() as uow:
            found = await uow.bulletins.get(bulletin_id)
        if found is None:
            raise NotFound(f"no bulletin {bulletin_id}")
        document = (
            f"<!doctype html><html><meta charset=utf-8><title>{escape(found.headline_zh)}</title>"
            f"<body>{found.html}</body></html>"
        )
        return Response(document, media_type="text/html; charset=utf-8")

    @api.get(
        "/bulletins/{bulletin_id}.cap",
        response_class=Response,
        responses={200: {"content": {"application/cap+xml": {}}}, **errors(404)},
    )
    async def cap(bulletin_id: str) -> Response:
        """The bulletin's CAP 1.2 message."""
        async with runtime.uow() as uow:
            found = await uow.bulletins.get(bulletin_id)
        if found is None:
            raise NotFound(f"no bulletin {bulletin_id}")
        return Response(found.cap_xml.encode("utf-8"), media_type="application/cap+xml")

    @api.get(
        "/bulletins/{bulletin_id}/deliveries",
        response_model=list[DeliveryOut],
        responses=errors(401, 403),
    )
    async def delivery_log(bulletin_id: str, principal: Caller) -> list[DeliveryOut]:
        """The bulletin's deliveries (attempts, last status code and reason, latency): all
        of them to HQ, a member unit's own to its unit, nothing to anyone else."""
        if principal.role != "agency":
            require(principal, *HQ_ROLES)
        async with runtime.uow() as uow:
            found = await uow.deliveries.of_bulletin(bulletin_id)
            if principal.role == "agency":
                own = {
                    s.subscription_id
                    for s in await uow.deliveries.subscriptions(active=None)
                    if s.unit is not None and s.unit == principal.unit
                }
                found = [d for d in found if d.subscription_id in own]
        return [DeliveryOut(**asdict(d)) for d in found]

    @api.get("/deliveries/health", response_model=list[ChannelHealthOut])
    async def delivery_health() -> list[ChannelHealthOut]:
        """Deliveries per channel: delivered, pending, failing (retrying) and dead."""
        async with runtime.uow() as uow:
            counts = await uow.deliveries.health()
        return [
            ChannelHealthOut(channel=channel, **counts.get(channel, {})) for channel in CHANNELS
        ]

    @api.post(
        "/subscriptions",
        status_code=status.HTTP_201_CREATED,
        response_model=SubscriptionOut,
        responses=errors(401, 403, 413),
    )
    async def subscribe(body: SubscriptionIn, principal: Caller) -> SubscriptionOut:
        if not (principal.role == "agency" and body.unit == principal.unit):
            require(principal, *HQ_ROLES)
        made = Subscription(
            subscription_id=str(uuid.uuid4()),
            name=body.name,
            channel=body.channel,
            address=body.address,
            areas=tuple(body.areas),
            min_level=body.min_level,
            languages=tuple(body.languages),
            district_government=body.district_government,
            unit=body.unit,
            secret=body.secret,
        )
        check_subscription(made)
        await _check_destination(made, allowed)
        async with runtime.uow() as uow:
            await handlers.subscribe(made, uow)
        return _out(made)

    @api.get("/subscriptions", response_model=list[SubscriptionOut], responses=errors(401, 403))
    async def list_subscriptions(principal: Caller) -> list[SubscriptionOut]:
        require(principal, *HQ_ROLES)
        async with runtime.uow() as uow:
            found = await uow.deliveries.subscriptions(active=None)
        return [_out(s) for s in found]

    @api.delete(
        "/subscriptions/{subscription_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        responses=errors(401, 403, 404),
    )
    async def unsubscribe(subscription_id: str, principal: Caller) -> Response:
        require(principal, *HQ_ROLES)
        async with runtime.uow() as uow:
            await handlers.unsubscribe(subscription_id, uow)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @api.get(
        "/feed.atom",
        response_class=Response,
        responses={200: {"content": {"application/atom+xml": {}}}},
    )
    async def feed(request: Request) -> Response:
        """The latest bulletins as an Atom feed, the form alert aggregators poll."""
        async with runtime.uow() as uow:
            found = await handlers.list_bulletins(uow, area=None, limit=100)
        base = str(request.base_url).rstrip("/")
        updated = found[0].published_at if found else dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        entries = "".join(
            f"<entry><id>urn:uuid:{b.bulletin_id}</id>"
            f"<title>{escape(b.headline_zh)} / {escape(b.headline_en)}</title>"
            f"<updated>{b.published_at.isoformat()}</updated>"
            f'<link rel="alternate" type="application/cap+xml" '
            f'href="{escape(base)}/notify/bulletins/{b.bulletin_id}.cap"/>'
            f'<category term="{escape(b.msg_type)}"/>'
            f"<summary>{escape(b.headline_zh)} / {escape(b.headline_en)}</summary>"
            f'<content type="application/cap+xml">{_without_declaration(b.cap_xml)}</content>'
            "</entry>"
            for b in found
        )
        xml = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom">'
            "<id>urn:airwarn:bulletins</id><title>airwarn bulletins</title>"
            f"<updated>{updated.isoformat()}</updated>"
            f'<link rel="self" href="{escape(base)}/notify/feed.atom"/>'
            f"{entries}</feed>"
        )
        return Response(xml, media_type="application/atom+xml")

    return api


async def _check_destination(subscription: Subscription, destinations: Destinations) -> None:
    """No webhook to an internal address (issue 12 item 3): a literal address is judged as
    it is, a name by every address it resolves to now. A name that does not resolve yet is
    accepted: every send resolves and judges it again."""
    check_literal_destination(subscription, destinations)
    target = http_target(subscription)
    if target is None or target.ip is not None:
        return
    try:
        refused = await refusal(destinations, target.host, target.port)
    except Unresolvable:
        return
    if refused is not None:
        raise Rejected(f"address: {refused}")


def _without_declaration(xml: str) -> str:
    """A CAP document as an element inside the feed (an XML declaration may only open a file)."""
    return xml.split("?>", 1)[1].lstrip() if xml.startswith("<?xml") else xml


def _out(subscription: Subscription) -> SubscriptionOut:
    values = asdict(subscription)
    values.pop("secret")
    return SubscriptionOut(
        **{**values, "areas": list(subscription.areas), "languages": list(subscription.languages)}
    )
