"""Fan a bulletin out to its subscribers, and work through the delivery queue."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from services.notify.adapters.channels import ChannelAdapter
from services.notify.adapters.delivery_repository import HEALTH_STATES
from services.notify.domain.delivery import FIRST_RETRY, Attempt, Delivery, after_attempt, closed
from services.notify.domain.model import Bulletin
from services.notify.domain.notices import Notice
from services.notify.domain.subscriptions import CHANNELS, Subscription, concerns
from services.notify.service_layer.unit_of_work import NotifyUnitOfWork
from shared.observability import metrics

log = logging.getLogger(__name__)
RECORD_RETRY_MAX_SECONDS = 5.0


@dataclass(frozen=True)
class BulletinMessage:
    """A bulletin as one delivery carries it."""

    bulletin: Bulletin
    delivery_id: str

    @property
    def bulletin_id(self) -> str:
        return self.bulletin.bulletin_id

    def as_json(self, languages: tuple[str, ...]) -> dict[str, object]:
        b = self.bulletin
        body: dict[str, object] = {
            "bulletin_id": b.bulletin_id,
            "area": b.area,
            "msg_type": b.msg_type,
            "level": b.level,
            "warning_id": b.warning_id,
            "references": list(b.references),
            "published_at": b.published_at.isoformat(),
            "languages": list(languages),
            "cap_xml": b.cap_xml,
        }
        if "zh-CN" in languages:
            body["zh-CN"] = {"headline": b.headline_zh, "text": b.text_zh}
        if "en-US" in languages:
            body["en-US"] = {"headline": b.headline_en, "text": b.text_en}
        return body

    def as_text(self, languages: tuple[str, ...]) -> str:
        parts = []
        if "zh-CN" in languages:
            parts.append(self.bulletin.text_zh)
        if "en-US" in languages:
            parts.append(self.bulletin.text_en)
        return "\n\n".join(parts)

    def subject(self, languages: tuple[str, ...]) -> str:
        return self.bulletin.headline_zh if "zh-CN" in languages else self.bulletin.headline_en


@dataclass(frozen=True)
class NoticeMessage:
    """A unit's task notice as one delivery carries it."""

    notice: Notice
    delivery_id: str

    @property
    def bulletin_id(self) -> str:
        return self.notice.notice_id

    def as_json(self, languages: tuple[str, ...]) -> dict[str, object]:
        n = self.notice
        body: dict[str, object] = {
            "notice_id": n.notice_id,
            "unit": n.unit,
            "area": n.area,
            "episode_id": n.episode_id,
            "warning_id": n.warning_id,
            "tasks": [line.as_json() for line in n.lines],
        }
        for language in languages:
            body[language] = {"headline": n.headline(language), "text": n.text(language)}
        return body

    def as_text(self, languages: tuple[str, ...]) -> str:
        return "\n\n".join(self.notice.text(language) for language in languages)

    def subject(self, languages: tuple[str, ...]) -> str:
        return self.notice.headline(languages[0])


class DeliveryQueue:
    """Queues one message's deliveries: the active subscriptions are read once per message,
    not once per notice, and each subscriber's next seq once, then counted on here (the
    transaction is the only writer of its deliveries until it commits)."""

    def __init__(self, uow: NotifyUnitOfWork, subscriptions: list[Subscription]) -> None:
        self._uow = uow
        self.subscriptions = subscriptions
        self._next: dict[str, int] = {}

    @classmethod
    async def load(cls, uow: NotifyUnitOfWork) -> DeliveryQueue:
        return cls(uow, await uow.deliveries.subscriptions())

    async def queue(
        self,
        wanted: list[Subscription],
        message_id: str,
        kind: Literal["bulletin", "notice"],
    ) -> None:
        """A pending delivery per subscriber in ``wanted``, behind its earlier ones."""
        unseen = [s.subscription_id for s in wanted if s.subscription_id not in self._next]
        if unseen:
            self._next.update(await self._uow.deliveries.next_seqs(unseen))
        # The 24 hours of retries run from now, not from the message's event time: a
        # bulletin of a late or replayed warning still gets its full day.
        for subscription in wanted:
            queued = dt.datetime.now(dt.UTC)
            seq = self._next[subscription.subscription_id]
            self._next[subscription.subscription_id] = seq + 1
            delivery = Delivery(
                delivery_id=str(uuid.uuid4()),
                bulletin_id=message_id,
                subscription_id=subscription.subscription_id,
                seq=seq,
                status="pending",
                created_at=queued,
                next_attempt_at=queued,
                kind=kind,
            )
            await self._uow.deliveries.add_delivery(delivery)
            await self._uow.record("delivery", delivery.delivery_id, "queued", None, delivery)


async def fan_out_notice(notice: Notice, queue: DeliveryQueue) -> int:
    """One delivery of ``notice`` per active subscription of its unit."""
    wanted = [s for s in queue.subscriptions if s.unit == notice.unit]
    await queue.queue(wanted, notice.notice_id, "notice")
    return len(wanted)


