"""The HTTP shell shared by every service: error mapping, health, readiness, metrics."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from shared.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Rejected,
    Unauthenticated,
    UnsupportedMediaType,
)
from shared.limits import BodySizeLimit
from shared.observability.tracing import TraceRequests
from shared.runtime import ServiceRuntime
from shared.text_guard import RefuseNul

log = logging.getLogger(__name__)


class ReadyOut(BaseModel):
    ready: bool
    checks: dict[str, bool]
    #: the checks that failed, by name (``database:<service>``, ``bus``)
    down: list[str]


def create_app(
    *,
    title: str,
    runtimes: Sequence[ServiceRuntime[Any]],
    routers: dict[str, APIRouter],
    on_startup: Callable[[], Awaitable[None]],
    on_shutdown: Callable[[], Awaitable[None]],
    bus_ready: Callable[[], Awaitable[bool]],
    max_body_bytes: int = 5_000_000,
    body_read_timeout: float = 30.0,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Which databases this process uses (passwords masked by the log filter).
        log.info(
            "starting %s", title, extra={"databases": {rt.name: rt.database_url for rt in runtimes}}
        )
        await on_startup()
        try:
            yield
        finally:
            await on_shutdown()

    app = FastAPI(title=title, lifespan=lifespan)
    # No CORS middleware: browsers on other origins are refused by default (issue 7).
    # Inside the size limit, so a body is capped before it is looked through for NULs.
    app.add_middleware(RefuseNul)
    app.add_middleware(BodySizeLimit, limit=max_body_bytes, read_timeout=body_read_timeout)
    # Added last, so outermost: even a refused body gets its trace id.
    app.add_middleware(TraceRequests)
    for prefix, router in routers.items():
        app.include_router(router, prefix=f"/{prefix}")

    @app.get("/healthz", tags=["platform"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["platform"],
        response_model=ReadyOut,
        responses={503: {"model": ReadyOut, "description": "a database or the bus is unreachable"}},
    )
    async def readyz() -> JSONResponse:
        checks = {f"database:{rt.name}": await rt.database_ready() for rt in runtimes}
        checks["bus"] = await bus_ready()
        down = [name for name, ok in checks.items() if not ok]
        return JSONResponse(
            {"ready": not down, "checks": checks, "down": down}, status_code=503 if down else 200
        )

    @app.get("/metrics", tags=["platform"], response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        for runtime in runtimes:
            if runtime.relay is not None:
                await runtime.relay.backlog()
        return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)

    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    async def rejected(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    async def conflict(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    async def stale(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=412)

    async def not_found(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    async def unauthenticated(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )

    async def unsupported(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=415)

    async def forbidden(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    async def unreadable(request: Request, exc: Exception) -> Response:
        http_error = cast(HTTPException, exc)
        # FastAPI answers a JSON body that is not even text (not UTF-8) with a bare 400;
        # bad input here is a 422 that says what is wrong, like every other.
        if http_error.status_code == 400 and http_error.__cause__ is not None:
            return JSONResponse(
                {"detail": f"body: not JSON: {http_error.__cause__}"}, status_code=422
            )
        return await http_exception_handler(request, http_error)

    async def does_not_fit(_request: Request, exc: Exception) -> JSONResponse:
        # A value the request models let through but a column cannot hold (PostgreSQL's
        # data exceptions, SQLSTATE class 22) is the caller's input, not our failure; the
        # database's own message may quote internals, so it stays in the log.
        log.warning("value refused by the database", exc_info=exc)
        return JSONResponse(
            {
                "detail": "a value in the request does not fit what the system stores "
                "(too long, out of range or not valid text)"
            },
            status_code=422,
        )

    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    async def invalid(request: Request, exc: Exception) -> Response:
        # FastAPI's own answer, but a NaN or infinite input (issue 12: "not a finite number")
        # is echoed as text: JSON has no token for it, and rendering it would be a 500.
        issues = cast(RequestValidationError, exc).errors()
        for issue in issues:
            value = issue.get("input")
            if isinstance(value, float) and not math.isfinite(value):
                issue["input"] = repr(value)
        return await request_validation_exception_handler(request, RequestValidationError(issues))

    app.add_exception_handler(Rejected, rejected)
    app.add_exception_handler(Conflict, conflict)
    app.add_exception_handler(PreconditionFailed, stale)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Unauthenticated, unauthenticated)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(UnsupportedMediaType, unsupported)
    app.add_exception_handler(HTTPException, unreadable)
    app.add_exception_handler(DataError, does_not_fit)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, unexpected)
