"""The async engine for either backend."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def create_engine(
    database_url: str, *, pool_size: int = 10, statement_timeout_ms: int = 0
) -> AsyncEngine:
    """``statement_timeout_ms``: PostgreSQL cancels any statement that runs longer (0: no
    limit). SQLite has no such setting; its statements run in this process.

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
    engine = create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"server_settings": server_settings},
        hide_parameters=True,
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed)
    return engine


def _refuse_closed(_: Any, record: Any, __: Any) -> None:
    """A pooled connection the server has closed (a restart, a terminated backend) is
    known closed at no cost: the pool drops it and hands out another. pool_pre_ping would
    find out with three round trips on every checkout (BEGIN, a ping, ROLLBACK)."""
    if record.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


def _sqlite_pragmas(connection: Any, _: object) -> None:
    # WAL lets readers run beside the single writer; foreign keys are off by default.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
