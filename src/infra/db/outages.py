"""Database errors that mean an outage (worth waiting out), told apart from mistakes.

An outage is the server going away or not letting us in yet: a refused or dropped
connection, a shutdown or restart, too many connections, a busy SQLite file. Anything
else (a syntax error, a constraint, a bad value) is a mistake, raised as it is.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from application.errors import DatabaseUnavailable

# SQLSTATE classes: 08 connection exception, 53 insufficient resources (too many
# connections, disk full), 55 object not in prerequisite state (a database closed to new
# connections for maintenance, a lock not available), 57 operator intervention (shutdown,
# starting up, cancelled), 58 system error (I/O).
OUTAGE_SQLSTATE_CLASSES = frozenset({"08", "53", "55", "57", "58"})
# SQLite's result codes for a file another writer holds or the disk failed.
SQLITE_OUTAGES = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL")


def is_outage(error: BaseException) -> bool:
    if isinstance(error, PoolTimeout | DisconnectionError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    verdict = _driver_verdict(error)
    if verdict is not None:
        return verdict
    # The DB-API's own words for "not the programmer's doing", when the driver said nothing.
    return isinstance(error, OperationalError)


def _driver_verdict(error: BaseException) -> bool | None:
    """What the driver's error (or a socket error under it) says; None when it says nothing."""
    for cause in _chain(error):
        if isinstance(cause, OSError):  # refused, reset, timed out: asyncpg raises these bare
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and len(sqlstate) == 5:
            return sqlstate[:2] in OUTAGE_SQLSTATE_CLASSES
        sqlite_name = getattr(cause, "sqlite_errorname", None)
        if isinstance(sqlite_name, str):
            return sqlite_name.startswith(SQLITE_OUTAGES)
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__


@contextmanager
def unavailable_on_outage() -> Iterator[None]:
    """Raise ``DatabaseUnavailable`` for an outage; let every other error through."""
    try:
        yield
    except (DBAPIError, PoolTimeout, DisconnectionError, OSError) as error:
        if is_outage(error):
            raise DatabaseUnavailable(_summary(error)) from error
        raise


def _summary(error: BaseException) -> str:
    # The first line only: no SQL statement or parameters in a log line about an outage.
    first_line = (str(error).splitlines() or [""])[0]
    return f"{type(error).__name__}: {first_line}"[:300]


class SqlProbe:
    """The DatabaseProbe port: one trivial query."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def check(self) -> None:
        with unavailable_on_outage():
            async with self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
