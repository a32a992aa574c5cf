from __future__ import annotations

from typing import Self

from services.forecast.adapters.duty_repository import DutyRepository
from services.forecast.adapters.repository import ForecastRepository
from shared.db.uow import SqlUnitOfWork


class ForecastUnitOfWork(SqlUnitOfWork):
    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.forecasts = ForecastRepository(self.session)
        self.duty = DutyRepository(self.session)
        return self
