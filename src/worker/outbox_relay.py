"""Moves outbox rows to the queue, ten per SendMessageBatch, oldest first.

It wakes when told a commit wrote outbox rows (an in-process signal, or PostgreSQL's
NOTIFY through a listener that sets the same event), and otherwise looks only every
``idle_seconds``: that slow poll catches rows whose deadline came, rows put off after a
refusal, and a notification lost while the listener was reconnecting.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from application.errors import DatabaseUnavailable
from worker.backoff import Backoff
from worker.messages import to_outgoing
from worker.ports import MessageQueue, Outbox, PendingMessage, QueueUnavailable

log = logging.getLogger("appointment_api.relay")
BATCH = 10


class OutboxRelay:
    def __init__(
        self,
        outbox: Outbox,
        queue: MessageQueue,
        clock: Callable[[], datetime],
        *,
        idle_seconds: float = 2.0,
        wake: asyncio.Event | None = None,
        outage_backoff: Backoff | None = None,
    ) -> None:
        self._outbox = outbox
        self._queue = queue
        self._clock = clock
        self._idle = idle_seconds
        # Set by an in-process writer, or by the listener of the database's notifications.
        self._wake = wake or asyncio.Event()
        self._backoff = outage_backoff or Backoff(base=1.0, cap=30.0)

    async def _send(self, rows: Sequence[PendingMessage]) -> Mapping[int, str]:
        refused = await self._queue.send_batch([to_outgoing(row) for row in rows])
        by_row: dict[int, str] = {}
        for row in rows:
            reason = refused.get(str(row.id))
            extra = {"request_id": row.request_id, "outbox_id": row.id, "group": row.group}
            if reason is None:
                log.info("relayed outbox row", extra=extra)
            else:
                by_row[row.id] = reason
                log.warning("queue refused outbox row, put off: %s", reason, extra=extra)
        return by_row

    async def relay_once(self) -> int:
        """Relay until nothing is due; how many rows went out."""
        total = 0
        while sent := await self._outbox.relay_batch(self._send, limit=BATCH, now=self._clock()):
            total += sent
        return total

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            pause = self._idle
            # Cleared before looking, so that a commit made while we look wakes us again.
            self._wake.clear()
            try:
                await self.relay_once()
            except QueueUnavailable as error:
                log.warning("queue unavailable, outbox rows put off: %s", error)
            except DatabaseUnavailable as error:
                pause = self._backoff.next_delay()
                log.warning("database unavailable, outbox relay waits %.1f s: %s", pause, error)
            else:
                if self._backoff.failures:
                    log.info("database reachable again, outbox relay resumed")
                self._backoff.reset()
            # While the database is away, a new request cannot cut the pause short.
            waking = (stop,) if self._backoff.failures else (stop, self._wake)
            await _first_of(*waking, seconds=pause)


async def _first_of(*events: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
