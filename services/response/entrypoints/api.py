"""HTTP API under /response: responses, the task board and its lifecycle, inventories.

No ``from __future__ import annotations``: FastAPI must see the ``Caller`` dependency,
local to the router, as an object.
"""

import asyncio
import datetime as dt
from collections import defaultdict
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError

from services.response.adapters.report_rendering import chart_png, report_html
from services.response.domain.inventory import Source, WarningLevel
from services.response.domain.inventory_csv import parse_inventory_csv
from services.response.domain.tasks import ACTIVE, Task
from services.response.service_layer import evaluation, handlers, inventory
from services.response.service_layer.unit_of_work import ResponseUnitOfWork
from shared.auth import Principal, TokenStore
from shared.auth.http import bearer
from shared.contracts.strict import Number, StrictModel
from shared.error_responses import errors
from shared.errors import NotFound, PreconditionFailed, Rejected, UnsupportedMediaType
from shared.runtime import ServiceRuntime

MAX_UPLOAD_BYTES = 5_000_000
TaskStatus = Literal["open", "acknowledged", "in_progress", "done", "stood_down"]


class ResponseOut(BaseModel):
    area: str
    episode_id: str
    warning_level: str
    response_level: str
    pollutant: str | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    actions: list[str]


class TaskOut(BaseModel):
    task_id: str
    episode_id: str
    warning_id: str
    area: str
    measure_id: str
    kind: str
    unit: str
    level: str
    status: str
    due: dt.datetime
    overdue: bool
    assigned_at: dt.datetime
    note: str | None
    progress: str | None
    acknowledged_at: dt.datetime | None
    completed_at: dt.datetime | None
    stood_down_at: dt.datetime | None
    #: the task's version; its ETag is this number in quotes (send it as If-Match)
    version: int

    @classmethod
    def of(cls, task: Task, now: dt.datetime) -> "TaskOut":
        values = asdict(task)
        values.pop("reminded_at")
        return cls(**values, overdue=task.overdue(now))


