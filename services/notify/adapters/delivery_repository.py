"""Subscriptions and the delivery log."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.orm import deliveries, subscriptions
from services.notify.domain.delivery import Delivery
from services.notify.domain.subscriptions import Subscription

HEALTH_STATES = ("delivered", "pending", "failing", "dead")


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_subscription(self, subscription: Subscription) -> None:
        values = asdict(subscription)
        values["areas"] = list(subscription.areas)
        values["languages"] = list(subscription.languages)
        await self._session.execute(insert(subscriptions).values(**values))

    async def subscriptions(self, *, active: bool | None = True) -> list[Subscription]:
        query = select(subscriptions).order_by(subscriptions.c.subscription_id)
        if active is not None:
            query = query.where(subscriptions.c.active == active)
        return [_to_subscription(row) for row in await self._session.execute(query)]

    async def subscription(self, subscription_id: str) -> Subscription | None:
        query = select(subscriptions).where(subscriptions.c.subscription_id == subscription_id)
        row = (await self._session.execute(query)).first()
        return _to_subscription(row) if row else None

    async def deactivate(self, subscription_id: str) -> None:
        await self._session.execute(
            update(subscriptions)
            .where(subscriptions.c.subscription_id == subscription_id)
            .values(active=False)
        )

    async def next_seqs(self, subscription_ids: list[str]) -> dict[str, int]:
        """Each subscription's next delivery seq, in one query."""
        rows = await self._session.execute(
            select(deliveries.c.subscription_id, func.max(deliveries.c.seq))
            .where(deliveries.c.subscription_id.in_(subscription_ids))
            .group_by(deliveries.c.subscription_id)
        )
        last = {str(sid): int(seq) for sid, seq in rows}
        return {sid: last.get(sid, 0) + 1 for sid in subscription_ids}

    async def add_delivery(self, delivery: Delivery) -> None:
        await self._session.execute(insert(deliveries).values(**asdict(delivery)))

    async def save(self, delivery: Delivery) -> None:
        values = asdict(delivery)
        await self._session.execute(
            update(deliveries)
            .where(deliveries.c.delivery_id == delivery.delivery_id)
            .values(**values)
        )

    async def heads(self, now: dt.datetime) -> list[Delivery]:
        """Each subscriber's oldest pending delivery, when it is due: a later one never
        overtakes it."""
        first = (
            select(deliveries.c.subscription_id, func.min(deliveries.c.seq).label("seq"))
            .where(deliveries.c.status == "pending")
            .group_by(deliveries.c.subscription_id)
            .subquery()
        )
        rows = await self._session.execute(
            select(deliveries)
            .join(
                first,
                (first.c.subscription_id == deliveries.c.subscription_id)
                & (first.c.seq == deliveries.c.seq),
            )
            .where(deliveries.c.next_attempt_at <= now)
            .order_by(deliveries.c.next_attempt_at)
        )
        return [_to_delivery(row) for row in rows]

    async def of_bulletin(self, bulletin_id: str) -> list[Delivery]:
        rows = await self._session.execute(
            select(deliveries)
            .where(deliveries.c.bulletin_id == bulletin_id)
            .order_by(deliveries.c.subscription_id)
        )
        return [_to_delivery(row) for row in rows]

    async def of_subscription(self, subscription_id: str) -> list[Delivery]:
        rows = await self._session.execute(
            select(deliveries)
            .where(deliveries.c.subscription_id == subscription_id)
            .order_by(deliveries.c.seq)
        )
        return [_to_delivery(row) for row in rows]

    async def health(self) -> dict[str, dict[str, int]]:
        """Deliveries per channel and state: delivered, pending (not tried yet), failing
        (tried, failed, waiting to retry) and dead (given up after 24 h)."""
        tried = (deliveries.c.attempts > 0).label("tried")
        rows = await self._session.execute(
            select(subscriptions.c.channel, deliveries.c.status, tried, func.count())
            .join(subscriptions, subscriptions.c.subscription_id == deliveries.c.subscription_id)
            .group_by(subscriptions.c.channel, deliveries.c.status, tried)
        )
        counts: dict[str, dict[str, int]] = {}
        for channel, status, was_tried, count in rows:
            state = "failing" if status == "pending" and was_tried else status
            per = counts.setdefault(channel, dict.fromkeys(HEALTH_STATES, 0))
            per[state] = per.get(state, 0) + int(count)
        return counts


def _to_subscription(row: Any) -> Subscription:
    values = dict(row._mapping)
    values["areas"] = tuple(values["areas"])
    values["languages"] = tuple(values["languages"])
    return Subscription(**values)


def _to_delivery(row: Any) -> Delivery:
    return Delivery(**{k: v for k, v in row._mapping.items() if k in Delivery.__dataclass_fields__})
