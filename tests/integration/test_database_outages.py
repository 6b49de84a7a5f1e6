"""Which real database errors the worker waits out (DatabaseUnavailable) and which it
raises as they are, on PostgreSQL and SQLite."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import DecideAppointment
from application.errors import DatabaseUnavailable
from infra.db.engine import create_engine
from infra.db.outages import SqlProbe, unavailable_on_outage
from support.processes import free_port
from use_cases import use_cases_on


async def run(engine: AsyncEngine, sql: str) -> None:
    with unavailable_on_outage():
        async with engine.begin() as connection:
            await connection.execute(text(sql))


async def test_a_server_nobody_listens_on_is_unavailable() -> None:
    engine = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere")
    try:
        with pytest.raises(DatabaseUnavailable, match=r"Connect call failed|refused"):
            await SqlProbe(engine).check()
        decide = use_cases_on(engine).decide
        with pytest.raises(DatabaseUnavailable):
            await decide(DecideAppointment(uuid.uuid4(), None))
    finally:
        await engine.dispose()


async def test_a_session_ended_by_the_server_mid_statement_is_unavailable(
    engine: AsyncEngine, postgres_admin_url: str, database_url: str
) -> None:
    database = database_url.rsplit("/", 1)[1]
    statement = asyncio.create_task(run(engine, "SELECT pg_sleep(30)"))
    admin = await asyncpg.connect(postgres_admin_url)
    try:
        # Wait until the statement is running, then end its session as a restart would.
        await running(admin, database, "SELECT pg_sleep%")
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            database,
        )
    finally:
        await admin.close()

    with pytest.raises(DatabaseUnavailable, match=r"closed|terminat"):
        await asyncio.wait_for(statement, 30)
    # The pool drops the dead connection: the next statement works.
    await run(engine, "SELECT 1")
    await SqlProbe(engine).check()


async def test_a_database_closed_to_new_connections_is_unavailable(
    engine: AsyncEngine, postgres_admin_url: str, database_url: str
) -> None:
    # What an operator does before maintenance: ALLOW_CONNECTIONS false and end the
    # sessions. Connecting then fails with SQLSTATE 55000, not a connection error.
    database = database_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(postgres_admin_url)
    try:
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            database,
        )
        await engine.dispose()
        with pytest.raises(DatabaseUnavailable, match="not currently accepting connections"):
            await SqlProbe(engine).check()
    finally:
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        await admin.close()
    await SqlProbe(engine).check()


async def running(admin: Any, database: str, pattern: str) -> None:
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query LIKE $2"
        if await admin.fetchval(query, database, pattern):
            return
        assert asyncio.get_running_loop().time() < deadline, "the statement never started"
        await asyncio.sleep(0.05)


async def test_mistakes_on_postgresql_are_raised_as_they_are(engine: AsyncEngine) -> None:
    with pytest.raises(ProgrammingError):
        await run(engine, "SELEC 1")
    with pytest.raises(ProgrammingError):
        await run(engine, "SELECT * FROM no_such_table")
    with pytest.raises(IntegrityError):
        await run(engine, "INSERT INTO outbox (topic) VALUES ('t')")


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'outage.db'}")
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_a_missing_table_on_sqlite_is_a_mistake_not_an_outage(
    sqlite_engine: AsyncEngine,
) -> None:
    # SQLite calls both a missing table and a busy file an OperationalError.
    with pytest.raises(OperationalError, match="no such table"):
        await run(sqlite_engine, "SELECT * FROM no_such_table")
    await SqlProbe(sqlite_engine).check()
