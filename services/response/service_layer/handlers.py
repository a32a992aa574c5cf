"""Response handlers: one async function per event or query."""

from __future__ import annotations

from services.response.domain.model import Response, apply_change, report_task
from services.response.service_layer.unit_of_work import ResponseUnitOfWork
from shared.contracts.payloads import ResponseTasks, WarningChanged
from shared.contracts.topics import RESPONSE_TASKS


async def on_warning_changed(change: WarningChanged, uow: ResponseUnitOfWork) -> None:
    response = apply_change(await uow.responses.latest(change.area), change)
    await uow.responses.save(response)
    task = report_task(change, response)
    if task is not None:
        await uow.responses.add_task(response.episode_id, change.area, task)
        await uow.publish(
            RESPONSE_TASKS,
            ResponseTasks(
                area=change.area,
                episode_id=response.episode_id,
                warning_id=change.warning_id,
                changes=[task],
            ),
        )


async def list_responses(
    uow: ResponseUnitOfWork, *, area: str | None = None, active: bool | None = None
) -> list[Response]:
    return await uow.responses.all(area=area, active=active)


async def list_tasks(
    uow: ResponseUnitOfWork, *, unit: str | None = None, area: str | None = None
) -> list[dict[str, object]]:
    return await uow.responses.tasks(unit=unit, area=area)
