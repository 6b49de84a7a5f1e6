"""PostgreSQL's word that a commit wrote outbox rows: the writer's NOTIFY, the relay's LISTEN.

The NOTIFY rides on the statement that writes the rows, so it costs no round trip and,
like every notification, is delivered only when (and if) the transaction commits.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import Insert

from worker.backoff import Backoff
from worker.waiting import pause

CHANNEL = "outbox_rows"
log = logging.getLogger("appointment_api.relay")


def notifying(written: Insert) -> Executable:
    """The insert, and a notification on the channel, in one statement."""
    return select(func.pg_notify(CHANNEL, "")).add_cte(written.cte("written"))


Connect = Callable[[], Awaitable["asyncpg.Connection[Any]"]]


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL (``postgresql+asyncpg://...``) as asyncpg takes it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def connecting(database_url: str, *, timeout: float = 10.0) -> Connect:
    dsn = asyncpg_dsn(database_url)

    async def connect() -> "asyncpg.Connection[Any]":
        return await asyncpg.connect(dsn, timeout=timeout)

    return connect


class OutboxListener:
    """Sets ``wake`` on each notification, on a connection of its own; when the connection
    drops (a restart, a network cut) it connects again, with backoff, and sets ``wake``
    once connected, for whatever was committed while nobody listened."""

    def __init__(self, connect: Connect, wake: asyncio.Event, *, backoff: Backoff) -> None:
        self._connect = connect
        self._wake = wake
        self._backoff = backoff
        self.connections = 0
        self._connected = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                connection = await self._connect()
            except (OSError, TimeoutError, asyncpg.PostgresError) as error:
                delay = self._backoff.next_delay()
                log.warning("cannot listen for outbox rows, again in %.1f s: %s", delay, error)
                await pause(stop, delay)
                continue
            try:
                await self._listen(connection, stop)
            finally:
                if not connection.is_closed():
                    await connection.close(timeout=5)

    async def _listen(self, connection: "asyncpg.Connection[Any]", stop: asyncio.Event) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda *_: lost.set())
        try:
            await connection.add_listener(CHANNEL, self._notified)
        except (OSError, TimeoutError, asyncpg.PostgresError) as error:
            log.warning("cannot listen for outbox rows: %s", error)
            await pause(stop, self._backoff.next_delay())
            return
        self.connections += 1
        self._connected.set()
        self._backoff.reset()
        self._wake.set()
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if lost.is_set() and not stop.is_set():
            log.warning("outbox listener lost its connection, connecting again")

    async def wait_for_connections(self, count: int) -> None:
        """Return once the listener has connected ``count`` times (for health checks and
        tests)."""
        while self.connections < count:
            self._connected.clear()
            await self._connected.wait()

    def _notified(self, *_: Any) -> None:
        self._wake.set()
