from __future__ import annotations

from typing import Self

from services.response.adapters.evaluation_repository import EvaluationRepository
from services.response.adapters.inventory_repository import InventoryRepository
from services.response.adapters.repository import ResponseRepository
from shared.db.uow import SqlUnitOfWork


class ResponseUnitOfWork(SqlUnitOfWork):
    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.responses = ResponseRepository(self.session)
        self.inventories = InventoryRepository(self.session)
        self.evaluation = EvaluationRepository(self.session)
        return self
