from __future__ import annotations

from typing import Self

from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.adapters.repository import BulletinRepository, NoticeRepository
from shared.db.uow import SqlUnitOfWork


class NotifyUnitOfWork(SqlUnitOfWork):
    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.bulletins = BulletinRepository(self.session)
        self.deliveries = DeliveryRepository(self.session)
        self.notices = NoticeRepository(self.session)
        return self
