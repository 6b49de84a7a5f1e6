"""The async engine for either backend."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def create_engine(
    database_url: str,
    *,
    pool_size: int = 10,
    statement_timeout_ms: int = 0,
    read_only: bool = False,
) -> AsyncEngine:
    """``statement_timeout_ms``: PostgreSQL cancels any statement that runs longer (0: no
    limit). SQLite has no such setting; its statements run in this process.

    ``read_only``: an engine for compiled reads on PostgreSQL: statements run outside any
    transaction and a connection is not pinged before each use (a read that meets a dead
    connection fails, and the executor answers it on the main engine, which pings).

    hide_parameters: a failed statement's error (and so its log line) names no bound
    value, which may be a patient's name, email or phone."""
    if database_url.startswith("sqlite"):
        engine = create_async_engine(
            database_url, connect_args={"timeout": 30}, hide_parameters=True
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    server_settings = (
        {"statement_timeout": str(statement_timeout_ms)} if statement_timeout_ms else {}
    )
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if read_only else {}
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=not read_only,
        connect_args={"server_settings": server_settings},
        hide_parameters=True,
        **options,
    )


def _sqlite_pragmas(connection: Any, _: object) -> None:
    # WAL lets readers run beside the single writer; foreign keys are off by default.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
