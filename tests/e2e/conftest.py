"""The embedded system (`airwarn up`) for end-to-end tests: four services, in-memory bus,
SQLite in a temporary directory, reached over HTTP through ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.app import build_app
from shared.settings import SERVICE_NAMES, load_settings


@asynccontextmanager
async def embedded(tmp_path: Path, **overrides: Any) -> AsyncIterator[FastAPI]:
    # the tests' webhook receivers listen on loopback, which production refuses
    overrides.setdefault("webhook_allow_hosts", ("127.0.0.1",))
    settings = load_settings(bus="memory", var_dir=tmp_path, outbox_poll_seconds=0.05, **overrides)
    made = build_app(settings, SERVICE_NAMES)
    async with made.router.lifespan_context(made):
        yield made


@asynccontextmanager
async def http_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://airwarn") as made:
        yield made


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    async with embedded(tmp_path) as made:
        yield made


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as made:
        yield made


@pytest.fixture
async def rehearsal(tmp_path: Path) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The embedded system with every proposal approved at once, as in a rehearsal, so a
    forecast becomes a warning without a person."""
    async with embedded(tmp_path, alerting_auto_approve=True) as made, http_client(made) as client:
        yield made, client
