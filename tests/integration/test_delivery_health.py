"""The delivery-health read behind the console (GET /notify/deliveries/health): counts per
channel and state, the same on SQLite and on PostgreSQL (its GROUP BY on a boolean)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.adapters.orm import metadata
from services.notify.domain.delivery import Delivery
from services.notify.domain.subscriptions import Subscription

NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


async def _fill_and_count(engine: AsyncEngine) -> dict[str, dict[str, int]]:
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    sessions = async_sessionmaker(engine)
    async with sessions() as session:
        repo = DeliveryRepository(session)
        hook = Subscription("s-hook", "city", "webhook", "http://127.0.0.1:9/h", ("all",))
        sms = Subscription("s-sms", "gateway", "sms", "http://127.0.0.1:9/s", ("all",))
        for subscription in (hook, sms):
            await repo.add_subscription(subscription)
        states = {
            hook: [("delivered", 1), ("delivered", 2), ("pending", 0), ("dead", 30)],
            sms: [("pending", 3), ("pending", 0), ("pending", 0)],
        }
        for subscription, made in states.items():
            for seq, (status, attempts) in enumerate(made, start=1):
                await repo.add_delivery(
                    Delivery(
                        delivery_id=str(uuid.uuid4()),
                        bulletin_id=f"b-{seq}",
                        subscription_id=subscription.subscription_id,
                        seq=seq,
                        status=status,  # type: ignore[arg-type]
                        created_at=NOW,
                        next_attempt_at=NOW,
                        attempts=attempts,
                    )
                )
        await session.commit()
        return await repo.health()


EXPECTED = {
    "webhook": {"delivered": 2, "pending": 1, "failing": 0, "dead": 1},
    "sms": {"delivered": 0, "pending": 2, "failing": 1, "dead": 0},
}


async def test_health_counts_on_sqlite(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/notify.db")
    try:
        assert await _fill_and_count(engine) == EXPECTED
    finally:
        await engine.dispose()


@pytest.fixture
async def postgres_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    name = f"airwarn_health_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(postgres_url).render_as_string(hide_password=False)
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_async_engine(
        make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    )
    try:
        yield engine
    finally:
        await engine.dispose()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.mark.postgres
async def test_health_counts_on_postgresql(postgres_engine: AsyncEngine) -> None:
    assert await _fill_and_count(postgres_engine) == EXPECTED
