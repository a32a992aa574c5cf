"""The embedded system (`airwarn up`) for end-to-end tests: four services, in-memory bus,
SQLite in a temporary directory, reached over HTTP through ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.app import build_app
from shared.settings import SERVICE_NAMES, load_settings


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    settings = load_settings(bus="memory", var_dir=tmp_path, outbox_poll_seconds=0.05)
    made = build_app(settings, SERVICE_NAMES)
    async with made.router.lifespan_context(made):
        yield made


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://airwarn") as made:
        yield made