async def fan_out(bulletin: Bulletin, previous: str | None, uow: NotifyUnitOfWork) -> int:
    """One delivery per subscriber the bulletin concerns."""
    queue = await DeliveryQueue.load(uow)
    wanted = [
        s
        for s in queue.subscriptions
        if concerns(s, area=bulletin.area, level=bulletin.level, previous=previous)
    ]
    await queue.queue(wanted, bulletin.bulletin_id, "bulletin")
    return len(wanted)


async def deliver_due(
    uow_factory: Callable[[], NotifyUnitOfWork],
    channels: Mapping[str, ChannelAdapter],
    *,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    rng: random.Random | None = None,
    first_retry: dt.timedelta = FIRST_RETRY,
) -> int:
    """Attempt every subscriber's next due delivery, until none is due; no transaction is
    held open while a channel is waiting on the network."""
    chance = rng or random.Random()
    attempted = 0
    while True:
        async with uow_factory() as uow:
            heads = await uow.deliveries.heads(now())
            work: list[tuple[Delivery, Subscription, BulletinMessage | NoticeMessage]] = []
            done: list[tuple[Delivery, Delivery]] = []
            for delivery in heads:
                try:
                    subscription = await uow.deliveries.subscription(delivery.subscription_id)
                    message = await _message(delivery, uow)
                except Exception as exc:  # a row this version cannot read: retry it later
                    log.exception("could not load a delivery", extra=_ids(delivery))
                    failed = Attempt(False, None, _reason("could not load it", exc), 0.0)
                    done.append(
                        (delivery, after_attempt(delivery, failed, now(), chance, first_retry))
                    )
                    continue
                if subscription is None or not subscription.active:
                    done.append((delivery, closed(delivery, "the subscription was removed")))
                elif message is None:
                    done.append((delivery, closed(delivery, "its message no longer exists")))
                else:
                    work.append((delivery, subscription, message))
        if not work and not done:
            return attempted
        for before, after in done:
            await _record_attempt(uow_factory, before, after)
        for delivery, subscription, message in work:
            attempt = await _attempt(channels, subscription, message)
            updated = after_attempt(delivery, attempt, now(), chance, first_retry)
            await _record_attempt(uow_factory, delivery, updated)
            metrics.deliveries.labels(subscription.channel, updated.status).inc()
            attempted += 1


async def _attempt(
    channels: Mapping[str, ChannelAdapter],
    subscription: Subscription,
    message: BulletinMessage | NoticeMessage,
) -> Attempt:
    """One attempt; whatever goes wrong in it (a bad address, encoding, DNS, TLS, a bug in a
    channel) fails this delivery alone, never the rest of the queue."""
    channel = channels.get(subscription.channel)
    if channel is None:
        return Attempt(False, None, f"no channel {subscription.channel!r}", 0.0, permanent=True)
    started = time.perf_counter()
    try:
        return await channel.send(subscription, message)
    except Exception as exc:
        log.exception(
            "a delivery attempt failed", extra={"subscription_id": subscription.subscription_id}
        )
        return Attempt(False, None, _reason("failed", exc), (time.perf_counter() - started) * 1000)


def _reason(what: str, exc: Exception) -> str:
    return f"{what}: {type(exc).__name__}: {exc}"[:200]


def _ids(delivery: Delivery) -> dict[str, str]:
    return {"delivery_id": delivery.delivery_id, "subscription_id": delivery.subscription_id}


async def _record_attempt(
    uow_factory: Callable[[], NotifyUnitOfWork], before: Delivery, after: Delivery
) -> None:
    """Keep the attempt's outcome until the database takes it: were it dropped (the
    database restarting, say), a delivered message would be sent again."""
    delay = 0.1
    while True:
        try:
            async with uow_factory() as uow:
                await uow.deliveries.save(after)
                await uow.record("delivery", before.delivery_id, _outcome(after), before, after)
                await uow.commit()
            return
        except Exception:
            log.exception(
                "could not record a delivery attempt; retrying",
                extra={"delivery_id": before.delivery_id, "retry_in": delay},
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECORD_RETRY_MAX_SECONDS)


def _outcome(delivery: Delivery) -> str:
    if delivery.status == "delivered":
        return "delivered"
    if delivery.status == "dead" and delivery.attempts == 0:
        return "closed"
    return "dead-lettered" if delivery.status == "dead" else "attempt-failed"


async def report_states(uow_factory: Callable[[], NotifyUnitOfWork]) -> None:
    """Set ``airwarn_deliveries`` (channel, status) from the delivery log."""
    async with uow_factory() as uow:
        counts = await uow.deliveries.health()
    for channel in CHANNELS:
        for state in HEALTH_STATES:
            count = counts.get(channel, {}).get(state, 0)
            metrics.delivery_states.labels(channel, state).set(count)


async def _message(
    delivery: Delivery, uow: NotifyUnitOfWork
) -> BulletinMessage | NoticeMessage | None:
    if delivery.kind == "notice":
        notice = await uow.notices.get(delivery.bulletin_id)
        return NoticeMessage(notice, delivery.delivery_id) if notice else None
    bulletin = await uow.bulletins.get(delivery.bulletin_id)
    return BulletinMessage(bulletin, delivery.delivery_id) if bulletin else None
