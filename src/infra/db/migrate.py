"""Apply the Alembic migrations (PostgreSQL) or create the schema (embedded SQLite)."""

import asyncio

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import infra.db.notification_tables  # noqa: F401 (its tables join the metadata)
from infra.db.tables import metadata


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "infra.db:migrations")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    """Migrate a database to the newest schema.

    Blocking: Alembic runs its own event loop, so call it from a thread when a
    loop is already running.
    """
    if database_url.startswith("sqlite"):
        asyncio.run(_create_sqlite_schema(database_url))
    else:
        command.upgrade(alembic_config(database_url), "head")


async def _create_sqlite_schema(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        await create_embedded_schema(engine)
    finally:
        await engine.dispose()


async def create_embedded_schema(engine: AsyncEngine) -> None:
    """The embedded mode has no migration history: its schema is the current metadata."""
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
