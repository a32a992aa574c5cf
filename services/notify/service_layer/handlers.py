"""Notify handlers: one async function per event, command or query; every change audited."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, replace

from services.notify.domain.model import Bulletin, compose
from services.notify.domain.notices import notices_for
from services.notify.domain.subscriptions import Subscription, check_subscription
from services.notify.service_layer.delivery import DeliveryQueue, fan_out, fan_out_notice
from services.notify.service_layer.unit_of_work import NotifyUnitOfWork
from shared.contracts.payloads import BulletinPublished, ResponseTasks, WarningChanged
from shared.contracts.topics import BULLETIN_PUBLISHED
from shared.db.audit import digest
from shared.errors import NotFound


async def on_warning_changed(change: WarningChanged, uow: NotifyUnitOfWork) -> None:
    earlier = await uow.bulletins.of_episode(change.area, change.episode_id)
    bulletin = compose(change, bulletin_id=str(uuid.uuid4()), earlier=earlier)
    await uow.bulletins.add(bulletin)
    await uow.record("bulletin", bulletin.bulletin_id, "published", None, _summary(bulletin))
    await fan_out(bulletin, change.previous_level, uow)
    await uow.publish(
        BULLETIN_PUBLISHED,
        BulletinPublished(
            area=bulletin.area,
            bulletin_id=bulletin.bulletin_id,
            warning_id=bulletin.warning_id,
            msg_type=bulletin.msg_type,
            level=change.level,
            references=list(bulletin.references),
            languages=["zh-CN", "en-US"],
            headline_zh=bulletin.headline_zh,
            headline_en=bulletin.headline_en,
            text_zh=bulletin.text_zh,
            text_en=bulletin.text_en,
            published_at=bulletin.published_at,
            cap_xml=bulletin.cap_xml,
        ),
    )


async def on_task_changes(tasks: ResponseTasks, uow: NotifyUnitOfWork) -> None:
    """Tell each unit what it is asked to do, or may stop doing (plan §4.2, Annex 1)."""
    notices = notices_for(tasks, at=dt.datetime.now(dt.UTC))
    new = await uow.notices.add_new(notices)
    queue = await DeliveryQueue.load(uow) if new else None
    for notice in notices:
        # a redelivered event's notices are already there, and were sent then
        if queue is not None and notice.notice_id in new:
            new.discard(notice.notice_id)
            await uow.record("notice", notice.notice_id, "created", None, notice)
            await fan_out_notice(notice, queue)


async def subscribe(subscription: Subscription, uow: NotifyUnitOfWork) -> None:
    check_subscription(subscription)
    await uow.deliveries.add_subscription(subscription)
    await uow.record(
        "subscription", subscription.subscription_id, "created", None, _redacted(subscription)
    )
    await uow.commit()


async def unsubscribe(subscription_id: str, uow: NotifyUnitOfWork) -> None:
    found = await uow.deliveries.subscription(subscription_id)
    if found is None:
        raise NotFound(f"no subscription {subscription_id}")
    await uow.deliveries.deactivate(subscription_id)
    await uow.record(
        "subscription",
        subscription_id,
        "removed",
        _redacted(found),
        _redacted(replace(found, active=False)),
    )
    await uow.commit()


def _summary(bulletin: Bulletin) -> dict[str, object]:
    """The bulletin without its bulky renderings, which a digest binds instead."""
    bulky = ("text_zh", "text_en", "cap_xml", "html")
    kept = {k: v for k, v in asdict(bulletin).items() if k not in bulky}
    return {**kept, "content_sha256": digest({k: getattr(bulletin, k) for k in bulky})}


def _redacted(subscription: Subscription) -> dict[str, object]:
    # the webhook signing secret stays out of the log; only whether there is one
    return {**asdict(subscription), "secret": "(set)" if subscription.secret else ""}


async def list_bulletins(uow: NotifyUnitOfWork, *, area: str | None, limit: int) -> list[Bulletin]:
    return await uow.bulletins.recent(area=area, limit=limit)
