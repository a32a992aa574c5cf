"""Every service's migration history upgrades from empty, on SQLite and on PostgreSQL,
and leaves exactly the tables its ORM metadata describes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect
from sqlalchemy.engine import make_url

from services.alerting.adapters.orm import metadata as alerting_metadata
from services.forecast.adapters.orm import metadata as forecast_metadata
from services.notify.adapters.orm import metadata as notify_metadata
from services.response.adapters.orm import metadata as response_metadata
from shared.db.migrate import owned_by, upgrade, version_table
from tests.stack import admin_sql

METADATA: dict[str, MetaData] = {
    "forecast": forecast_metadata,
    "alerting": alerting_metadata,
    "response": response_metadata,
    "notify": notify_metadata,
}


def _check_schema(sync_url: str, service: str) -> None:
    engine = create_engine(sync_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"version_table": version_table(service), "include_name": owned_by(service)},
            )
            diff: list[Any] = compare_metadata(context, METADATA[service])
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert not diff, f"{service}: migrations and ORM disagree: {diff}"
    expected = set(METADATA[service].tables) | {version_table(service)}
    assert expected <= tables, f"{service}: missing {expected - tables}"


@pytest.mark.parametrize("service", sorted(METADATA))
def test_migrations_upgrade_from_empty_on_sqlite(service: str, tmp_path: Path) -> None:
    path = tmp_path / f"{service}.db"
    upgrade(service, f"sqlite+aiosqlite:///{path}")
    upgrade(service, f"sqlite+aiosqlite:///{path}")  # a second run is a no-op
    _check_schema(f"sqlite:///{path}", service)


def test_services_sharing_one_database_keep_apart(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/shared.db"
    for service in METADATA:
        upgrade(service, url)
    for service in METADATA:
        _check_schema(f"sqlite:///{tmp_path}/shared.db", service)


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A new, empty database on the real server, dropped afterwards."""
    name = f"airwarn_mig_{uuid.uuid4().hex[:10]}"
    admin = make_url(postgres_url)
    asyncio.run(admin_sql(admin.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(
            admin_sql(
                admin.render_as_string(hide_password=False), f'DROP DATABASE "{name}" WITH (FORCE)'
            )
        )


@pytest.mark.postgres
def test_migrations_upgrade_from_empty_on_postgresql(postgres_database: str) -> None:
    for service in METADATA:
        upgrade(service, postgres_database)
        upgrade(service, postgres_database)
    for service in METADATA:
        asyncio.run(_check_schema_async(postgres_database, service))


async def _check_schema_async(url: str, service: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.connect() as connection:

        def compare(sync_connection: Any) -> tuple[list[Any], set[str]]:
            context = MigrationContext.configure(
                sync_connection,
                opts={"version_table": version_table(service), "include_name": owned_by(service)},
            )
            return compare_metadata(context, METADATA[service]), set(
                inspect(sync_connection).get_table_names()
            )

        diff, tables = await connection.run_sync(compare)
    await engine.dispose()
    assert not diff, f"{service}: migrations and ORM disagree on PostgreSQL: {diff}"
    assert set(METADATA[service].tables) <= tables
