from __future__ import annotations

from typing import Self

from services.alerting.adapters.repository import SeriesRepository
from services.alerting.adapters.warning_repository import WarningRepository
from shared.db.uow import SqlUnitOfWork


class AlertingUnitOfWork(SqlUnitOfWork):
    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.series = SeriesRepository(self.session)
        self.warnings = WarningRepository(self.session)
        return self