def etag(task: Task) -> str:
    return f'"{task.version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` header names; None for no header or ``*`` (any).

    A task's ETag is strong, so a weak tag (``W/"3"``) never matches (RFC 9110 §13.1.1);
    neither does a tag that is not one of ours."""
    if if_match is None or if_match.strip() == "*":
        return None
    tags = [tag.strip() for tag in if_match.split(",")]
    for tag in tags:
        inner = tag[1:-1] if len(tag) >= 2 and tag[0] == tag[-1] == '"' else ""
        if inner.isdigit() and len(inner) < 10:
            return int(inner)
    raise PreconditionFailed(
        f"If-Match {if_match[:60]!r} names no version of this task: GET it for its ETag"
    )


IfMatch = Annotated[
    str | None,
    Header(
        description='the task\'s ETag as read (e.g. "3"): the change applies only if the '
        "task is still at that version, else 412. Without it the change applies to the "
        "task as it is (re-read and worked out once more if a parallel change got in first).",
        max_length=200,
    ),
]


class NoteIn(StrictModel):
    note: str | None = Field(default=None, max_length=4000)


class SourceIn(StrictModel):
    source_id: str = Field(min_length=1, max_length=100)
    name: str
    kind: Literal["enterprise", "mobile", "dust"]
    sector: str
    grade: str
    key_industry: bool = False
    routine: bool = False
    baseline: dict[Literal["so2", "nox", "pm", "vocs"], Number]
    reductions: dict[
        Literal["yellow", "orange", "red"], dict[Literal["so2", "nox", "pm", "vocs"], Number]
    ] = Field(default_factory=dict)


class InventoryIn(StrictModel):
    sources: list[SourceIn] = Field(max_length=100_000)


class InventoryOut(BaseModel):
    district: str
    version: int
    sources: list[SourceIn]


def router(runtime: ServiceRuntime[ResponseUnitOfWork], tokens: TokenStore) -> APIRouter:
    api = APIRouter(tags=["response"], responses=errors(422))

    Caller = Annotated[Principal, Depends(bearer(tokens))]

    @api.get("/responses", response_model=list[ResponseOut])
    async def responses(area: str | None = None, active: bool | None = None) -> list[ResponseOut]:
        async with runtime.uow() as uow:
            found = await handlers.list_responses(uow, area=area, active=active)
        return [ResponseOut(**{**asdict(r), "actions": list(r.actions)}) for r in found]

    @api.get("/tasks", response_model=list[TaskOut])
    async def tasks(
        unit: str | None = None,
        area: str | None = None,
        level: Literal["III", "II", "I"] | None = None,
        status: Annotated[list[TaskStatus] | None, Query()] = None,
    ) -> list[TaskOut]:
        """The task board: filter by unit, area, level and status; overdue tasks flagged."""
        async with runtime.uow() as uow:
            found = await handlers.list_tasks(uow, unit=unit, area=area, level=level, status=status)
        now = dt.datetime.now(dt.UTC)
        return [TaskOut.of(task, now) for task in found]

    @api.get("/reminders", response_model=dict[str, list[TaskOut]])
    async def reminders() -> dict[str, list[TaskOut]]:
        """Overdue tasks, grouped by unit."""
        now = dt.datetime.now(dt.UTC)
        async with runtime.uow() as uow:
            found = await handlers.list_tasks(uow, status=ACTIVE)
        grouped: dict[str, list[TaskOut]] = defaultdict(list)
        for task in found:
            if task.overdue(now):
                grouped[task.unit].append(TaskOut.of(task, now))
        return dict(grouped)

    tagged = {
        "ETag": {"description": "the task's version, for If-Match", "schema": {"type": "string"}}
    }

    @api.get(
        "/tasks/{task_id}",
        response_model=TaskOut,
        responses={200: {"headers": tagged}, **errors(404)},
    )
    async def task(task_id: str, response: Response) -> TaskOut:
        """One task, with its version as the ``ETag`` to send back as ``If-Match``."""
        async with runtime.uow() as uow:
            found = await uow.responses.task(task_id)
        if found is None:
            raise NotFound(f"no task {task_id}")
        response.headers["ETag"] = etag(found)
        return TaskOut.of(found, dt.datetime.now(dt.UTC))

    async def _change(
        task_id: str,
        action: str,
        principal: Principal,
        note: str | None,
        if_match: str | None,
        response: Response,
    ) -> TaskOut:
        wanted = expected_version(if_match)
        async with runtime.uow() as uow:
            done = await handlers.change_task(
                task_id, action, principal, uow, note=note, if_version=wanted
            )
        response.headers["ETag"] = etag(done)
        return TaskOut.of(done, dt.datetime.now(dt.UTC))

    changes = {200: {"headers": tagged}, **errors(401, 403, 404, 409, 412, 413)}

    @api.post("/tasks/{task_id}/acknowledge", response_model=TaskOut, responses=changes)
    async def acknowledge(
        task_id: str, principal: Caller, response: Response, if_match: IfMatch = None
    ) -> TaskOut:
        return await _change(task_id, "acknowledge", principal, None, if_match, response)

    @api.post("/tasks/{task_id}/progress", response_model=TaskOut, responses=changes)
    async def progress(
        task_id: str, body: NoteIn, principal: Caller, response: Response, if_match: IfMatch = None
    ) -> TaskOut:
        return await _change(task_id, "progress", principal, body.note, if_match, response)

    @api.post("/tasks/{task_id}/complete", response_model=TaskOut, responses=changes)
    async def complete(
        task_id: str, body: NoteIn, principal: Caller, response: Response, if_match: IfMatch = None
    ) -> TaskOut:
        return await _change(task_id, "complete", principal, body.note, if_match, response)

    @api.put(
        "/inventories/{district}",
        response_model=InventoryOut,
        responses=errors(401, 403, 404, 413, 415),
        openapi_extra={
            "requestBody": {
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "description": '{"sources": [...]} as in InventoryOut',
                        }
                    },
                }
            }
        },
    )
    async def import_inventory(district: str, request: Request, principal: Caller) -> InventoryOut:
        """Replace the district's inventory (CSV or JSON) as one new version."""
        raw = await request.body()
        if len(raw) > MAX_UPLOAD_BYTES:
            raise Rejected(f"the inventory is larger than {MAX_UPLOAD_BYTES} bytes")
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("text/csv"):
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise Rejected(f"the CSV is not UTF-8: {exc}") from exc
            sources = parse_inventory_csv(text)
        elif content_type.startswith("application/json"):
            try:
                body = InventoryIn.model_validate_json(raw)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(part) for part in first["loc"]) or "body"
                raise Rejected(f"{where}: {first['msg']}") from None
            sources = [Source(**s.model_dump()) for s in body.sources]
        else:
            raise UnsupportedMediaType("send the inventory as text/csv or application/json")
        async with runtime.uow() as uow:
            version = await inventory.import_inventory(district, sources, principal, uow)
        return InventoryOut(
            district=district, version=version, sources=[SourceIn(**asdict(s)) for s in sources]
        )

    @api.get("/inventories/{district}", response_model=InventoryOut)
    async def current_inventory(district: str) -> InventoryOut:
        async with runtime.uow() as uow:
            version, sources = await uow.inventories.current(district)
        return InventoryOut(
            district=district, version=version, sources=[SourceIn(**asdict(s)) for s in sources]
        )

    @api.get("/inventories/{district}/check", responses=errors(404))
    async def check(
        district: str,
        level: Literal["yellow", "orange", "red"] | None = None,
        pollutant: Literal["PM2.5", "O3"] | None = None,
    ) -> dict[str, object]:
        """Achieved reductions against the targets of the active (or given) level."""
        chosen: WarningLevel | None = level
        async with runtime.uow() as uow:
            version, result = await inventory.check_reductions(
                district, uow, level=chosen, pollutant=pollutant
            )
        return {"district": district, "version": version, **asdict(result)}

    @api.get("/reports/{episode_id}.html", response_class=HTMLResponse, responses=errors(404))
    async def report_page(episode_id: str) -> HTMLResponse:
        async with runtime.uow() as uow:
            made = await evaluation.episode_report(episode_id, uow)
        return HTMLResponse(report_html(made, f"{episode_id}/chart.png"))

    @api.get(
        "/reports/{episode_id}/chart.png",
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}, **errors(404)},
    )
    async def report_chart(episode_id: str) -> Response:
        async with runtime.uow() as uow:
            made = await evaluation.episode_report(episode_id, uow)
        png = await asyncio.to_thread(chart_png, made)
        return Response(png, media_type="image/png")

    # After the .html and chart routes: a bare {episode_id} would swallow them.
    @api.get("/reports/{episode_id}", responses=errors(404))
    async def report(episode_id: str) -> dict[str, object]:
        """The episode's evaluation (plan §6) as JSON."""
        async with runtime.uow() as uow:
            made = await evaluation.episode_report(episode_id, uow)
        return asdict(made)

    return api
