"""PostgreSQL's word that a commit wrote outbox rows: the writer's NOTIFY, the relay's LISTEN.

The NOTIFY rides on the statement that writes the rows, so it costs no round trip and,
like every notification, is delivered only when (and if) the transaction commits.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy import TextClause, text
from sqlalchemy.engine import make_url

from worker.backoff import Backoff
from worker.waiting import pause

CHANNEL = "outbox_rows"
# A server away or restarting, a connection cut: worth trying again.
LOST = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
log = logging.getLogger("appointment_api.relay")


# The rows as arrays, one per column, so that the statement is the same text whatever
# their number: compiled once, prepared once per connection, one round trip.
NOTIFYING_INSERT: TextClause = text(
    "WITH written AS ("
    "INSERT INTO outbox (topic, message_group, payload, request_id, created_at, available_at) "
    "SELECT topic, message_group, CAST(payload AS JSONB), request_id, created_at, available_at "
    "FROM unnest(CAST(:topics AS TEXT[]), CAST(:groups AS TEXT[]), CAST(:payloads AS TEXT[]), "
    "CAST(:request_ids AS TEXT[]), CAST(:created AS TIMESTAMPTZ[]), "
    "CAST(:available AS TIMESTAMPTZ[])) "
    "AS written_row(topic, message_group, payload, request_id, created_at, available_at)"
    ") SELECT pg_notify('outbox_rows', '')"
)


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
            except LOST as error:
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
        except LOST as error:
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
