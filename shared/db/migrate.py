"""Alembic, driven from code: one migration history per service.

Each service keeps its history in ``services/<name>/adapters/migrations`` and
its own version table, ``<name>_alembic_version``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db.engine import ensure_sqlite_directory

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(SERVICES_DIR / service / "adapters" / "migrations")
    )
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["service"] = service
    return config


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Bring ``service``'s tables at ``url`` up to ``revision`` (blocking; run in a thread)."""
    ensure_sqlite_directory(url)
    command.upgrade(alembic_config(service, url), revision)


def version_table(service: str) -> str:
    return f"{service}_alembic_version"


def owned_by(service: str) -> Callable[[str | None, str, Any], bool]:
    """An alembic ``include_name`` filter: only ``service``'s own tables, so that
    autogenerate never proposes to drop another service's tables in a shared database."""

    def include(name: str | None, type_: str, _parent: Any) -> bool:
        return type_ != "table" or (name or "").startswith(f"{service}_")

    return include


def run_env(metadata: MetaData) -> None:
    """The body of every service's ``env.py``."""
    config = context.config
    service = config.attributes.get("service") or config.get_main_option("service")
    if not service:
        raise RuntimeError("alembic config lacks the service name")
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic config lacks sqlalchemy.url")

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=version_table(service),
            include_name=owned_by(service),
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(main())
